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
import { bindQuery, type CursorCodec, type CursorState, type Position } from './cursor.ts';
import { indexKeys, indexPartitions, tableKeys, tablePartition } from './partitions.ts';

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

export interface PageRequest {
  /** One partition, or one per owner in the caller's scope (merged in sort-key order). */
  partitions: PartitionQuery[];
  limit: number;
  cursor?: string | undefined;
  /** Newest (highest sort key) first by default. */
  order?: 'asc' | 'desc';
  filter?: { expression: string; names?: Record<string, string>; values?: Record<string, NativeAttributeValue> };
  /** Anything else that shapes the results (filters applied later): binds the cursor to it. */
  shape?: unknown;
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

  /** Writes the records and the outbox items of `events` atomically. */
  async write(ops: WriteOp[], events: DomainEvent[] = []): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
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
   * One page of a list. A single partition costs one Query; a fan-out across N owners
   * costs N Queries (one per partition not yet exhausted) and merges them by sort key.
   */
  async page(request: PageRequest): Promise<Page<Item>> {
    const order = request.order ?? 'desc';
    const queryId = bindQuery({ partitions: request.partitions, order, filter: request.filter, shape: request.shape });
    const start: CursorState = request.cursor
      ? await this.#decode(request.cursor, queryId)
      : { q: queryId, p: Object.fromEntries(request.partitions.map((p) => [partitionId(p), null])) };

    const reads = await Promise.all(
      request.partitions.map(async (partition) => {
        const id = partitionId(partition);
        const position = start.p[id];
        if (position === 'done' || position === undefined) {
          return {
            id,
            partition,
            items: [] as Item[],
            exhausted: true,
            lastKey: undefined as Record<string, unknown> | undefined,
          };
        }
        const out = await this.#query(partition, request, order, position);
        return { id, partition, items: out.items, exhausted: out.lastKey === undefined, lastKey: out.lastKey };
      }),
    );

    const sortKey = (p: PartitionQuery) => (p.index ? indexAttributes(p.index).sortKey : tableSpec.sortKey);
    const merged = reads
      .flatMap((read) => read.items.map((item) => ({ read, item, key: String(item[sortKey(read.partition)]) })))
      .sort((a, b) => (order === 'desc' ? cmp(b.key, a.key) : cmp(a.key, b.key)))
      .slice(0, request.limit);

    const next: Record<string, Position> = {};
    let more = false;
    for (const read of reads) {
      const taken = merged.filter((m) => m.read === read);
      const allTaken = taken.length === read.items.length;
      if (read.exhausted && allTaken) {
        next[read.id] = 'done';
        continue;
      }
      more = true;
      // All read items were used: go on after what DynamoDB evaluated (a filter may have
      // dropped items past the last one kept); else after the last item used.
      const last = taken.at(-1)?.item;
      if (allTaken && read.lastKey) next[read.id] = read.lastKey;
      else next[read.id] = last ? keyOf(last, read.partition) : (start.p[read.id] ?? null);
    }
    return {
      items: merged.map((m) => m.item),
      next_cursor: more ? await this.#encode({ q: queryId, p: next }) : null,
    };
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

  /**
   * Every item of a bounded query, up to `max` (for lists sorted by a field no index
   * orders): answers `truncated` when there were more, so the caller can refuse honestly.
   */
  async collect(request: Omit<PageRequest, 'limit' | 'cursor'>, max: number): Promise<{ items: Item[]; truncated: boolean }> {
    // What is collected is sorted in memory and paged by offset cursors (offsetCursor,
    // readOffsetCursor), which are synchronous: their keys are loaded here.
    await this.#cursors.ready();
    const items: Item[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.page({ ...request, limit: 100, cursor });
      items.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor && items.length <= max);
    return { items: items.slice(0, max), truncated: items.length > max || cursor !== undefined };
  }

  /** A cursor for a position in a list sorted in memory, bound to the query's shape. */
  offsetCursor(shape: unknown, offset: number): string {
    return this.#cursors.encode({ q: bindQuery(shape), p: { offset: { n: offset } } });
  }

  readOffsetCursor(shape: unknown, cursor: string | undefined): number {
    if (!cursor) return 0;
    const state = this.#cursors.decode(cursor, bindQuery(shape));
    const offset = (state.p.offset as { n?: unknown } | undefined)?.n;
    return typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 ? offset : 0;
  }

  async #query(
    partition: PartitionQuery,
    request: PageRequest,
    order: 'asc' | 'desc',
    position: Record<string, unknown> | null,
  ): Promise<{ items: Item[]; lastKey: Record<string, unknown> | undefined }> {
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
      Limit: request.limit,
      ReturnConsumedCapacity: 'TOTAL',
    };
    if (partition.index) input.IndexName = partition.index;
    if (request.filter) input.FilterExpression = request.filter.expression;
    if (position) input.ExclusiveStartKey = position;
    const out = await this.client.send(new QueryCommand(input));
    this.#meter?.count('Query', out.ConsumedCapacity?.CapacityUnits);
    return { items: out.Items ?? [], lastKey: out.LastEvaluatedKey };
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
