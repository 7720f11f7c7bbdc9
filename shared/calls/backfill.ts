import { contactIndex } from '#shared/contacts/dynamodb.ts';
import { leadIndex } from '#shared/leads/dynamodb.ts';
import { fromItem, type Table } from '#shared/platform/dynamodb/table.ts';
import { phoneIndexOps, type PhoneIndexed } from './dynamodb.ts';

// The phone index's backfill: leads and contacts written before the index existed get their
// numbers' items. Puts only, of items derived from the record: a chunk run again writes the
// same items, and a record changed meanwhile has had its items written by its own write.

/** Records per chunk (at most two numbers each: 50 writes, within one transaction's 100). */
export const PHONE_BACKFILL_PAGE = 25;

const SOURCES = [
  { type: 'lead', partition: () => leadIndex.all() },
  { type: 'contact', partition: () => contactIndex.all() },
] as const;

/**
 * One chunk from `checkpoint` (null: the start): the phone items of one page of leads, then
 * of contacts. Answers the next checkpoint, or null when done.
 */
export async function phoneIndexBackfillStep(table: Table, checkpoint: string | null): Promise<string | null> {
  const at = checkpoint ? (JSON.parse(checkpoint) as { source: number; after: string | null }) : { source: 0, after: null };
  const source = SOURCES[at.source];
  if (!source) return null;
  const chunk = await table.chunk(source.partition(), at.after, PHONE_BACKFILL_PAGE);
  const ops = chunk.items.flatMap((item) => phoneIndexOps(null, { ...fromItem<PhoneIndexed>(item), type: source.type }));
  if (ops.length > 0) await table.write(ops);
  const next = chunk.next !== null ? { source: at.source, after: chunk.next } : { source: at.source + 1, after: null };
  return next.source >= SOURCES.length ? null : JSON.stringify(next);
}
