import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import { indexKeys, indexPartition, indexPartitions, tablePartitions } from '#shared/platform/dynamodb/partitions.ts';
import { INDEX } from '#shared/platform/dynamodb/table-spec.ts';
import {
  fromItem,
  type Item,
  type ItemKeys,
  type Key,
  type PartitionQuery,
  type Table,
} from '#shared/platform/dynamodb/table.ts';
import { contactIndex } from '#shared/contacts/dynamodb.ts';
import { dealIndex } from '#shared/deals/dynamodb.ts';
import { leadIndex } from '#shared/leads/dynamodb.ts';
import { noteIndex } from '#shared/notes/dynamodb.ts';
import { taskIndex, taskKey } from '#shared/tasks/dynamodb.ts';
import { appointmentKey } from '#shared/appointments/dynamodb.ts';
import { entryOwner, type Activity, type ParentRef } from './domain.ts';
import type { ActivityStore, BackfillSource, FeedQuery, ParentState, PutOutcome, RecordStates } from './ports.ts';

// The feed on the single table. A parent's partition "activity#<type>#<id>" holds its entries
// (sk "at#<occurred_at>#<event_id>": the record's timeline) and its state (sk "head": owner and
// version, the highest version seen wins). Each entry also projects into its parent's current
// owner's feed (gsi1 "activity#<owner>") and the whole feed (gsi2 "activity"), both sorted by
// "<occurred_at>#<event_id>". When a parent changes owner, its entries are rewritten under the
// new owner (rekeyPage), so an entry is always listed exactly under whoever owns its parent.

/** A parent's partition: its entries and its state. */
export const activityPartition = tablePartitions<[type: string, id: string]>('activity');

/** The partitions feed lists read. */
export const activityIndex = {
  /** Entries whose parent this user owns. */
  byOwner: indexPartitions<[ownerId: string]>(INDEX.owner, 'activity'),
  /** Every entry (admins). */
  all: indexPartition(INDEX.all, 'activity'),
};

const ENTRY_PREFIX = 'at#';
const HEAD_SK = 'head';
/** Entries a rekey reads per Query (and rewrites, 25 per BatchWriteItem). */
export const REKEY_PAGE = 100;

const headKey = (parent: ParentRef): Key => ({ pk: activityPartition(parent.type, parent.id), sk: HEAD_SK });
const feedKey = (entry: Pick<Activity, 'occurred_at' | 'event_id'>) => `${entry.occurred_at}#${entry.event_id}`;

/** The stored item of an entry: a pure function of the entry, so a rewrite is byte-identical. */
export function activityItem(entry: Activity): Item & ItemKeys {
  return {
    pk: activityPartition(entry.parent.type, entry.parent.id),
    sk: `${ENTRY_PREFIX}${feedKey(entry)}`,
    ...indexKeys(feedKey(entry), entry.owner_id !== null ? activityIndex.byOwner(entry.owner_id) : null, activityIndex.all()),
    kind: 'activity',
    ...entry,
  };
}

const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException;

export class DynamoActivityStore implements ActivityStore {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async head(parent: ParentRef): Promise<ParentState | undefined> {
    const item = await this.#table.get(headKey(parent));
    return item ? { owner_id: String(item.owner_id), version: Number(item.version) } : undefined;
  }

  async advanceHead(parent: ParentRef, state: ParentState): Promise<{ ownerChanged: boolean; head: ParentState }> {
    try {
      const out = await this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.name,
          Key: headKey(parent),
          UpdateExpression: 'SET #owner = :owner, #version = :version, #kind = :kind',
          ConditionExpression: 'attribute_not_exists(#pk) OR #version < :version',
          ExpressionAttributeNames: { '#owner': 'owner_id', '#version': 'version', '#kind': 'kind', '#pk': 'pk' },
          ExpressionAttributeValues: { ':owner': state.owner_id, ':version': state.version, ':kind': 'activity_head' },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      return { ownerChanged: out.Attributes?.owner_id !== state.owner_id, head: state };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // A later version is stored: it stands.
      const head = await this.head(parent);
      if (!head) throw error;
      return { ownerChanged: false, head };
    }
  }

