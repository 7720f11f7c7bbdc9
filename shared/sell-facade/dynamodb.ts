import {
  advanceSellSequence,
  allocateSellIds,
  recordIdOf,
  sellIdOps,
  sellIdsOf,
  sellSequenceKey,
  type SellIdType,
} from '#shared/platform/dynamodb/sell-ids.ts';
import type { Item, PartitionQuery, Table, WriteOp } from '#shared/platform/dynamodb/table.ts';
import { ConflictError } from '#shared/kernel/errors.ts';
import { userIndex } from '#shared/identity/dynamodb.ts';
import { leadIndex } from '#shared/leads/dynamodb.ts';
import { contactIndex } from '#shared/contacts/dynamodb.ts';
import { dealIndex } from '#shared/deals/dynamodb.ts';
import { taskIndex } from '#shared/tasks/dynamodb.ts';
import { noteIndex } from '#shared/notes/dynamodb.ts';
import { pipelineIndex } from '#shared/pipelines/dynamodb.ts';
import { customFieldIndex } from '#shared/custom-fields/dynamodb.ts';
import { callIndex, textMessageIndex } from '#shared/calls/dynamodb.ts';
import { indexKeys, indexPartition, tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import { INDEX } from '#shared/platform/dynamodb/table-spec.ts';
import { tagKey } from '#shared/kernel/tags.ts';
import type { SellType } from './domain.ts';
import type { SellIdLookup, SellTag, TagRegistry } from './ports.ts';

// Sell ids on the table (shared/platform/dynamodb/sell-ids.ts), and the migration that gives
// records created before them their numbers.

export class DynamoSellIds implements SellIdLookup {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  numbersOf(type: SellType, ids: readonly string[]): Promise<Map<string, number>> {
    return sellIdsOf(this.#table, type, ids);
  }

  idOf(type: SellType, n: number): Promise<string | undefined> {
    return recordIdOf(this.#table, type, n);
  }
}

/** A tag of the registry: "tag#<id>" / "tag" (its Sell id is given as it is created). */
export const tagItemKey = tableKeys<[id: string]>('tag', 'tag');
/** A tag name's claim, one per resource type and name ignoring case: "tag_name#<type>#<key>" / "tag_name". */
export const tagNameKey = tableKeys<[resourceType: string, key: string]>('tag_name', 'tag_name');
/** Every tag, oldest first (ids follow creation). */
export const tagIndex = { all: indexPartition(INDEX.all, 'tag') };

const toTag = (item: Item): SellTag => ({
  id: String(item.id),
  name: String(item.name),
  resource_type: item.resource_type as SellTag['resource_type'],
  creator_id: String(item.creator_id),
  created_at: String(item.created_at),
  updated_at: String(item.updated_at),
});

const nameClaim = (tag: SellTag): WriteOp => ({
  type: 'create',
  item: { ...tagNameKey(tag.resource_type, tagKey(tag.name)), kind: 'tag_name', id: tag.id },
  onConflict: () => new ConflictError(`the tag name "${tag.name}" is taken`, {}),
});

/** The tag registry on the table: a tag item (indexed in its collection) and its name's claim, written together. */
export class DynamoTagRegistry implements TagRegistry {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async list(): Promise<SellTag[]> {
    return (await all(this.#table, tagIndex.all())).map(toTag);
  }

  async get(id: string): Promise<SellTag | undefined> {
    const item = await this.#table.get(tagItemKey(id));
    return item ? toTag(item) : undefined;
  }

  async find(resourceType: SellTag['resource_type'], name: string): Promise<SellTag | undefined> {
    const claim = await this.#table.get(tagNameKey(resourceType, tagKey(name)));
    return typeof claim?.id === 'string' ? this.get(claim.id) : undefined;
  }

  async claimed(resourceType: SellTag['resource_type'], name: string): Promise<boolean> {
    return (await this.#table.get(tagNameKey(resourceType, tagKey(name)))) !== undefined;
  }

  async create(tag: SellTag): Promise<boolean> {
    return this.#claiming(() =>
      this.#table.write([
        { type: 'create', item: { ...tagItemKey(tag.id), ...indexKeys(tag.id, tagIndex.all()), kind: 'tag', ...tag } },
        nameClaim(tag),
      ]),
    );
  }

  async rename(before: SellTag, after: SellTag): Promise<boolean> {
    const same = tagKey(before.name) === tagKey(after.name);
    return this.#claiming(() =>
      this.#table.write([
        { type: 'put', item: { ...tagItemKey(after.id), ...indexKeys(after.id, tagIndex.all()), kind: 'tag', ...after } },
        ...(same
          ? []
          : ([{ type: 'remove', key: tagNameKey(before.resource_type, tagKey(before.name)) }, nameClaim(after)] as WriteOp[])),
      ]),
    );
  }

  async remove(tag: SellTag): Promise<void> {
    await this.#table.write([
      { type: 'remove', key: tagItemKey(tag.id) },
      { type: 'remove', key: tagNameKey(tag.resource_type, tagKey(tag.name)) },
    ]);
  }

  /** Runs a write that claims a name: false when the claim exists (the transaction is cancelled). */
  async #claiming(write: () => Promise<void>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }
}

