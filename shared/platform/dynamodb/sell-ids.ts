import { AsyncLocalStorage } from 'node:async_hooks';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '#shared/kernel/errors.ts';
import { tableKeys } from './partitions.ts';
import type { Item, Table, WriteOp } from './table.ts';

// Sell ids (issue 17 item 2): every record the /v2 facade shows has a numeric id, as Sell's
// clients expect. A new record takes the next number of its type's sequence (one UpdateItem
// ADD, atomic) when its item is created, and the same transaction writes two small items: the
// number's ("sell#<type>#<n>" → the record's id: a lookup by numeric id is one GetItem) and the
// record's ("sell_of#<type>#<id>" → the number: a page of records maps in one BatchGetItem).
// They live beside the record, not on its item, because updates put the whole item again.
// A number is never reused: a failed transaction or a deleted record leaves a gap.

/** The record kinds that get a Sell id: the item's `kind`, which is also its key's name and sort key. */
export const SELL_ID_TYPES = [
  'user',
  'pipeline',
  'stage',
  'lead',
  'contact',
  'deal',
  'note',
  'task',
  'loss_reason',
  'deal_unqualified_reason',
  'lead_unqualified_reason',
  'source',
  'custom_field',
  // Calls (F2.4): their outcomes, calls and text messages.
  'call_outcome',
  'call',
  'text_message',
  // The facade's tag registry (shared/sell-facade/dynamodb.ts).
  'tag',
  // Lead conversions: the number names the converted lead (no item of its own). One made here
  // takes the next in its transaction (shared/lead-conversion/dynamodb.ts); an imported one keeps Sell's.
  'lead_conversion',
] as const;
export type SellIdType = (typeof SELL_ID_TYPES)[number];

/** The sequence of a type: "sell_seq#<type>" / "sell_seq", attribute `last`. */
export const sellSequenceKey = tableKeys<[type: string]>('sell_seq', 'sell_seq');
/** A number's record: "sell#<type>#<n>" / "sell", attribute `id`. */
export const sellNumberKey = tableKeys<[type: string, n: string]>('sell', 'sell');
/** A record's number: "sell_of#<type>#<id>" / "sell", attribute `sell_id`. */
export const sellOfKey = tableKeys<[type: string, id: string]>('sell_of', 'sell');

const isSellType = (kind: unknown): kind is SellIdType => SELL_ID_TYPES.includes(kind as SellIdType);

/** The type of a record item being created, when it is one that gets a Sell id. */
export function sellTypeOfCreated(item: Item): SellIdType | undefined {
  const kind = item.kind;
  if (!isSellType(kind) || typeof item.id !== 'string') return undefined;
  return item.pk === `${kind}#${item.id}` && item.sk === kind ? kind : undefined;
}

/** The two items that tie `n` and the record `id` of `type`, created with the record. */
export function sellIdOps(type: SellIdType, n: number, id: string): WriteOp[] {
  return [
    {
      type: 'create',
      item: { ...sellNumberKey(type, String(n)), kind: 'sell_id', id, sell_type: type },
      // Only an assigned number (withAssignedSellIds) can be taken: a sequence's never is.
      onConflict: () => new ConflictError(`Sell id ${n} of a ${type} is taken here`),
    },
    { type: 'create', item: { ...sellOfKey(type, id), kind: 'sell_id', sell_id: n, sell_type: type } },
  ];
}

/** The table's client, name and reads: what the sequence and the lookups need. */
export type SellIdTable = Pick<Table, 'client' | 'name' | 'get'>;

/** Takes `count` numbers of `type`'s sequence at once (one UpdateItem ADD); answers the first. */
export async function allocateSellIds(table: SellIdTable, type: SellIdType, count: number): Promise<number> {
  const out = await table.client.send(
    new UpdateCommand({
      TableName: table.name,
      Key: sellSequenceKey(type),
      UpdateExpression: 'ADD #last :n SET kind = :kind',
      ExpressionAttributeNames: { '#last': 'last' },
      ExpressionAttributeValues: { ':n': count, ':kind': 'sell_seq' },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Number(out.Attributes?.last) - count + 1;
}

/** The id of the record of `type` numbered `n` (one GetItem), or undefined. */
export async function recordIdOf(table: SellIdTable, type: SellIdType, n: number): Promise<string | undefined> {
  const item = await table.get(sellNumberKey(type, String(n)));
  return typeof item?.id === 'string' ? item.id : undefined;
}

/** The numbers of records of `type` by id (100 ids a BatchGetItem); ids without one are absent. */
export async function sellIdsOf(table: SellIdTable, type: SellIdType, ids: readonly string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 100) {
    let keys: Record<string, unknown>[] = unique.slice(i, i + 100).map((id) => ({ ...sellOfKey(type, id) }));
    while (keys.length > 0) {
      const out = await table.client.send(
        new BatchGetCommand({ RequestItems: { [table.name]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of (out.Responses?.[table.name] ?? []) as Item[]) {
        found.set(String(item.pk).slice(`sell_of#${type}#`.length), Number(item.sell_id));
      }
      keys = (out.UnprocessedKeys?.[table.name]?.Keys ?? []) as Record<string, unknown>[];
    }
  }
  return found;
}

/** How many writes Table.write adds to `ops` for Sell ids (2 per created record): for callers that fill a transaction to its limit. */
export function sellIdWriteCount(ops: readonly WriteOp[]): number {
  return ops.filter((op) => op.type === 'create' && sellTypeOfCreated(op.item) !== undefined).length * 2;
}

/**
 * The number a record being created takes instead of its sequence's next one: (its type, its
 * item) → a Sell id, or undefined for the next number. Set by an import that keeps Sell's ids.
 */
export type SellIdAssigner = (type: SellIdType, item: Item) => number | undefined;

const assigners = new AsyncLocalStorage<SellIdAssigner>();

/**
 * Runs `work` with `assign` choosing the numbers of the records it creates (the Sell importer:
 * imported records keep their Sell id). A number already taken fails the create's transaction.
 */
export function withAssignedSellIds<T>(assign: SellIdAssigner, work: () => Promise<T>): Promise<T> {
  return assigners.run(assign, work);
}

/** The number `assign` (withAssignedSellIds) gives a record being created, if any. */
export function assignedSellId(type: SellIdType, item: Item): number | undefined {
  return assigners.getStore()?.(type, item);
}

/**
 * Moves `type`'s sequence to at least `atLeast` (one conditional UpdateItem; a sequence past
 * it stays), so records made after an import take numbers past the imported ones.
 */
export async function advanceSellSequence(table: SellIdTable, type: SellIdType, atLeast: number): Promise<void> {
  try {
    await table.client.send(
      new UpdateCommand({
        TableName: table.name,
        Key: sellSequenceKey(type),
        UpdateExpression: 'SET #last = :n, kind = :kind',
        ConditionExpression: 'attribute_not_exists(#last) OR #last < :n',
        ExpressionAttributeNames: { '#last': 'last' },
        ExpressionAttributeValues: { ':n': atLeast, ':kind': 'sell_seq' },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}