  async putEntry(entry: Activity, expectedOwner: string | null): Promise<PutOutcome> {
    const head = headKey(entry.parent);
    try {
      await this.#table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: this.#table.name,
                Key: head,
                ...(expectedOwner === null
                  ? { ConditionExpression: 'attribute_not_exists(pk)' }
                  : {
                      ConditionExpression: 'owner_id = :owner',
                      ExpressionAttributeValues: { ':owner': expectedOwner },
                    }),
              },
            },
            {
              Put: {
                TableName: this.#table.name,
                Item: activityItem(entry),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      return 'written';
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const [headReason, entryReason] = error.CancellationReasons ?? [];
        if (entryReason?.Code === 'ConditionalCheckFailed') return 'duplicate';
        if (headReason?.Code === 'ConditionalCheckFailed') return 'owner_moved';
      }
      throw error;
    }
  }

  async rekeyPage(
    parent: ParentRef,
    owner: string,
    after?: Record<string, unknown>,
  ): Promise<{ moved: number; next?: Record<string, unknown> }> {
    const out = await this.#table.client.send(
      new QueryCommand({
        TableName: this.#table.name,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': activityPartition(parent.type, parent.id), ':prefix': ENTRY_PREFIX },
        ConsistentRead: true,
        Limit: REKEY_PAGE,
        ...(after ? { ExclusiveStartKey: after } : {}),
      }),
    );
    const target = entryOwner(owner);
    const stale = (out.Items ?? []).filter((item) => (item.owner_id ?? null) !== target);
    const rewrites = stale.map((item) => activityItem({ ...fromItem<Activity>(item), owner_id: target }));
    for (let i = 0; i < rewrites.length; i += 25) await this.#batchPut(rewrites.slice(i, i + 25));
    return { moved: rewrites.length, ...(out.LastEvaluatedKey ? { next: out.LastEvaluatedKey } : {}) };
  }

  async #batchPut(items: Item[]): Promise<void> {
    let requests = items.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** Math.min(attempt, 6)));
      const out = await this.#table.client.send(new BatchWriteCommand({ RequestItems: { [this.#table.name]: requests } }));
      requests = (out.UnprocessedItems?.[this.#table.name] ?? []) as typeof requests;
      if (attempt > 8 && requests.length > 0) throw new Error('rekey: DynamoDB left writes unprocessed after 8 retries');
    }
  }

  async list(query: FeedQuery): Promise<Page<Activity>> {
    const range = timeRange(query.from, query.to);
    const partitions: PartitionQuery[] = (
      query.owners === 'all' ? [activityIndex.all()] : query.owners.map((o) => activityIndex.byOwner(o))
    ).map((p) => ({ ...p, ...(range ? { skBetween: range } : {}) }));
    if (partitions.length === 0) return { items: [], next_cursor: null };
    const page = await this.#table.page({
      partitions,
      limit: query.limit,
      cursor: query.cursor,
      order: 'desc',
      ...feedFilter(query),
    });
    return { items: page.items.map((i) => fromItem<Activity>(i)), next_cursor: page.next_cursor };
  }

  async hasCreated(parent: ParentRef, record: { id: string; created_at: string }): Promise<boolean> {
    const out = await this.#table.client.send(
      new QueryCommand({
        TableName: this.#table.name,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: '#record.#id = :id AND #verb = :created',
        ExpressionAttributeNames: { '#record': 'record', '#id': 'id', '#verb': 'verb' },
        ExpressionAttributeValues: {
          ':pk': activityPartition(parent.type, parent.id),
          ':prefix': `${ENTRY_PREFIX}${record.created_at}#`,
          ':id': record.id,
          ':created': 'created',
        },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).length > 0;
  }

  async timeline(parent: ParentRef, page: PageQuery): Promise<Page<Activity>> {
    const result = await this.#table.page({
      partitions: [{ pk: activityPartition(parent.type, parent.id), skBeginsWith: ENTRY_PREFIX }],
      limit: page.limit,
      cursor: page.cursor,
      order: 'desc',
    });
    return { items: result.items.map((i) => fromItem<Activity>(i)), next_cursor: result.next_cursor };
  }
}

