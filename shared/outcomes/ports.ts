import type { BucketDelta, WindowPlan } from './domain.ts';

/** What applying one event's deltas did: 'duplicate' when that event had been applied before. */
export type ApplyOutcome = 'applied' | 'duplicate';

/** The outcome buckets (daily and monthly counters per scope) and the markers of applied events. */
export interface OutcomeStore {
  /**
   * Applies `deltas` and marks `eventId` applied, atomically: a second call with the same id
   * changes nothing and answers 'duplicate'. `deltas` must not be empty.
   */
  apply(eventId: string, eventType: string, deltas: readonly BucketDelta[]): Promise<ApplyOutcome>;
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
