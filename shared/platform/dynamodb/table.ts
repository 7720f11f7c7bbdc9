import { TransactionCanceledException, ConditionalCheckFailedException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type NativeAttributeValue,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { DomainError } from '#shared/kernel/errors.ts';
import {
  INDEX,
  indexAttributes,
  KEY_ATTRIBUTES,
  OUTBOX_KIND,
  OUTBOX_TTL_SECONDS,
  tableSpec,
  type IndexName,
} from './table-spec.ts';
import { bindQuery, invalidCursor, type CursorCodec, type CursorState, type Position } from './cursor.ts';
import { compileFilter, type FilterSpec } from './filter-eval.ts';
import type { SortPosition } from '#shared/kernel/sorted-lists.ts';
import { indexKeys, indexPartitions, tableKeys, tablePartition } from './partitions.ts';
import { allocateSellIds, assignedSellId, sellIdOps, sellTypeOfCreated, type SellIdType } from './sell-ids.ts';

// The repository base: every change is one TransactWriteItems holding the records' writes
// (conditional on `version`) and the outbox items of their domain events. Reads are GetItem
// or Query; nothing on a request path scans.

export type Item = Record<string, NativeAttributeValue>;
export interface Key {
  pk: string;
  sk: string;
}

/** The keys an item projects into; gsi attributes left out keep it out of that index. */
export type ItemKeys = Key & Partial<Record<`gsi${1 | 2 | 3 | 4 | 5 | 6}${'pk' | 'sk'}`, string>>;

export type WriteOp =
  /** Create; fails if the key exists. */
  | { type: 'create'; item: Item & ItemKeys; onConflict?: (current: Item | undefined) => DomainError }
  /** Write whatever is there (derived items whose content the transaction decides). */
  | { type: 'put'; item: Item & ItemKeys }
  /** Delete whether or not it is there (derived items). */
  | { type: 'remove'; key: Key }
  /** Replace; fails unless the stored version is `expectedVersion`. */
  | { type: 'replace'; item: Item & ItemKeys; expectedVersion: number; onConflict?: (current: Item | undefined) => DomainError }
  | {
      type: 'delete';
      key: Key;
      expectedVersion?: number;
      /** Instead of a version: any condition on the item (with `values`). */
      condition?: string;
      values?: Record<string, NativeAttributeValue>;
      onConflict?: (current: Item | undefined) => DomainError;
    }
  /** A raw update, e.g. adding to a counter. */
  | {
      type: 'update';
      key: Key;
      update: string;
      condition?: string;
      names?: Record<string, string>;
      values?: Record<string, NativeAttributeValue>;
      onConflict?: (current: Item | undefined) => DomainError;
    }
  /** Fails the transaction unless the condition holds on another item. */
  | {
      type: 'check';
      key: Key;
      condition: string;
      names?: Record<string, string>;
      values?: Record<string, NativeAttributeValue>;
      onConflict: (current: Item | undefined) => DomainError;
    };

export interface PartitionQuery {
  index?: IndexName;
  pk: string;
  /** Sort key range; both bounds inclusive. */
  skBetween?: [string, string];
  skBeginsWith?: string;
}

/**
 * What one list call may read: `items` DynamoDB evaluates (ScannedCount, kept or filtered
 * out, summed over partitions) and `rounds` of Queries (each round reads once every
 * partition whose read items ran out). A call makes at most `rounds` Queries per partition.
 */
export interface ReadBudget {
  readonly items: number;
  readonly rounds: number;
}

/** A page of a list: 1,000 items read, 4 Queries per partition (owner in scope) at most. */
export const PAGE_BUDGET: ReadBudget = { items: 1000, rounds: 4 };
/** Collecting the matches of a list sorted in memory: 5,000 items read, 10 Queries per partition at most. */
export const COLLECT_BUDGET: ReadBudget = { items: 5000, rounds: 10 };
/** A filtered read asks for at least this many items at first, then four times more each round. */
const FIRST_FILTERED_READ = 25;

export interface PageRequest {
  /** One partition, or one per owner in the caller's scope (merged in sort-key order). */
  partitions: PartitionQuery[];
  limit: number;
  cursor?: string | undefined;
  /** Newest (highest sort key) first by default. */
  order?: 'asc' | 'desc';
  filter?: { expression: string; names?: Record<string, string>; values?: Record<string, NativeAttributeValue> };
  /**
   * Items that stand for others (a deal's association links stand for their deals): reads
   * what each item stands for, in order (undefined: gone, dropped). Positions stay the read
   * items'; `match` applies to what this answers.
   */
  resolve?: (items: Item[]) => Promise<(Item | undefined)[]>;
  /** A filter evaluated in memory on the (resolved) items, in FilterExpression syntax. */
  match?: FilterSpec;
  /** Anything else that shapes the results (filters applied later): binds the cursor to it. */
  shape?: unknown;
}

interface BufferedItem {
  /** The read item's sort key in its partition. */
  key: string;
  /** The item read (its key is the partition's position). */
  raw: Item;
  /** What the list returns for it (the item itself, or what it stands for). */
  item: Item;
}

interface PartitionRead {
  id: string;
  partition: PartitionQuery;
  start: Position;
  /** Where reading goes on: after this key, from the top (null), or nowhere ("done"). */
  frontier: Position;
  /** Matches read and not yet returned, in order. */
  buffer: BufferedItem[];
  lastTaken: Item | undefined;
  sortKey: string;
}

interface QueryOut {
  items: Item[];
  lastKey: Record<string, unknown> | undefined;
  scanned: number;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export class UnexpectedWriteConflict extends Error {
  override readonly name = 'UnexpectedWriteConflict';
}

/** Counts the requests made, for the bench and for tests that pin request counts. */
export interface RequestMeter {
  count(operation: string, consumedCapacity?: number): void;
}

export class Table {
  readonly client: DynamoDBDocumentClient;
  readonly name: string;
  readonly #cursors: CursorCodec;
  readonly #meter: RequestMeter | undefined;

  constructor(options: { client: DynamoDBDocumentClient; name: string; cursors: CursorCodec; meter?: RequestMeter }) {
    this.client = options.client;
    this.name = options.name;
    this.#cursors = options.cursors;
    this.#meter = options.meter;
  }

  async get(key: Key, options: { consistent?: boolean } = {}): Promise<Item | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.name,
        Key: key,
        ConsistentRead: options.consistent ?? true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    this.#meter?.count('GetItem', out.ConsumedCapacity?.CapacityUnits);
    return out.Item;
  }

  /**
   * Writes the records and the outbox items of `events` atomically. A created record of a kind
   * the Sell facade shows gets its Sell id in the same transaction (sell-ids.ts): one UpdateItem
   * ADD per kind created takes the numbers first.
   */
  async write(ops: WriteOp[], events: DomainEvent[] = []): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
    ops = await this.#withSellIds(ops);
    const all = [...ops, ...events.map((event): WriteOp => ({ type: 'create', item: outboxItem(event, now) }))];
    if (all.length === 0) return;
    if (all.length > 100) throw new Error(`a transaction holds at most 100 writes, got ${all.length}`);
    const input = new TransactWriteCommand({
      TransactItems: all.map((op) => this.#transactItem(op)),
      ReturnConsumedCapacity: 'TOTAL',
    });
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await this.client.send(input);
        this.#meter?.count('TransactWriteItems', sumCapacity(out.ConsumedCapacity));
        return;
      } catch (error) {
        this.#meter?.count('TransactWriteItems');
        // Another transaction held one of the items (counters, stage items): try again shortly.
        if (isTransactionConflict(error) && attempt < 5) {
          await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 20 * attempt));
          continue;
        }
        throw conflictFrom(error, all);
      }
    }
  }

  async #withSellIds(ops: WriteOp[]): Promise<WriteOp[]> {
    const created = new Map<SellIdType, string[]>();
    const extra: WriteOp[] = [];
    for (const op of ops) {
      if (op.type !== 'create') continue;
      const type = sellTypeOfCreated(op.item);
      if (!type) continue;
      // An import keeping Sell's ids names the number (withAssignedSellIds).
      const assigned = assignedSellId(type, op.item);
      if (assigned !== undefined) extra.push(...sellIdOps(type, assigned, String(op.item.id)));
      else created.set(type, [...(created.get(type) ?? []), String(op.item.id)]);
    }
    if (created.size === 0 && extra.length === 0) return ops;
    for (const [type, ids] of created) {
      const first = await allocateSellIds(this, type, ids.length);
      this.#meter?.count('UpdateItem');
      ids.forEach((id, i) => extra.push(...sellIdOps(type, first + i, id)));
    }
    return [...ops, ...extra];
  }

  /** Reads records by key, 100 a request (keys of missing records are skipped). */
  async getMany(keys: Key[]): Promise<Item[]> {
    if (keys.length === 0) return [];
    // BatchGetItem takes 100 keys a call.
    if (keys.length > 100) {
      const chunks = await Promise.all(
        Array.from({ length: Math.ceil(keys.length / 100) }, (_, i) => this.getMany(keys.slice(i * 100, i * 100 + 100))),
      );
      return chunks.flat();
    }
    const out = await this.client.send(
      new BatchGetCommand({
        RequestItems: { [this.name]: { Keys: keys, ConsistentRead: true } },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    this.#meter?.count('BatchGetItem', sumCapacity(out.ConsumedCapacity));
    const items = out.Responses?.[this.name] ?? [];
    const unprocessed = out.UnprocessedKeys?.[this.name]?.Keys as Key[] | undefined;
    return unprocessed?.length ? [...items, ...(await this.getMany(unprocessed))] : items;
  }

  /** Every item of one partition (a record and its children), for bounded partitions only. */
  async partition(pk: string, skPrefix?: string): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.name,
          KeyConditionExpression: skPrefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
          ExpressionAttributeNames: skPrefix ? { '#pk': 'pk', '#sk': 'sk' } : { '#pk': 'pk' },
          ExpressionAttributeValues: skPrefix ? { ':pk': pk, ':prefix': skPrefix } : { ':pk': pk },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.#meter?.count('Query', out.ConsumedCapacity?.CapacityUnits);
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /**
   * One page of a list, in sort-key order, merged across its partitions (one per owner in
   * scope). The cursor keeps each partition's position (the key of the last item returned
   * from it, or where DynamoDB stopped reading): a keyset, so records inserted or deleted
   * meanwhile never shift a walk. Filtered lists keep reading until the page is full, the
   * list ends or `budget` is spent: a page holds fewer than `limit` items (even none) while
   * more match only when the budget ran out. Unfiltered, a page costs one Query per partition.
   */
  async page(request: PageRequest, budget: ReadBudget = PAGE_BUDGET): Promise<Page<Item>> {
    const order = request.order ?? 'desc';
    const queryId = bindQuery({
      partitions: request.partitions,
      order,
      filter: request.filter,
      match: request.match,
      shape: request.shape,
    });
    // Every page may sign a cursor: the keys are loaded (cached) up front, so a function that
    // lists without its secret grant fails on its first list, not on its first long one.
    await this.#cursors.ready();
    const start: CursorState = request.cursor
      ? await this.#decode(request.cursor, queryId)
      : { q: queryId, p: Object.fromEntries(request.partitions.map((p) => [partitionId(p), null])) };
    const match = request.match ? compileFilter(request.match) : undefined;
    const filtered = request.filter !== undefined || match !== undefined || request.resolve !== undefined;

    const reads: PartitionRead[] = request.partitions.map((partition) => {
      const id = partitionId(partition);
      const position = start.p[id];
      const at: Position = position === undefined ? 'done' : position;
      return { id, partition, start: at, frontier: at, buffer: [], lastTaken: undefined, sortKey: sortKeyOf(partition) };
    });
    const atOrBefore = (a: string, b: string) => (order === 'asc' ? cmp(a, b) <= 0 : cmp(a, b) >= 0);
    const taken: Item[] = [];
    let scanned = 0;
    for (let round = 0; ; round++) {
      // Take the next item in order while no partition still unread could hold one before it.
      while (taken.length < request.limit) {
        let head: PartitionRead | undefined;
        for (const read of reads) {
          const first = read.buffer[0];
          if (first && (!head || !atOrBefore((head.buffer[0] as BufferedItem).key, first.key))) head = read;
        }
        const first = head?.buffer[0];
        if (!head || !first) break;
        const blocked = reads.some(
          (r) =>
            r.buffer.length === 0 &&
            r.frontier !== 'done' &&
            (r.frontier === null || !atOrBefore(first.key, String(r.frontier[r.sortKey]))),
        );
        if (blocked) break;
        head.buffer.shift();
        head.lastTaken = first.raw;
        taken.push(first.item);
      }
      if (taken.length >= request.limit) break;
      const needing = reads.filter((r) => r.buffer.length === 0 && r.frontier !== 'done');
      // Each partition read asks for at least one item: stop before that would pass the budget.
      if (needing.length === 0 || round >= budget.rounds || (round > 0 && budget.items - scanned < needing.length)) break;
      const wanted = request.limit - taken.length;
      const grow = filtered ? Math.max(wanted, FIRST_FILTERED_READ) * 4 ** round : wanted;
      const size = Math.max(1, Math.min(grow, Math.floor((budget.items - scanned) / needing.length)));
      const outs = await Promise.all(
        needing.map((r) => this.#query(r.partition, request, order, r.frontier as Record<string, unknown> | null, size)),
      );
      const resolved = request.resolve ? await request.resolve(outs.flatMap((o) => o.items)) : undefined;
      let n = 0;
      needing.forEach((read, i) => {
        const out = outs[i] as QueryOut;
        scanned += out.scanned;
        for (const raw of out.items) {
          const item = resolved ? resolved[n++] : raw;
          if (item && (!match || match(item))) read.buffer.push({ key: String(raw[read.sortKey]), raw, item });
        }
        read.frontier = out.lastKey ?? 'done';
      });
    }

    const next: Record<string, Position> = {};
    let more = false;
    for (const read of reads) {
      // Items read but not returned are read again next time, after the last one returned.
      const position =
        read.buffer.length > 0 ? (read.lastTaken ? keyOf(read.lastTaken, read.partition) : read.start) : read.frontier;
      next[read.id] = position;
      if (position !== 'done') more = true;
    }
    return { items: taken, next_cursor: more ? await this.#encode({ q: queryId, p: next }) : null };
  }

  /**
   * Every match of a query, up to `max` (for lists sorted by a field no index orders), reading
   * within `budget`: answers `truncated` when more match or the budget ran out first, so the
   * caller can refuse honestly.
   */
  async collect(
    request: Omit<PageRequest, 'limit' | 'cursor'>,
    max: number,
    budget: ReadBudget = COLLECT_BUDGET,
  ): Promise<{ items: Item[]; truncated: boolean }> {
    const page = await this.page({ ...request, limit: max + 1 }, budget);
    return { items: page.items.slice(0, max), truncated: page.items.length > max || page.next_cursor !== null };
  }

  /**
   * One Query of a whole partition in key order, for a migration's backfill: `after` is the
   * checkpoint the last chunk answered as `next` (DynamoDB's LastEvaluatedKey as JSON, null to
   * start), kept in the migration's own marker item, so it is not signed and needs no cursor key.
   */
  async chunk(partition: PartitionQuery, after: string | null, limit: number): Promise<{ items: Item[]; next: string | null }> {
    const { partitionKey } = partition.index ? indexAttributes(partition.index) : { partitionKey: tableSpec.partitionKey };
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.name,
        ...(partition.index ? { IndexName: partition.index } : {}),
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': partitionKey },
        ExpressionAttributeValues: { ':pk': partition.pk },
        Limit: limit,
        ...(after ? { ExclusiveStartKey: JSON.parse(after) as Record<string, NativeAttributeValue> } : {}),
      }),
    );
    return { items: out.Items ?? [], next: out.LastEvaluatedKey ? JSON.stringify(out.LastEvaluatedKey) : null };
  }

  /** A cursor for the place just after `after` in a list sorted in memory, bound to the query's shape. */
  async keysetCursor(shape: unknown, after: SortPosition): Promise<string> {
    return this.#encode({ q: bindQuery(shape), p: { after: { k: after.key, id: after.id } } });
  }

  /** The place a keysetCursor names (null without a cursor); a ValidationError (query.cursor) for another query's. */
  async readKeysetCursor(shape: unknown, cursor: string | undefined): Promise<SortPosition | null> {
    if (!cursor) return null;
    const after = (await this.#decode(cursor, bindQuery(shape))).p.after as { k?: unknown; id?: unknown } | undefined;
    if (!after || typeof after.id !== 'string' || (typeof after.k !== 'string' && typeof after.k !== 'number')) {
      throw invalidCursor();
    }
    return { key: after.k, id: after.id };
  }

  async #encode(state: CursorState): Promise<string> {
    await this.#cursors.ready();
    return this.#cursors.encode(state);
  }

  /** A cursor that fails to verify is tried once more with fresh keys (a rotation another container saw first). */
  async #decode(cursor: string, queryId: string): Promise<CursorState> {
    await this.#cursors.ready();
    try {
      return this.#cursors.decode(cursor, queryId);
    } catch (error) {
      if (!(await this.#cursors.refresh())) throw error;
      return this.#cursors.decode(cursor, queryId);
    }
  }

  async #query(
    partition: PartitionQuery,
    request: PageRequest,
    order: 'asc' | 'desc',
    position: Record<string, unknown> | null,
    limit: number,
  ): Promise<QueryOut> {
    const { partitionKey: pkName, sortKey: skName } = partition.index
      ? indexAttributes(partition.index)
      : { partitionKey: tableSpec.partitionKey, sortKey: tableSpec.sortKey };
    const names: Record<string, string> = { '#pk': pkName, ...request.filter?.names };
    const values: Record<string, NativeAttributeValue> = { ':pk': partition.pk, ...request.filter?.values };
    let condition = '#pk = :pk';
    if (partition.skBetween) {
      names['#sk'] = skName;
      values[':sk_from'] = partition.skBetween[0];
      values[':sk_to'] = partition.skBetween[1];
      condition += ' AND #sk BETWEEN :sk_from AND :sk_to';
    } else if (partition.skBeginsWith !== undefined) {
      names['#sk'] = skName;
      values[':sk_prefix'] = partition.skBeginsWith;
      condition += ' AND begins_with(#sk, :sk_prefix)';
    }
    const input: QueryCommandInput = {
      TableName: this.name,
      KeyConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: order === 'asc',
      Limit: limit,
      ReturnConsumedCapacity: 'TOTAL',
    };
    if (partition.index) input.IndexName = partition.index;
    if (request.filter) input.FilterExpression = request.filter.expression;
    if (position) input.ExclusiveStartKey = position;
    const out = await this.client.send(new QueryCommand(input));
    this.#meter?.count('Query', out.ConsumedCapacity?.CapacityUnits);
    return { items: out.Items ?? [], lastKey: out.LastEvaluatedKey, scanned: out.ScannedCount ?? out.Items?.length ?? 0 };
  }

  #transactItem(op: WriteOp) {
    const TableName = this.name;
    const onFail = { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const };
    switch (op.type) {
      case 'create':
        return { Put: { TableName, Item: op.item, ConditionExpression: 'attribute_not_exists(pk)', ...onFail } };
      case 'put':
        return { Put: { TableName, Item: op.item } };
      case 'remove':
        return { Delete: { TableName, Key: op.key } };
      case 'replace':
        return {
          Put: {
            TableName,
            Item: op.item,
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': op.expectedVersion },
            ...onFail,
          },
        };
      case 'delete':
        if (op.condition) {
          return {
            Delete: {
              TableName,
              Key: op.key,
              ConditionExpression: `attribute_exists(pk) AND (${op.condition})`,
              ...(op.values ? { ExpressionAttributeValues: op.values } : {}),
              ...onFail,
            },
          };
        }
        return op.expectedVersion === undefined
          ? { Delete: { TableName, Key: op.key, ConditionExpression: 'attribute_exists(pk)', ...onFail } }
          : {
              Delete: {
                TableName,
                Key: op.key,
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': op.expectedVersion },
                ...onFail,
              },
            };
      case 'update':
        return {
          Update: {
            TableName,
            Key: op.key,
            UpdateExpression: op.update,
            ...(op.condition ? { ConditionExpression: op.condition } : {}),
            ...(op.names ? { ExpressionAttributeNames: op.names } : {}),
            ...(op.values ? { ExpressionAttributeValues: op.values } : {}),
            ...onFail,
          },
        };
      case 'check':
        return {
          ConditionCheck: {
            TableName,
            Key: op.key,
            ConditionExpression: op.condition,
            ...(op.names ? { ExpressionAttributeNames: op.names } : {}),
            ...(op.values ? { ExpressionAttributeValues: op.values } : {}),
            ...onFail,
          },
        };
    }
  }
}