/** Sort-key bounds of a time range (ISO instants; "~" sorts after every "#<event id>"). */
function timeRange(from: string | undefined, to: string | undefined): [string, string] | undefined {
  if (from === undefined && to === undefined) return undefined;
  return [from ?? '0', `${to ?? '9999'}~`];
}

function feedFilter(query: FeedQuery): { filter?: NonNullable<Parameters<Table['page']>[0]['filter']> } {
  const terms: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, string> = {};
  if (query.verb) {
    terms.push('#verb = :verb');
    names['#verb'] = 'verb';
    values[':verb'] = query.verb;
  }
  if (query.record_type) {
    terms.push('#record.#type = :type');
    names['#record'] = 'record';
    names['#type'] = 'type';
    values[':type'] = query.record_type;
  }
  return terms.length > 0 ? { filter: { expression: terms.join(' AND '), names, values } } : {};
}

/** Reads a parent's owner and version from the record itself (one GetItem). */
export class DynamoRecordStates implements RecordStates {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async stateOf(parent: ParentRef): Promise<ParentState | undefined> {
    // An export's state comes with its own event (export.finished), never from a record.
    if (parent.type === 'export' || parent.type === 'sell_import') return undefined;
    const key =
      parent.type === 'task'
        ? taskKey(parent.id)
        : parent.type === 'appointment'
          ? appointmentKey(parent.id)
          : recordKey(parent.type, parent.id);
    const item = await this.#table.get(key);
    if (!item || typeof item.owner_id !== 'string' || typeof item.version !== 'number') return undefined;
    return { owner_id: item.owner_id, version: item.version };
  }
}

const COLLECTIONS = { lead: leadIndex.all, contact: contactIndex.all, deal: dealIndex.all, task: taskIndex.all } as const;

/**
 * The backfill's records: a kind's "all" collection (gsi2) in key order, a page a Query, and
 * each lead's, contact's or deal's notes (one Query each, gsi3). Positions are the Query's
 * LastEvaluatedKey as JSON (the migration's checkpoint; no cursor key needed).
 */
export class DynamoBackfillSource implements BackfillSource {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async page(
    kind: keyof typeof COLLECTIONS,
    after: string | null,
    limit: number,
  ): Promise<{ records: { record: Record<string, unknown>; notes: Record<string, unknown>[] }[]; next: string | null }> {
    const chunk = await this.#table.chunk(COLLECTIONS[kind](), after, limit);
    const records = await Promise.all(
      chunk.items.map(async (item) => {
        const record = fromItem<Record<string, unknown>>(item);
        const notes = kind === 'task' ? [] : await this.#notesOf(kind, String(record.id));
        return { record, notes };
      }),
    );
    return { records, next: chunk.next };
  }

  async #notesOf(type: 'lead' | 'contact' | 'deal', id: string): Promise<Record<string, unknown>[]> {
    const partition = noteIndex.byRecord({ resource_type: type, resource_id: id });
    const notes: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.#table.client.send(
        new QueryCommand({
          TableName: this.#table.name,
          IndexName: partition.index,
          KeyConditionExpression: 'gsi3pk = :pk',
          ExpressionAttributeValues: { ':pk': partition.pk },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      notes.push(...(out.Items ?? []).map((i) => fromItem<Record<string, unknown>>(i)));
      start = out.LastEvaluatedKey;
    } while (start);
    return notes;
  }
}
