import { describe, expect, it } from 'vitest';
import { NotFoundError, VersionMismatchError } from '#shared/kernel/errors.ts';
import { checkIfMatch, retryOnVersionMismatch, updateVersioned, WRITE_ATTEMPTS } from '#shared/kernel/versioned-update.ts';

// The one optimistic-concurrency loop every family's update runs through.

interface Rec {
  id: string;
  version: number;
  name: string;
}

/** A record store whose conditional write can be made to lose `races` races. */
function store(races = 0) {
  let record: Rec = { id: 'r1', version: 1, name: 'a' };
  let toLose = races;
  const calls = { loads: 0, writes: 0 };
  return {
    calls,
    get: async () => ({ ...record }),
    load: async () => {
      calls.loads++;
      return { ...record };
    },
    write: async (before: Rec, after: Rec) => {
      calls.writes++;
      if (toLose > 0) {
        toLose--;
        record = { ...record, version: record.version + 1, name: `${record.name}+other` };
        throw new VersionMismatchError('rec', before.id, null);
      }
      if (before.version !== record.version) throw new VersionMismatchError('rec', before.id, null);
      record = after;
    },
  };
}

function rename(s: ReturnType<typeof store>, name: string, ifMatch?: number) {
  return updateVersioned({
    resource: 'rec',
    id: 'r1',
    ifMatch,
    load: s.load,
    reload: s.get,
    present: (r) => ({ shown: r.name, version: r.version }),
    apply: async (before) => {
      const after = { ...before, name, version: before.version + 1 };
      await s.write(before, after);
      return after;
    },
  });
}

describe('updateVersioned', () => {
  it('applies the change on the record it read', async () => {
    const s = store();
    expect(await rename(s, 'b')).toEqual({ id: 'r1', version: 2, name: 'b' });
    expect(s.calls).toEqual({ loads: 1, writes: 1 });
  });

  it('replays the change on a fresh read after losing a race, when no If-Match was given', async () => {
    const s = store(3);
    expect(await rename(s, 'b')).toEqual({ id: 'r1', version: 5, name: 'b' });
    expect(s.calls).toEqual({ loads: 4, writes: 4 });
  });

  it(`gives up after ${WRITE_ATTEMPTS} lost races with 412 carrying the current record as the API shows it`, async () => {
    const s = store(100);
    const error = await rename(s, 'b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).current).toEqual({ shown: expect.stringContaining('+other'), version: 9 });
    expect(s.calls.writes).toBe(WRITE_ATTEMPTS);
  });

  it('refuses at once when If-Match names another version, without writing', async () => {
    const s = store();
    const error = await rename(s, 'b', 7).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).current).toEqual({ shown: 'a', version: 1 });
    expect(s.calls.writes).toBe(0);
  });

  it('does not retry a lost race when If-Match was given: the caller asked to fail instead', async () => {
    const s = store(1);
    const error = await rename(s, 'b', 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect(s.calls).toEqual({ loads: 1, writes: 1 });
    expect((error as VersionMismatchError).current).toEqual({ shown: 'a+other', version: 2 });
  });

  it('passes other errors through untouched', async () => {
    const error = await updateVersioned({
      resource: 'rec',
      id: 'r1',
      load: async () => {
        throw new NotFoundError('rec', 'r1');
      },
      reload: async () => undefined,
      apply: async () => 'never',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
  });

  it('answers 412 with current null when the record is gone once retries run out', async () => {
    const error = await updateVersioned({
      resource: 'rec',
      id: 'r1',
      attempts: 2,
      load: async () => ({ version: 1 }),
      reload: async () => undefined,
      apply: async () => {
        throw new VersionMismatchError('rec', 'r1', null);
      },
    }).catch((e: unknown) => e);
    expect((error as VersionMismatchError).current).toBeNull();
  });
});

describe('retryOnVersionMismatch', () => {
  it('runs again while the attempt loses races, and rethrows the last loss', async () => {
    let runs = 0;
    const lose = () => {
      runs++;
      throw new VersionMismatchError('rec', 'r1', null);
    };
    await expect(retryOnVersionMismatch(async () => lose(), 3)).rejects.toBeInstanceOf(VersionMismatchError);
    expect(runs).toBe(3);
    runs = 0;
    expect(await retryOnVersionMismatch(async (attempt) => (attempt < 2 ? lose() : 'done'), 3)).toBe('done');
    expect(runs).toBe(1);
  });
});

describe('checkIfMatch', () => {
  it('passes without If-Match or with the current version, and refuses another version with the shown record', async () => {
    const rec = { id: 'r1', version: 3 };
    await expect(checkIfMatch('rec', 'r1', rec, undefined)).resolves.toBeUndefined();
    await expect(checkIfMatch('rec', 'r1', rec, 3)).resolves.toBeUndefined();
    const error = await checkIfMatch('rec', 'r1', rec, 2, async (r) => ({ view: r.version })).catch((e: unknown) => e);
    expect((error as VersionMismatchError).current).toEqual({ view: 3 });
  });
});
