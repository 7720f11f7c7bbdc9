import { ConflictError, NotFoundError } from '#shared/kernel/errors.ts';
import type { Call, Clock } from '#shared/kernel/ports.ts';
import {
  appointmentEvent,
  calendarRange,
  EXTERNAL_CALENDARS_MAX,
  FEED_FUTURE_MS,
  FEED_MAX_EACH,
  FEED_PAST_MS,
  feedTokenHash,
  feedView,
  newFeedToken,
  overlaps,
  sortEntries,
  taskEvent,
  tokenOfFeedFile,
  type CalendarEntry,
  type CalendarFeedView,
  type CreateExternalCalendarInput,
  type ExternalCalendar,
  type UpdateExternalCalendarInput,
} from './domain.ts';
import { feedIcs } from './ics.ts';
import type { CalendarFeeds, CalendarSources, ExternalCalendars } from './ports.ts';

// Calendars' use cases. A feed and an external calendar belong to one user: every route acts
// on the caller's own, whatever their role (as the notification inbox does), so an admin
// cannot read someone's feed URL or their private external calendars.

export interface CalendarDeps {
  feeds: CalendarFeeds;
  sources: CalendarSources;
  externals: ExternalCalendars;
}

/** GET /calendar_feed: whether the caller has a feed (the URL is shown only when made). */
export async function getCalendarFeed(deps: CalendarDeps, call: Call): Promise<CalendarFeedView> {
  return feedView(await deps.feeds.get(call.principal.user_id));
}

/**
 * POST /calendar_feed: a new secret token for the caller's feed, replacing (so revoking) any
 * former one. Returns the token (the route makes the URL of it) and the view.
 */
export async function rotateCalendarFeed(deps: CalendarDeps, call: Call): Promise<{ token: string; view: CalendarFeedView }> {
  const userId = call.principal.user_id;
  const former = await deps.feeds.get(userId);
  const token = newFeedToken();
  const feed = {
    user_id: userId,
    token_hash: feedTokenHash(token),
    token_hint: token.slice(0, 6),
    created_at: call.events.now.toISOString(),
  };
  await deps.feeds.put(feed, former);
  return { token, view: feedView(feed) };
}

/** DELETE /calendar_feed: turns the caller's feed off (its URL answers 404 from now on). */
export async function deleteCalendarFeed(deps: CalendarDeps, call: Call): Promise<void> {
  const feed = await deps.feeds.get(call.principal.user_id);
  if (feed) await deps.feeds.remove(feed);
}

/**
 * GET /calendar_feeds/{token}.ics (public: the URL is the credential): the feed of the token's
 * user, their appointments and task due times from FEED_PAST_MS ago to FEED_FUTURE_MS ahead.
 * NotFoundError for an unknown, rotated or turned-off token and for a deactivated user.
 */
export async function calendarFeedIcs(deps: CalendarDeps, clock: Clock, file: string): Promise<string> {
  const token = tokenOfFeedFile(file);
  const userId = token === undefined ? undefined : await deps.feeds.userOf(feedTokenHash(token));
  if (userId === undefined || !(await deps.sources.isActiveUser(userId))) {
    throw new NotFoundError('calendar feed', 'this URL', { code: 'calendar_feed.not_found' });
  }
  const now = clock.now();
  const from = now.getTime() - FEED_PAST_MS;
  const to = now.getTime() + FEED_FUTURE_MS;
  const [appointments, tasks] = await Promise.all([
    deps.sources.appointmentsOf(userId, from, to, FEED_MAX_EACH),
    deps.sources.tasksOf(userId, from, to, FEED_MAX_EACH),
  ]);
  return feedIcs({ name: 'CRM', now }, [...appointments.map(appointmentEvent), ...tasks.map(taskEvent)]);
}

// --- external calendars -----------------------------------------------------------------------

async function ownCalendar(deps: CalendarDeps, call: Call, id: string): Promise<ExternalCalendar> {
  const calendar = await deps.externals.get(id);
  if (!calendar || calendar.owner_id !== call.principal.user_id) throw new NotFoundError('external calendar', id);
  return calendar;
}

/** GET /external_calendars: the caller's own. */
export async function listExternalCalendars(deps: CalendarDeps, call: Call): Promise<{ items: ExternalCalendar[] }> {
  return { items: await deps.externals.listOf(call.principal.user_id) };
}

