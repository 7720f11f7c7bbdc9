import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import type { Activity, ActivityRecordType, ActivityVerb, ParentRef } from './domain.ts';

/** A parent's owner as the feed last learnt it, with the version of the record it came from. */
export interface ParentState {
  owner_id: string;
  version: number;
}

/** What one feed query reads: the partitions of `owners` (or the whole feed), newest first. */
export interface FeedQuery extends PageQuery {
  owners: 'all' | readonly string[];
  verb?: ActivityVerb | undefined;
  record_type?: ActivityRecordType | undefined;
  /** ISO date-times, both inclusive. */
  from?: string | undefined;
  to?: string | undefined;
}

export type PutOutcome = 'written' | 'duplicate' | 'owner_moved';

/** The feed's storage: entries by parent (the timeline), by owner and in one "all" list. */
export interface ActivityStore {
  /** The parent's state (strongly consistent); undefined before the feed saw the parent. */
  head(parent: ParentRef): Promise<ParentState | undefined>;
  /**
   * Sets the parent's state unless it already holds this version or a later one (events come
   * in any order: the highest version wins). Answers whether the owner changed by it, and
   * the state now stored (one UpdateItem).
   */
  advanceHead(parent: ParentRef, state: ParentState): Promise<{ ownerChanged: boolean; head: ParentState }>;
  /**
   * Writes the entry unless one with its event id exists ('duplicate'), provided the parent's
   * state still names `expectedOwner` (null: the feed holds no state for the parent);
   * otherwise 'owner_moved' and nothing is written. One TransactWriteItems.
   */
  putEntry(entry: Activity, expectedOwner: string | null): Promise<PutOutcome>;
  /**
   * One page (up to 100) of the parent's entries: those not under `owner` are moved to it.
   * @returns the position to go on from, undefined after the last page
   */
  rekeyPage(
    parent: ParentRef,
    owner: string,
    after?: Record<string, unknown>,
  ): Promise<{ moved: number; next?: Record<string, unknown> }>;
  /** A page of the feed, newest first: one Query per owner (one for "all"), within Table.page's budget. */
  list(query: FeedQuery): Promise<Page<Activity>>;
  /** Whether the parent holds a "created" entry for this record at this time (any event id). */
  hasCreated(parent: ParentRef, record: { id: string; created_at: string }): Promise<boolean>;
  /** A parent's entries, newest first: one Query. */
  timeline(parent: ParentRef, page: PageQuery): Promise<Page<Activity>>;
}

/** The current owner and version of a lead, contact, deal or task, read from the record itself. */
export interface RecordStates {
  stateOf(parent: ParentRef): Promise<ParentState | undefined>;
}

/** Existing records for the backfill: a bounded page of one kind's collection at a time. */
export interface BackfillSource {
  /**
   * Up to `limit` records of `kind` after `after` (a position this source gave), each with
   * the notes of a lead, contact or deal.
   */
  page(
    kind: 'lead' | 'contact' | 'deal' | 'task',
    after: string | null,
    limit: number,
  ): Promise<{ records: { record: Record<string, unknown>; notes: Record<string, unknown>[] }[]; next: string | null }>;
}
