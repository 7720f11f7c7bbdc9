import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod/mini';
import { appointmentUid } from '#shared/appointments/domain.ts';
import { ValidationError } from '#shared/kernel/errors.ts';
import { text } from '#shared/kernel/schema.ts';

// Calendars (F7.3). A user's calendar feed: their appointments (owned or attended) and their
// tasks' due times as an iCalendar file at a secret URL that calendar apps subscribe to (they
// cannot send credentials, so the URL is the credential). The token is 256 random bits, stored
// only as its SHA-256: a table read never yields a working URL, so the URL is shown once, when
// made; rotating makes a new one and the old one answers 404 at once.
//
// External calendars: read-only ICS feeds a user adds by https URL; a scheduled function
// refreshes them, and their events show beside the CRM's own in GET /calendar.

/** Bytes of a feed token (base64url: 43 characters). */
export const FEED_TOKEN_BYTES = 32;
const FEED_FILE = /^([A-Za-z0-9_-]{43})\.ics$/;

/** A new feed token: 256 random bits, base64url. */
export function newFeedToken(): string {
  return randomBytes(FEED_TOKEN_BYTES).toString('base64url');
}

/** What the table keeps of a token (and looks it up by): its SHA-256, hex. */
export function feedTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The token named by a feed file name "<token>.ics"; undefined when it is not one. */
export function tokenOfFeedFile(file: string): string | undefined {
  return FEED_FILE.exec(file)?.[1];
}

/** A user's feed as stored: the token's hash and a hint (its first characters) to recognise it by. */
export interface CalendarFeed {
  user_id: string;
  token_hash: string;
  token_hint: string;
  created_at: string;
}

/** GET /calendar_feed: whether the caller has a feed; the URL itself is shown only when made. */
export const calendarFeedSchema = z.object({
  enabled: z.boolean(),
  /** The token's first 6 characters (to tell which URL a calendar app holds); null without a feed. */
  token_hint: z.nullable(z.string()),
  /** When the current URL was made (created or rotated); null without a feed. */
  created_at: z.nullable(z.string()),
});
export type CalendarFeedView = z.output<typeof calendarFeedSchema>;

/** POST /calendar_feed: the new secret URL (shown this once), with the feed's view. */
export const calendarFeedCreatedSchema = z.object({
  ...calendarFeedSchema.shape,
  /** The feed's URL (https://<api>/calendar_feeds/<token>.ics); subscribe to it, keep it secret. */
  url: z.string(),
});

export function feedView(feed: CalendarFeed | undefined): CalendarFeedView {
  return feed
    ? { enabled: true, token_hint: feed.token_hint, created_at: feed.created_at }
    : { enabled: false, token_hint: null, created_at: null };
}

// --- the feed's events ------------------------------------------------------------------------

/** One VEVENT of a feed, or one event of an external calendar, as the CRM shows it. */
export interface CalendarEvent {
  /** iCalendar UID: stable for the record, so a calendar app updates rather than duplicates it. */
  uid: string;
  /** iCalendar SEQUENCE: rises with the record's changes. */
  sequence: number;
  summary: string;
  description: string | null;
  location: string | null;
  /** ISO instants; for an all-day event, the start of its first day and of the day after its last (UTC). */
  start_at: string;
  end_at: string;
  all_day: boolean;
  /** All-day only: first and last day (YYYY-MM-DD, inclusive); null otherwise. */
  start_date: string | null;
  end_date: string | null;
  /** ISO instant of the record's last change. */
  updated_at: string;
}

/** The UID of a task's due time in feeds: "task-<id>@crm". */
export const taskUid = (id: string): string => `task-${id}@crm`;

/** What a feed needs of an appointment (shared/appointments' Appointment has it all). */
export interface FeedAppointment {
  id: string;
  name: string;
  description: string | null;
  location: string | null;
  start_at: string;
  end_at: string;
  all_day: boolean;
  start_date: string | null;
  end_date: string | null;
  sequence: number;
  updated_at: string;
}

/** What a feed needs of a task (shared/tasks' Task has it all). */
export interface FeedTask {
  id: string;
  content: string;
  due_date: string | null;
  completed: boolean;
  version: number;
  updated_at: string;
}

const SUMMARY_MAX = 200;
const clip = (value: string, max: number): string => (value.length > max ? `${value.slice(0, max - 1)}…` : value);

export function appointmentEvent(a: FeedAppointment): CalendarEvent {
  return {
    uid: appointmentUid(a.id),
    sequence: a.sequence,
    summary: a.name,
    description: a.description,
    location: a.location,
    start_at: a.start_at,
    end_at: a.end_at,
    all_day: a.all_day,
    start_date: a.all_day ? a.start_date : null,
    end_date: a.all_day ? a.end_date : null,
    updated_at: a.updated_at,
  };
}