export const getExternalCalendar = (deps: CalendarDeps, call: Call, id: string): Promise<ExternalCalendar> =>
  ownCalendar(deps, call, id);

/**
 * POST /external_calendars: the caller adds an https ICS URL; its events arrive with the next
 * scheduled refresh. ConflictError past EXTERNAL_CALENDARS_MAX.
 */
export async function createExternalCalendar(
  deps: CalendarDeps,
  call: Call,
  input: CreateExternalCalendarInput,
): Promise<ExternalCalendar> {
  const owner = call.principal.user_id;
  if ((await deps.externals.listOf(owner)).length >= EXTERNAL_CALENDARS_MAX) {
    throw new ConflictError(`You have ${EXTERNAL_CALENDARS_MAX} external calendars already`, {
      code: 'external_calendar.limit_reached',
    });
  }
  const now = call.events.now.toISOString();
  const calendar: ExternalCalendar = {
    id: call.events.newId(),
    owner_id: owner,
    name: input.name,
    url: input.url,
    refreshed_at: null,
    last_error: null,
    event_count: 0,
    created_at: now,
    updated_at: now,
    version: 1,
  };
  await deps.externals.create(calendar);
  return calendar;
}

/** PATCH /external_calendars/{id}: a new name or URL (a new URL drops the old events until the next refresh). */
export async function updateExternalCalendar(
  deps: CalendarDeps,
  call: Call,
  id: string,
  input: UpdateExternalCalendarInput,
): Promise<ExternalCalendar> {
  const before = await ownCalendar(deps, call, id);
  const moved = input.url !== undefined && input.url !== before.url;
  const after: ExternalCalendar = {
    ...before,
    name: input.name ?? before.name,
    url: input.url ?? before.url,
    ...(moved ? { refreshed_at: null, last_error: null, event_count: 0 } : {}),
    updated_at: call.events.now.toISOString(),
    version: before.version + 1,
  };
  await deps.externals.update(before, after);
  return after;
}

/** DELETE /external_calendars/{id}: the calendar and its events. */
export async function deleteExternalCalendar(deps: CalendarDeps, call: Call, id: string): Promise<void> {
  await deps.externals.delete(await ownCalendar(deps, call, id));
}

/**
 * GET /calendar?from&to: the caller's appointments (owned or attended), task due times and
 * external calendars' events (read-only) overlapping [from, to], in start order.
 */
export async function calendarEntries(
  deps: CalendarDeps,
  call: Call,
  query: { from: string; to: string },
): Promise<{ items: CalendarEntry[] }> {
  const range = calendarRange(query.from, query.to);
  const userId = call.principal.user_id;
  // Appointments that started up to a year before `from` may still run into the range.
  const [appointments, tasks, calendars] = await Promise.all([
    deps.sources.appointmentsOf(userId, range[0] - 366 * 86_400_000, range[1], FEED_MAX_EACH),
    deps.sources.tasksOf(userId, range[0], range[1], FEED_MAX_EACH),
    deps.externals.listOf(userId),
  ]);
  const entries: CalendarEntry[] = [];
  for (const a of appointments) {
    if (!overlaps(a, range)) continue;
    const { id, name, location, start_at, end_at, all_day } = a;
    entries.push({
      source: 'appointment',
      id,
      calendar_id: null,
      title: name,
      location,
      start_at,
      end_at,
      all_day,
      read_only: false,
    });
  }
  for (const t of tasks) {
    const e = taskEvent(t);
    entries.push({
      source: 'task',
      id: t.id,
      calendar_id: null,
      title: e.summary,
      location: null,
      start_at: e.start_at,
      end_at: e.end_at,
      all_day: false,
      read_only: false,
    });
  }
  const events = await Promise.all(calendars.map(async (c) => ({ c, events: await deps.externals.events(c.id) })));
  for (const { c, events: list } of events) {
    for (const e of list) {
      if (!overlaps(e, range)) continue;
      entries.push({
        source: 'external',
        id: e.uid,
        calendar_id: c.id,
        title: e.summary,
        location: e.location,
        start_at: e.start_at,
        end_at: e.end_at,
        all_day: e.all_day,
        read_only: true,
      });
    }
  }
  return { items: sortEntries(entries) };
}
