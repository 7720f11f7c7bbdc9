import * as z from 'zod/mini';
import { idSchema } from '#shared/kernel/schema.ts';

// Bulk operations (issue 15 item 5): one action (reassign the owner, add or remove a tag,
// delete) on many leads, contacts or deals, named by id or by the list route's filters, run
// asynchronously record by record with the requester's rights, each record's outcome kept.

export const BULK_RESOURCES = ['leads', 'contacts', 'deals'] as const;
export type BulkResource = (typeof BULK_RESOURCES)[number];

export const BULK_ACTIONS = ['reassign', 'add_tag', 'remove_tag', 'delete'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

export const BULK_STATUSES = ['queued', 'running', 'finished'] as const;
export type BulkStatus = (typeof BULK_STATUSES)[number];

/** How one record ended: done (or already so), out of the caller's reach, missing, or refused by a rule. */
export const BULK_OUTCOMES = ['ok', 'forbidden', 'not_found', 'failed'] as const;
export type BulkOutcome = (typeof BULK_OUTCOMES)[number];

/** The most ids one request names. */
export const BULK_MAX_IDS = 1000;
/** The most records a filter may select (more: the request is refused when the plan meets them). */
export const BULK_MAX_FILTERED = 10_000;
/** Records per queue message. */
export const BULK_BATCH_SIZE = 50;

export const createBulkOperationInput = z
  .strictObject({
    resource: z.enum(BULK_RESOURCES),
    action: z.enum(BULK_ACTIONS),
    /** reassign: the new owner. */
    owner_id: z.optional(idSchema),
    /** add_tag, remove_tag: the tag. */
    tag: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
    /** The records, by id (at most BULK_MAX_IDS) ... */
    ids: z.optional(z.array(idSchema).check(z.minLength(1), z.maxLength(BULK_MAX_IDS))),
    /** ... or by the list route's query filters (e.g. {"owner_id": "..."}), within the caller's visibility. */
    filter: z.optional(z.record(z.string().check(z.maxLength(255)), z.string().check(z.maxLength(1000)))),
  })
  .check(
    z.superRefine((input, ctx) => {
      const issue = (path: string, message: string) => ctx.issues.push({ code: 'custom', path: [path], message, input });
      if ((input.ids === undefined) === (input.filter === undefined)) issue('ids', 'give either ids or filter');
      if (input.action === 'reassign' && input.owner_id === undefined) issue('owner_id', 'is required to reassign');
      if ((input.action === 'add_tag' || input.action === 'remove_tag') && input.tag === undefined)
        issue('tag', 'is required to add or remove a tag');
    }),
  );
export type CreateBulkOperationInput = z.output<typeof createBulkOperationInput>;

export const bulkOperationSchema = z.object({
  id: z.string(),
  resource: z.enum(BULK_RESOURCES),
  action: z.enum(BULK_ACTIONS),
  owner_id: z.nullable(z.string()),
  tag: z.nullable(z.string()),
  /** The ids given, or null for a filter. */
  ids: z.nullable(z.array(z.string())),
  filter: z.nullable(z.record(z.string(), z.string())),
  status: z.enum(BULK_STATUSES),
  requester_id: z.string(),
  /** Known once planned (the filter run): records selected and messages made. */
  total: z.nullable(z.int()),
  batches: z.nullable(z.int()),
  batches_done: z.int(),
  ok: z.int(),
  forbidden: z.int(),
  not_found: z.int(),
  failed: z.int(),
  created_at: z.string(),
  updated_at: z.string(),
  finished_at: z.nullable(z.string()),
});
export type BulkOperation = z.output<typeof bulkOperationSchema>;

export const bulkResultSchema = z.object({
  id: z.string(),
  outcome: z.enum(BULK_OUTCOMES),
  /** The error code for forbidden, not_found and failed (e.g. "owner_not_assignable"). */
  code: z.nullable(z.string()),
});
export type BulkResult = z.output<typeof bulkResultSchema>;

/** A queue message: the plan (select the records, split them) or one batch of records. */
export const bulkMessageSchema = z.union([
  z.object({ type: z.literal('plan'), operation_id: z.string() }),
  z.object({ type: z.literal('batch'), operation_id: z.string(), batch: z.int(), ids: z.array(z.string()) }),
]);
export type BulkMessage = z.output<typeof bulkMessageSchema>;

/** The batch messages of the selected ids, BULK_BATCH_SIZE each, numbered from 0. */
export function batchesOf(operationId: string, ids: readonly string[]): (BulkMessage & { type: 'batch' })[] {
  const out: (BulkMessage & { type: 'batch' })[] = [];
  for (let i = 0; i < ids.length; i += BULK_BATCH_SIZE) {
    out.push({ type: 'batch', operation_id: operationId, batch: out.length, ids: ids.slice(i, i + BULK_BATCH_SIZE) });
  }
  return out;
}

/** Counters a batch adds to its operation. */
export type BulkCounts = Record<BulkOutcome, number>;

export const isComplete = (op: Pick<BulkOperation, 'batches' | 'batches_done'>): boolean =>
  op.batches !== null && op.batches_done >= op.batches;
