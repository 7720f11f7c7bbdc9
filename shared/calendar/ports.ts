import type { CalendarFeed, ExternalCalendar, FeedAppointment, FeedTask } from './domain.ts';
import type { ExternalEvent } from './external-ics.ts';

/** Users' feeds: one per user, found by its token's hash. */
export interface CalendarFeeds {
  /** The user's feed (one GetItem); undefined without one. */
  get(userId: string): Promise<CalendarFeed | undefined>;
  /** Puts the user's feed and its token's lookup item; `former`'s lookup item is removed (one transaction). */
  put(feed: CalendarFeed, former: CalendarFeed | undefined): Promise<void>;
  /** Removes the feed and its lookup item. */
  remove(feed: CalendarFeed): Promise<void>;
  /** The user whose current token has this hash (one GetItem); undefined for none. */
  userOf(tokenHash: string): Promise<string | undefined>;
}

/** What a feed and GET /calendar read of the CRM's own records. */
export interface CalendarSources {
  /** The user's appointments (owned or attended) starting in [from, to] (epoch ms), by start, at most `limit`. */
  appointmentsOf(userId: string, from: number, to: number, limit: number): Promise<FeedAppointment[]>;
  /** The user's tasks due in [from, to] (epoch ms), open ones first, at most `limit`. */
  tasksOf(userId: string, from: number, to: number, limit: number): Promise<(FeedTask & { due_date: string })[]>;
  /** Whether the user exists and is active (a disabled user's feed answers 404). */
  isActiveUser(userId: string): Promise<boolean>;
}

/** External calendars and their events. */
export interface ExternalCalendars {
  /** The owner's calendars by id (one Query). */
  listOf(ownerId: string): Promise<ExternalCalendar[]>;
  get(id: string): Promise<ExternalCalendar | undefined>;
  create(calendar: ExternalCalendar): Promise<void>;
  /** Replaces `before` (VersionMismatchError when it changed meanwhile). */
  update(before: ExternalCalendar, after: ExternalCalendar): Promise<void>;
  /** Deletes the calendar and its events. */
  delete(calendar: ExternalCalendar): Promise<void>;
  /** The events kept from the calendar's last successful refresh. */
  events(id: string): Promise<ExternalEvent[]>;
  /**
   * Stores a refresh's outcome: the events (replacing the former ones) or the failure, with
   * the calendar's refreshed_at / last_error / event_count. Skipped (false) when the calendar
   * is gone or its URL changed since `seen` was read.
   */
  saveRefresh(seen: ExternalCalendar, outcome: { events: ExternalEvent[] } | { error: string }, at: string): Promise<boolean>;
  /** Every calendar in id order, a chunk at a time (checkpoint null: the start; next null: the end). */
  chunk(after: string | null, limit: number): Promise<{ items: ExternalCalendar[]; next: string | null }>;
}

/** Reads an external calendar's URL (SafeFetcher in production). */
export interface IcsReader {
  /** @throws Error (ExternalFetchError) naming why it could not be read */
  text(url: string): Promise<string>;
}
