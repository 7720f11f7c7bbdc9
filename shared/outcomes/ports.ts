import type { BucketDelta, OutcomeHead, OutcomeState, WindowPlan } from './domain.ts';

/** A deal or lead whose contribution the buckets hold. */
export type OutcomeRecordRef = Pick<OutcomeState, 'type' | 'id'>;

/** The outcome buckets (daily and monthly counters per scope) and the heads of the records counted in them. */
export interface OutcomeStore {
  /** A record's head (consistent read), or undefined when none was applied yet. */
  head(record: OutcomeRecordRef): Promise<OutcomeHead | undefined>;
  /**
   * Puts `next` as the record's head and applies `deltas` to the buckets, atomically, if the
   * head is still `expected` (undefined: absent) and the buckets it empties are as read.
   * Bucket attributes that reach 0 are removed and an item that holds no contribution is
   * deleted, so the items depend only on what is counted, not on the order it came in.
   * @returns false when the head or a bucket moved meanwhile: re-read the head and try again
   */
  advance(
    record: OutcomeRecordRef,
    expected: OutcomeHead | undefined,
    next: OutcomeHead,
    deltas: readonly BucketDelta[],
  ): Promise<boolean>;
  /** The bucket items of every scope (scopeKey) in the plan's ranges: attribute name → value. One Query per scope and range. */
  read(scopes: readonly string[], plan: WindowPlan): Promise<Record<string, unknown>[]>;
}

/** What the consumer looks up beside the event. */
export interface OutcomeDirectory {
  /** A stage's category (won, lost, unqualified, active); undefined for a stage that is gone. */
  stageCategory(stageId: string): Promise<string | undefined>;
  /** The team of a user now, or null (no team, or no such user). */
  teamOf(userId: string): Promise<string | null>;
}

/** The existing deals and leads, for the backfill. */
export interface OutcomeSource {
  /**
   * Up to `limit` records of `type` after `after` (a position this source gave, null: the
   * start), as stored; `next` is null after the last page.
   */
  page(
    type: OutcomeState['type'],
    after: string | null,
    limit: number,
  ): Promise<{ records: Record<string, unknown>[]; next: string | null }>;
}
