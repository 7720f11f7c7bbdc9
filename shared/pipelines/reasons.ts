import * as z from 'zod/mini';
import { text } from '#shared/kernel/schema.ts';

// Reasons and sources (F4.2, X6): short lists admins keep, that deals and leads point at by
// id (loss_reason_id, unqualified_reason_id, source_id, a call's outcome_id). All share one shape.

export const NAMED_LIST_KINDS = [
  'loss_reason',
  'deal_unqualified_reason',
  'lead_unqualified_reason',
  'source',
  'call_outcome',
] as const;
export type NamedListKind = (typeof NAMED_LIST_KINDS)[number];

/** An entry of one of the lists: a reason or a source. */
export const namedEntrySchema = z.object({
  id: z.string(),
  name: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.int(),
  /**
   * Set once the entry is deleted: it is then out of its list and cannot be chosen again, but
   * records that named it keep its id, and GET by id still reads it.
   */
  deleted_at: z.optional(z.string()),
});
export type NamedEntry = z.output<typeof namedEntrySchema>;

/** How each list speaks of one of its entries, in messages. */
export const NAMED_LIST_LABELS: Record<NamedListKind, string> = {
  loss_reason: 'loss reason',
  deal_unqualified_reason: 'deal unqualified reason',
  lead_unqualified_reason: 'lead unqualified reason',
  source: 'source',
  call_outcome: 'call outcome',
};

/** What a fresh deployment starts with (F4.2: timing, budget, reorganisation...). */
export const DEFAULT_NAMED_LISTS: Record<NamedListKind, readonly string[]> = {
  loss_reason: ['Price', 'Timing', 'Budget', 'Went with a competitor', 'No decision'],
  deal_unqualified_reason: ['Timing', 'Budget', 'Reorganisation', 'Not a fit'],
  lead_unqualified_reason: ['No budget', 'Not a decision maker', 'Not interested', 'Bad contact details'],
  source: ['Website', 'Referral', 'Cold call', 'Event', 'Partner'],
  // Calls (F2.4): what came of one.
  call_outcome: ['Interested', 'Not interested', 'Left voicemail', 'No answer', 'Wrong number'],
};

export const namedEntryInput = z.strictObject({ name: text(100) });