/**
 * A task's due time as an event of no length. Its SEQUENCE is the task's version (it rises with
 * every change); a completed task is marked "✓" in its summary.
 */
export function taskEvent(t: FeedTask & { due_date: string }): CalendarEvent {
  const line = clip(t.content.split('\n')[0] ?? '', SUMMARY_MAX);
  return {
    uid: taskUid(t.id),
    sequence: t.version,
    summary: `${t.completed ? '✓ ' : ''}Task: ${line}`,
    description: t.content,
    location: null,
    start_at: t.due_date,
    end_at: t.due_date,
    all_day: false,
    start_date: null,
    end_date: null,
    updated_at: t.updated_at,
  };
}

/** The window a feed covers around now: 90 days back, 400 days ahead (ms). */
export const FEED_PAST_MS = 90 * 86_400_000;
export const FEED_FUTURE_MS = 400 * 86_400_000;
/** Appointments and tasks a feed holds at most, each (the earliest in the window). */
export const FEED_MAX_EACH = 1_000;

// --- external calendars -----------------------------------------------------------------------

/** External calendars a user may add. */
export const EXTERNAL_CALENDARS_MAX = 10;
export const EXTERNAL_URL_MAX = 2_000;

/** An https URL with a host name or address, no credentials, no fragment. */
export const externalUrlSchema = z.url().check(
  z.maxLength(EXTERNAL_URL_MAX),
  z.refine((value: string) => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' && url.username === '' && url.password === '' && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an https URL without user name or password'),
);

export const createExternalCalendarInput = z.strictObject({ name: text(200), url: externalUrlSchema });
export const updateExternalCalendarInput = z.strictObject({
  name: z.optional(text(200)),
  url: z.optional(externalUrlSchema),
});
export type CreateExternalCalendarInput = z.output<typeof createExternalCalendarInput>;
export type UpdateExternalCalendarInput = z.output<typeof updateExternalCalendarInput>;

/** An external calendar as stored and shown (its events are kept apart: GET /calendar). */
export const externalCalendarSchema = z.object({
  id: z.string(),
  owner_id: z.string(),
  name: z.string(),
  url: z.string(),
  /** When its events were last read successfully; null before the first refresh. */
  refreshed_at: z.nullable(z.string()),
  /** Why the last refresh failed (a short reason); null when it worked. */
  last_error: z.nullable(z.string()),
  /** Events kept from the last successful refresh. */
  event_count: z.int(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.int(),
});
export type ExternalCalendar = z.output<typeof externalCalendarSchema>;

/** Events kept per external calendar at most (the earliest in the window). */
export const EXTERNAL_EVENTS_MAX = 500;

// --- GET /calendar ----------------------------------------------------------------------------

export const CALENDAR_ENTRY_SOURCES = ['appointment', 'task', 'external'] as const;

/** One entry of GET /calendar: an appointment, a task's due time, or an external calendar's event (read-only). */
export const calendarEntrySchema = z.object({
  source: z.enum(CALENDAR_ENTRY_SOURCES),
  /** The appointment's or task's id; the external event's UID. */
  id: z.string(),
  /** The external calendar's id; null for the CRM's own entries. */
  calendar_id: z.nullable(z.string()),
  title: z.string(),
  location: z.nullable(z.string()),
  start_at: z.string(),
  end_at: z.string(),
  all_day: z.boolean(),
  /** True for external events: they change only in their own calendar. */
  read_only: z.boolean(),
});
export type CalendarEntry = z.output<typeof calendarEntrySchema>;

/** Longest range GET /calendar covers (days). */
export const CALENDAR_RANGE_MAX_DAYS = 62;

/** [from, to] as epoch ms; ValidationError when reversed or longer than CALENDAR_RANGE_MAX_DAYS. */
export function calendarRange(from: string, to: string): [number, number] {
  const a = Date.parse(from);
  const b = Date.parse(to);
  if (b < a) throw ValidationError.field('query.to', `must not be before from (${from})`);
  if (b - a > CALENDAR_RANGE_MAX_DAYS * 86_400_000)
    throw ValidationError.field('query.to', `a range spans at most ${CALENDAR_RANGE_MAX_DAYS} days`);
  return [a, b];
}

/** Whether an event [start, end] overlaps [from, to] (an event of no length at `from` does). */
export function overlaps(event: Pick<CalendarEvent, 'start_at' | 'end_at'>, [from, to]: [number, number]): boolean {
  const start = Date.parse(event.start_at);
  const end = Math.max(Date.parse(event.end_at), start);
  return start <= to && (end > from || start === from || (start === end && start >= from));
}

/** Entries in start order (then source, then id), as GET /calendar answers them. */
export function sortEntries(entries: CalendarEntry[]): CalendarEntry[] {
  return entries.sort(
    (a, b) => Date.parse(a.start_at) - Date.parse(b.start_at) || a.source.localeCompare(b.source) || a.id.localeCompare(b.id),
  );
}
