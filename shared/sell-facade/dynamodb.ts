import { allocateSellIds, recordIdOf, sellIdOps, sellIdsOf, type SellIdType } from '#shared/platform/dynamodb/sell-ids.ts';
import type { Item, PartitionQuery, Table } from '#shared/platform/dynamodb/table.ts';
import { userIndex } from '#shared/identity/dynamodb.ts';
import { leadIndex } from '#shared/leads/dynamodb.ts';
import { contactIndex } from '#shared/contacts/dynamodb.ts';
import { dealIndex } from '#shared/deals/dynamodb.ts';
import { taskIndex } from '#shared/tasks/dynamodb.ts';
import { noteIndex } from '#shared/notes/dynamodb.ts';
import { pipelineIndex } from '#shared/pipelines/dynamodb.ts';
import { customFieldIndex } from '#shared/custom-fields/dynamodb.ts';
import type { SellType } from './domain.ts';
import type { SellIdLookup } from './ports.ts';

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