/** Outbox items: "event#<event id>" / "event". */
export const outboxKey = tableKeys<[eventId: string]>('event', 'event');
/**
 * Outbox items by the UTC day their event occurred ("event#2026-12-01" in the "all" index),
 * sorted by `outboxTimeKey`: what `npm run redrive -- --from --to` reads.
 */
export const outboxByDay = indexPartitions<[day: string]>(INDEX.all, 'event');
/** An outbox item's sort key in `outboxByDay`: the event's occurred_at (ISO), "#", its id. */
export const outboxTimeKey = (event: DomainEvent): string => `${event.metadata.occurred_at}#${event.metadata.event_id}`;
/** Powertools idempotency records (platform/http/idempotency.ts): one partition, sorted by key hash. */
export const idempotencyPartition = tablePartition('idempotency');

/**
 * The outbox item of an event. The envelope is kept as JSON text: it reaches the bus byte for
 * byte as written, whatever DynamoDB does to empty maps, sets or number precision.
 */
export function outboxItem(event: DomainEvent, nowSeconds: number): Item & ItemKeys {
  return {
    ...outboxKey(event.metadata.event_id),
    ...indexKeys(outboxTimeKey(event), outboxByDay(event.metadata.occurred_at.slice(0, 10))),
    [tableSpec.kindAttribute]: OUTBOX_KIND,
    event_type: event.metadata.event_type,
    event: JSON.stringify(event),
    [tableSpec.timeToLiveAttribute]: nowSeconds + OUTBOX_TTL_SECONDS,
  };
}

