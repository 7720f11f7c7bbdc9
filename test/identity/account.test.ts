import { describe, expect, it } from 'vitest';
import { getAccount, updateAccount, type AccountDeps } from '#shared/identity/account-use-cases.ts';
import type { Account } from '#shared/identity/account.ts';
import { VersionMismatchError } from '#shared/kernel/errors.ts';
import { InMemoryAccountRepository, TEST_CORRELATION_ID, TEST_NOW, fakeCall, testId, rejection } from '#test/helpers/fakes.ts';

const ADMIN = testId(1);
const DEFAULTS: AccountDeps['defaults'] = {
  name: 'Acme',
  currency: 'EUR',
  timezone: 'Europe/Paris',
  time_format: '24h',
  logo_url: null,
};
const LATER = '2031-03-05T10:00:00.000Z';

function setup(stored?: Account) {
  const account = new InMemoryAccountRepository(stored);
  return {
    account,
    deps: { account, defaults: DEFAULTS },
    call: fakeCall({ user_id: ADMIN, email: 'admin@example.com', role: 'admin', direct_reports: [] }),
  };
}

describe('getAccount', () => {
  it('is the config defaults, version 0 and never updated, until an admin changes it', async () => {
    const { deps } = setup();
    expect(await getAccount(deps)).toEqual({ ...DEFAULTS, updated_at: null, version: 0 });
  });

  it('is the stored account once there is one', async () => {
    const stored: Account = { ...DEFAULTS, name: 'Acme Ltd', updated_at: TEST_NOW, version: 3 };
    expect(await getAccount(setup(stored).deps)).toEqual(stored);
  });
});

describe('updateAccount', () => {
  it('first change: stores the defaults plus the patch at version 1, with account.updated', async () => {
    const { account, deps, call } = setup();
    const after = await updateAccount(deps, call, { currency: 'USD' }, 0);

    const expected: Account = { ...DEFAULTS, currency: 'USD', updated_at: TEST_NOW, version: 1 };
    expect(after).toEqual(expected);
    expect(account.stored).toEqual(expected);
    expect(account.events).toEqual([
      {
        metadata: {
          event_id: '01JG0000000000000000000001',
          event_type: 'account.updated',
          event_version: 1,
          occurred_at: TEST_NOW,
          actor_id: ADMIN,
          correlation_id: TEST_CORRELATION_ID,
          resource_type: 'account',
          resource_id: 'self',
        },
        data: expected,
        previous: { currency: 'EUR' },
      },
    ]);
  });

  it('later changes replace the stored account at the next version', async () => {
    const { account, deps } = setup({ ...DEFAULTS, updated_at: TEST_NOW, version: 1 });
    const call = fakeCall({ user_id: ADMIN, email: 'admin@example.com', role: 'admin', direct_reports: [] }, LATER);
    const after = await updateAccount(deps, call, { timezone: 'America/New_York', logo_url: 'https://cdn.example.com/l.png' }, 1);
    expect(after).toEqual({
      ...DEFAULTS,
      timezone: 'America/New_York',
      logo_url: 'https://cdn.example.com/l.png',
      updated_at: LATER,
      version: 2,
    });
    expect(account.stored).toEqual(after);
    expect(account.events[0]!.previous).toEqual({ timezone: 'Europe/Paris', logo_url: null });
  });

  it('clears the logo with null', async () => {
    const { deps, call } = setup({ ...DEFAULTS, logo_url: 'https://cdn.example.com/l.png', updated_at: TEST_NOW, version: 1 });
    expect((await updateAccount(deps, call, { logo_url: null })).logo_url).toBeNull();
  });

  it('ignores fields given as undefined', async () => {
    const { deps, call } = setup();
    const after = await updateAccount(deps, call, { name: undefined, time_format: '12h' });
    expect(after).toMatchObject({ name: 'Acme', time_format: '12h' });
  });

  it('refuses a stale If-Match with the current account (defaults while none stored)', async () => {
    const { account, deps, call } = setup();
    const error = await rejection(updateAccount(deps, call, { name: 'X' }, 1));
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).current).toEqual({ ...DEFAULTS, updated_at: null, version: 0 });
    expect(account.stored).toBeUndefined();
    expect(account.events).toEqual([]);
  });

  it('refuses a stale If-Match against a stored account', async () => {
    const stored: Account = { ...DEFAULTS, name: 'Acme Ltd', updated_at: TEST_NOW, version: 5 };
    const { account, deps, call } = setup(stored);
    const error = await rejection(updateAccount(deps, call, { name: 'X' }, 4));
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).current).toEqual(stored);
    expect(account.stored).toEqual(stored);
  });

  it('is a no-op (no write, no event) when nothing changes', async () => {
    const { account, deps, call } = setup();
    expect(await updateAccount(deps, call, { name: 'Acme', currency: 'EUR' })).toEqual({
      ...DEFAULTS,
      updated_at: null,
      version: 0,
    });
    expect(account.stored).toBeUndefined();
    expect(account.events).toEqual([]);
  });

  it('refuses a first write when another admin saved the account meanwhile', async () => {
    const theirs: Account = { ...DEFAULTS, name: 'Theirs', updated_at: TEST_NOW, version: 1 };
    class StaleRead extends InMemoryAccountRepository {
      override async get(): Promise<Account | undefined> {
        return undefined; // read before the other admin's write landed
      }
    }
    const account = new StaleRead(theirs);
    const { call } = setup();
    const error = await rejection(updateAccount({ account, defaults: DEFAULTS }, call, { name: 'Mine' }));
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).current).toEqual(theirs);
    expect(account.stored).toEqual(theirs);
  });

  it('refuses a later write over a change made since the read', async () => {
    const read: Account = { ...DEFAULTS, updated_at: TEST_NOW, version: 1 };
    class Interleaved extends InMemoryAccountRepository {
      override async save(
        after: Account,
        expectedVersion: number | undefined,
        events: Parameters<InMemoryAccountRepository['save']>[2],
      ) {
        this.stored = { ...read, name: 'Theirs', version: 2 };
        return super.save(after, expectedVersion, events);
      }
    }
    const account = new Interleaved(read);
    const { call } = setup();
    await expect(updateAccount({ account, defaults: DEFAULTS }, call, { name: 'Mine' })).rejects.toBeInstanceOf(
      VersionMismatchError,
    );
    expect(account.stored!.name).toBe('Theirs');
    expect(account.events).toEqual([]);
  });
});
