import { NotFoundError, VersionMismatchError, type DomainError } from '#shared/kernel/errors.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import type { SortableRepository, SortPosition } from '#shared/kernel/sorted-lists.ts';
import {
  fromItem,
  type Item,
  type ItemKeys,
  type Key,
  type PageRequest,
  type PartitionQuery,
  type Table,
  type WriteOp,
} from './table.ts';

// The CRUD every repository of versioned records repeats: read one by id, replace or delete it
// only while the table holds the version the caller read, and say which error a failed
// condition means. Records carry `version`, incremented by every change (optimistic locking).

/** A kind of versioned record, as its repository reads and writes it. */
export interface VersionedKind<T> {
  /** How errors name it: "deal", "loss reason". */
  readonly name: string;
  /** Its item's primary key. */
  key(id: string): Key;
  /** The record from its item; fromItem when absent. */
  read?(item: Item): T;
}

interface Versioned {
  id: string;
  version: number;
}

/** What a failed write condition means, from the item the table holds now (undefined: none). */
export type ConflictMapper = (current: Item | undefined) => DomainError;

/** The record as the domain knows it, from its item. */
export function readRecord<T>(kind: VersionedKind<T>, item: Item): T {
  return kind.read ? kind.read(item) : fromItem<T>(item);
}

/** A version condition failed: VersionMismatchError carrying the record stored now (null when gone). */
export function stale<T>(kind: VersionedKind<T>, id: string): ConflictMapper {
  return (current) => new VersionMismatchError(kind.name, id, current ? readRecord(kind, current) : null);
}

/** As `stale`, but NotFoundError when the record is gone (changes that must find it). */
export function staleOrGone<T>(kind: VersionedKind<T>, id: string): ConflictMapper {
  return (current) => (current ? stale(kind, id)(current) : new NotFoundError(kind.name, id));
}

/** Writes `item` (the record after the change, with its keys) while the table holds `before.version`. */
export function versionedReplace<T>(
  kind: VersionedKind<T>,
  before: Versioned,
  item: Item & ItemKeys,
  onConflict: ConflictMapper = stale(kind, before.id),
): WriteOp {
  return { type: 'replace', item, expectedVersion: before.version, onConflict };
}

/** Deletes the record's item while the table holds `record.version`. */
export function versionedDelete<T>(
  kind: VersionedKind<T>,
  record: Versioned,
  onConflict: ConflictMapper = stale(kind, record.id),
): WriteOp {
  return { type: 'delete', key: kind.key(record.id), expectedVersion: record.version, onConflict };
}

/**
 * Sets a named record's name, updated_at and version only, while the table holds
 * `before.version`: its other attributes (counters other writes move) stay as they are.
 */
export function versionedRename<T>(
  kind: VersionedKind<T>,
  before: Versioned,
  after: { name: string; updated_at: string; version: number },
  onConflict: ConflictMapper = stale(kind, before.id),
): WriteOp {
  return {
    type: 'update',
    key: kind.key(before.id),
    update: 'SET #name = :name, updated_at = :now, version = :next',
    condition: 'version = :expected',
    names: { '#name': 'name' },
    values: { ':name': after.name, ':now': after.updated_at, ':next': after.version, ':expected': before.version },
    onConflict,
  };
}

/** One record by id (a strongly consistent GetItem), or undefined when there is none. */
export async function getRecord<T>(table: Table, kind: VersionedKind<T>, id: string): Promise<T | undefined> {
  const item = await table.get(kind.key(id));
  return item ? readRecord(kind, item) : undefined;
}

/** One page of one partition, as records: in key order (oldest first) unless `order` says otherwise. */
export async function recordPage<T>(
  table: Table,
  partition: PartitionQuery,
  query: PageQuery,
  read: (item: Item) => T,
  options: { order?: 'asc' | 'desc'; filter?: PageRequest['filter'] } = {},
): Promise<Page<T>> {
  const page = await table.page({
    partitions: [partition],
    limit: query.limit,
    cursor: query.cursor,
    order: options.order ?? 'asc',
    ...(options.filter ? { filter: options.filter } : {}),
  });
  return { items: page.items.map((item) => read(item)), next_cursor: page.next_cursor };
}

/** A repository of one kind of versioned record: the table, and `get` by id. */
export abstract class VersionedRepository<T> {
  protected abstract readonly kind: VersionedKind<T>;
  protected readonly table: Table;

  constructor(table: Table) {
    this.table = table;
  }

  get(id: string): Promise<T | undefined> {
    return getRecord(this.table, this.kind, id);
  }
}

/** Which partitions a list reads, in which order, with which filter (a PageRequest but its page). */
export type ListPlan = Omit<PageRequest, 'limit' | 'cursor'>;

/**
 * A repository whose lists read index partitions (`plan`): pages, bounded reads of every match
 * for orders no index serves, and keyset cursors for those (see kernel/sorted-lists.ts).
 */
export abstract class ListedRepository<Q, T> extends VersionedRepository<T> implements SortableRepository<Q, T> {
  /** Which partitions to read and what to filter, from the scope and the filters of `query`. */
  protected abstract plan(query: Q): ListPlan;

  /** The records of the items a list read (one each by default). */
  protected async records(items: Item[]): Promise<T[]> {
    return items.map((item) => readRecord(this.kind, item));
  }

  async list(query: Q, page: PageQuery): Promise<Page<T>> {
    const result = await this.table.page({ ...this.plan(query), limit: page.limit, cursor: page.cursor });
    return { items: await this.records(result.items), next_cursor: result.next_cursor };
  }

  async collect(query: Q, max: number): Promise<{ items: T[]; truncated: boolean }> {
    const result = await this.table.collect(this.plan(query), max);
    return { items: await this.records(result.items), truncated: result.truncated };
  }

  keysetCursor(shape: unknown, after: SortPosition): Promise<string> {
    return this.table.keysetCursor(shape, after);
  }

  readKeysetCursor(shape: unknown, cursor: string | undefined): Promise<SortPosition | null> {
    return this.table.readKeysetCursor(shape, cursor);
  }
}