/**
 * The record as the domain knows it: keys, kind, TTL and internal attributes (named with a
 * leading underscore: sort and filter helpers such as `_value_minor`) stripped.
 */
export function fromItem<T>(item: Item): T {
  const record: Item = {};
  for (const [name, value] of Object.entries(item)) {
    if (
      !KEY_ATTRIBUTES.includes(name) &&
      name !== tableSpec.kindAttribute &&
      name !== tableSpec.timeToLiveAttribute &&
      !name.startsWith('_')
    ) {
      record[name] = value;
    }
  }
  return record as T;
}

function partitionId(p: PartitionQuery): string {
  return `${p.index ?? 'table'}|${p.pk}`;
}

function sortKeyOf(p: PartitionQuery): string {
  return p.index ? indexAttributes(p.index).sortKey : tableSpec.sortKey;
}

function keyOf(item: Item, partition: PartitionQuery): Record<string, unknown> {
  const key: Record<string, unknown> = { pk: item.pk, sk: item.sk };
  if (partition.index) {
    const { partitionKey, sortKey } = indexAttributes(partition.index);
    key[partitionKey] = item[partitionKey];
    key[sortKey] = item[sortKey];
  }
  return key;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sumCapacity(list: { CapacityUnits?: number }[] | undefined): number | undefined {
  return list?.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
}

function isTransactionConflict(error: unknown): boolean {
  return (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict') &&
    !(error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed')
  );
}

function conflictFrom(error: unknown, ops: WriteOp[]): unknown {
  if (error instanceof TransactionCanceledException) {
    const reasons = error.CancellationReasons ?? [];
    const index = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
    if (index === -1) return error;
    const op = ops[index];
    const old = reasons[index]?.Item;
    const current = old ? unmarshall(old as Record<string, AttributeValue>) : undefined;
    if (op && 'onConflict' in op && op.onConflict) return op.onConflict(current);
    return new UnexpectedWriteConflict(`condition failed on write ${index} (${op?.type ?? '?'})`);
  }
  if (error instanceof ConditionalCheckFailedException) return new UnexpectedWriteConflict(error.message);
  return error;
}
