import { describe, expect, it } from 'vitest';
import { NotFoundError, VersionMismatchError } from '#shared/kernel/errors.ts';
import { ListFilter } from '#shared/platform/dynamodb/list-filters.ts';
import { tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import {
  stale,
  staleOrGone,
  versionedDelete,
  versionedRename,
  versionedReplace,
  type VersionedKind,
} from '#shared/platform/dynamodb/versioned.ts';

// The versioned-CRUD helpers every repository writes with, and the list filter's ranges.

interface Thing {
  id: string;
  name: string;
  version: number;
}

const thingKey = tableKeys<[id: string]>('thing', 'thing');
const THING: VersionedKind<Thing> = {
  name: 'thing',
  key: thingKey,
  read: (item) => ({ id: String(item.id), name: String(item.name), version: Number(item.version) }),
};
const before: Thing = { id: 'T1', name: 'Old', version: 3 };
const stored = { pk: 'thing#T1', sk: 'thing', kind: 'thing', id: 'T1', name: 'Newer', version: 4, extra: true };

describe('conflict mappers', () => {
  it('stale: a version mismatch carrying the record as stored now (read by the kind), or null when gone', () => {
    const now = stale(THING, 'T1')(stored);
    expect(now).toBeInstanceOf(VersionMismatchError);
    expect((now as VersionMismatchError).current).toEqual({ id: 'T1', name: 'Newer', version: 4 });
    expect((stale(THING, 'T1')(undefined) as VersionMismatchError).current).toBeNull();
  });

  it('staleOrGone: not found when the record is gone', () => {
    expect(staleOrGone(THING, 'T1')(undefined)).toBeInstanceOf(NotFoundError);
    expect(staleOrGone(THING, 'T1')(stored)).toBeInstanceOf(VersionMismatchError);
  });
});

describe('versioned writes', () => {
  it('replace and delete only at the version read', () => {
    const item = { ...thingKey('T1'), kind: 'thing', ...before, version: 4 };
    expect(versionedReplace(THING, before, item)).toMatchObject({ type: 'replace', item, expectedVersion: 3 });
    expect(versionedDelete(THING, before)).toMatchObject({
      type: 'delete',
      key: { pk: 'thing#T1', sk: 'thing' },
      expectedVersion: 3,
    });
  });

  it('rename sets the name, updated_at and version only, at the version read', () => {
    const op = versionedRename(THING, before, { name: 'New', updated_at: '2031-01-01T00:00:00.000Z', version: 4 });
    expect(op).toMatchObject({
      type: 'update',
      key: { pk: 'thing#T1', sk: 'thing' },
      update: 'SET #name = :name, updated_at = :now, version = :next',
      condition: 'version = :expected',
      values: { ':name': 'New', ':now': '2031-01-01T00:00:00.000Z', ':next': 4, ':expected': 3 },
    });
  });

  it('map a failed condition with the given mapper, else as stale', () => {
    const gone = versionedDelete(THING, before, staleOrGone(THING, before.id));
    expect(gone.type === 'delete' && gone.onConflict?.(undefined)).toBeInstanceOf(NotFoundError);
    const replaced = versionedReplace(THING, before, { ...thingKey('T1'), ...before });
    expect(replaced.type === 'replace' && replaced.onConflict?.(undefined)).toBeInstanceOf(VersionMismatchError);
  });
});

describe('ListFilter.range', () => {
  it('bounds an attribute on each side given, inclusively, and nothing when neither is', () => {
    expect(new ListFilter().range('amount', 10, 20).build()).toEqual({
      expression: '#f0 >= :f0 AND #f0 <= :f1',
      names: { '#f0': 'amount' },
      values: { ':f0': 10, ':f1': 20 },
    });
    expect(new ListFilter().range('day', undefined, '2031-01-01').build()?.expression).toBe('#f0 <= :f0');
    expect(new ListFilter().range('day', undefined, undefined).build()).toBeUndefined();
  });
});