/** What the backfill walks, in order: each kind's whole collection (notes per lead, contact, deal). */
const SOURCES: readonly { type: SellIdType; partition: () => PartitionQuery }[] = [
  { type: 'user', partition: () => userIndex.all() },
  { type: 'pipeline', partition: () => pipelineIndex.pipelines() },
  { type: 'loss_reason', partition: () => pipelineIndex.entries('loss_reason') },
  { type: 'deal_unqualified_reason', partition: () => pipelineIndex.entries('deal_unqualified_reason') },
  { type: 'lead_unqualified_reason', partition: () => pipelineIndex.entries('lead_unqualified_reason') },
  { type: 'source', partition: () => pipelineIndex.entries('source') },
  { type: 'lead', partition: () => leadIndex.all() },
  { type: 'contact', partition: () => contactIndex.all() },
  { type: 'deal', partition: () => dealIndex.all() },
  { type: 'task', partition: () => taskIndex.all() },
];

/** Records per chunk of the backfill. */
export const SELL_ID_BACKFILL_PAGE = 50;

/**
 * One chunk of the Sell ids backfill from `checkpoint` (null: the start): numbers for the
 * records of one page that have none (and, for pipelines, their stages; for leads, contacts
 * and deals, their notes; custom fields with the users). Idempotent: a record with a number is
 * skipped, so a chunk run again after a crash numbers nothing twice. Answers the next
 * checkpoint, or null when done.
 */
export async function sellIdBackfillStep(table: Table, checkpoint: string | null): Promise<string | null> {
  const at = checkpoint ? (JSON.parse(checkpoint) as { source: number; after: string | null }) : { source: 0, after: null };
  const source = SOURCES[at.source];
  if (!source) return null;
  const chunk = await table.chunk(source.partition(), at.after, SELL_ID_BACKFILL_PAGE);
  await numberMissing(table, source.type, chunk.items);
  for (const item of chunk.items) {
    const id = String(item.id);
    if (source.type === 'pipeline') await numberMissing(table, 'stage', await all(table, pipelineIndex.stages(id)));
    if (source.type === 'lead' || source.type === 'contact' || source.type === 'deal') {
      await numberMissing(table, 'note', await all(table, noteIndex.byRecord({ resource_type: source.type, resource_id: id })));
    }
  }
  if (source.type === 'user' && at.after === null) {
    for (const type of ['lead', 'contact', 'deal'] as const) {
      await numberMissing(table, 'custom_field', await all(table, customFieldIndex.byResource(type)));
    }
  }
  const next = chunk.next !== null ? { source: at.source, after: chunk.next } : { source: at.source + 1, after: null };
  return next.source >= SOURCES.length ? null : JSON.stringify(next);
}

/**
 * One chunk of the second Sell ids backfill, for the kinds numbered since (calls, texts, call
 * outcomes): the call outcomes, the calls and texts nobody took (a provider's, unmatched), then
 * each user's calls and texts. Idempotent like sellIdBackfillStep; answers the next checkpoint,
 * or null when done.
 */
export async function callSellIdBackfillStep(table: Table, checkpoint: string | null): Promise<string | null> {
  const sources: readonly { type: SellIdType; partition: () => PartitionQuery }[] = [
    { type: 'call_outcome', partition: () => pipelineIndex.entries('call_outcome') },
    { type: 'call', partition: () => callIndex.unmatched('none') },
    { type: 'text_message', partition: () => textMessageIndex.unmatched('none') },
    { type: 'user', partition: () => userIndex.all() },
  ];
  const at = checkpoint ? (JSON.parse(checkpoint) as { source: number; after: string | null }) : { source: 0, after: null };
  const source = sources[at.source];
  if (!source) return null;
  const chunk = await table.chunk(source.partition(), at.after, SELL_ID_BACKFILL_PAGE);
  if (source.type === 'user') {
    for (const user of chunk.items) {
      await numberMissing(table, 'call', await all(table, callIndex.byUser(String(user.id))));
      await numberMissing(table, 'text_message', await all(table, textMessageIndex.byUser(String(user.id))));
    }
  } else await numberMissing(table, source.type, chunk.items);
  const next = chunk.next !== null ? { source: at.source, after: chunk.next } : { source: at.source + 1, after: null };
  return next.source >= sources.length ? null : JSON.stringify(next);
}

/**
 * One chunk of the lead conversions' Sell ids migration from `checkpoint` (null: the start): a
 * page of leads, and for each converted one whose conversion has no number of its own (converted
 * before conversions took theirs), a number: its lead's, the one /v2 showed it under, when no
 * conversion holds it (an imported one may); else the next of the conversions' sequence. The
 * first chunk moves that sequence past every lead number, so that conversions made from then on
 * take none a former conversion keeps. Idempotent: a conversion with its own number is skipped.
 * Answers the next checkpoint, or null when done.
 */
export async function conversionSellIdStep(table: Table, checkpoint: string | null): Promise<string | null> {
  if (checkpoint === null) {
    const leads = Number((await table.get(sellSequenceKey('lead')))?.last ?? 0);
    if (leads > 0) await advanceSellSequence(table, 'lead_conversion', leads);
  }
  const chunk = await table.chunk(leadIndex.all(), checkpoint, SELL_ID_BACKFILL_PAGE);
  const converted = chunk.items.filter((item) => item.status === 'converted').map((item) => String(item.id));
  const own = await sellIdsOf(table, 'lead_conversion', converted);
  const formerly = converted.filter((id) => !own.has(id));
  const leadNumbers = await sellIdsOf(table, 'lead', formerly);
  for (const id of formerly) {
    const kept = leadNumbers.get(id);
    if (kept !== undefined && (await numberConversion(table, kept, id))) continue;
    await numberConversion(table, await allocateSellIds(table, 'lead_conversion', 1), id);
  }
  return chunk.next;
}

/** Gives the conversion of lead `leadId` the number `n`; false when `n` is another's (it has none then). */
async function numberConversion(table: Table, n: number, leadId: string): Promise<boolean> {
  try {
    await table.write(sellIdOps('lead_conversion', n, leadId));
    return true;
  } catch (error) {
    const conflict = error instanceof ConflictError || (error as Error).name === 'UnexpectedWriteConflict';
    if (!conflict) throw error;
    // Numbered meanwhile (a run of this chunk again), or the number is taken.
    return (await sellIdsOf(table, 'lead_conversion', [leadId])).has(leadId);
  }
}

/** Every item of a bounded partition, with raw Queries (the migrate function holds no cursor key). */
async function all(table: Table, partition: PartitionQuery): Promise<Item[]> {
  const items: Item[] = [];
  let after: string | null = null;
  do {
    const chunk: { items: Item[]; next: string | null } = await table.chunk(partition, after, 100);
    items.push(...chunk.items);
    after = chunk.next;
  } while (after !== null);
  return items;
}

async function numberMissing(table: Table, type: SellIdType, items: readonly Item[]): Promise<void> {
  const ids = items.map((item) => String(item.id));
  if (ids.length === 0) return;
  const known = await sellIdsOf(table, type, ids);
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length === 0) return;
  const first = await allocateSellIds(table, type, missing.length);
  // 2 items a record, 50 records a transaction.
  for (let i = 0; i < missing.length; i += 50) {
    const slice = missing.slice(i, i + 50);
    await table.write(slice.flatMap((id, j) => sellIdOps(type, first + i + j, id)));
  }
}

/** The records whose tags the tag registry's backfill registers, in order. */
const TAGGED_SOURCES = [
  { type: 'lead', partition: () => leadIndex.all() },
  { type: 'contact', partition: () => contactIndex.all() },
  { type: 'deal', partition: () => dealIndex.all() },
] as const;

/** Records per chunk of the tag registry's backfill. */
export const TAG_BACKFILL_PAGE = 50;

/** A tagged record as the tag backfill reads it: its type, owner (the tags' creator) and tag names. */
export interface TaggedRecord {
  readonly type: SellTag['resource_type'];
  readonly owner_id: string;
  readonly tags: readonly string[];
}

/**
 * One page of the leads, then contacts, then deals from `checkpoint` (null: the start), with
 * their tags (records without tags left out); `next` is null after the last deals' page.
 */
export async function taggedRecordsChunk(
  table: Table,
  checkpoint: string | null,
): Promise<{ records: TaggedRecord[]; next: string | null }> {
  const at = checkpoint ? (JSON.parse(checkpoint) as { source: number; after: string | null }) : { source: 0, after: null };
  const source = TAGGED_SOURCES[at.source];
  if (!source) return { records: [], next: null };
  const chunk = await table.chunk(source.partition(), at.after, TAG_BACKFILL_PAGE);
  const records = chunk.items
    .filter((item) => Array.isArray(item.tags) && item.tags.length > 0)
    .map((item) => ({
      type: source.type,
      owner_id: String(item.owner_id ?? 'system'),
      tags: (item.tags as unknown[]).map(String),
    }));
  const next = chunk.next !== null ? { source: at.source, after: chunk.next } : { source: at.source + 1, after: null };
  return { records, next: next.source >= TAGGED_SOURCES.length ? null : JSON.stringify(next) };
}
