import { appointmentIndex } from '#shared/appointments/dynamodb.ts';
import type { Appointment } from '#shared/appointments/domain.ts';
import { userKey } from '#shared/platform/dynamodb/keys.ts';
import { indexKeys, indexPartition, indexPartitions, tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import { INDEX } from '#shared/platform/dynamodb/table-spec.ts';
import { fromItem, type Item, type ItemKeys, type Key, type Table, type WriteOp } from '#shared/platform/dynamodb/table.ts';
import { versionedDelete, versionedReplace, type VersionedKind } from '#shared/platform/dynamodb/versioned.ts';
import { taskIndex } from '#shared/tasks/dynamodb.ts';
import type { Task } from '#shared/tasks/domain.ts';
import type { CalendarFeed, ExternalCalendar, FeedAppointment, FeedTask } from './domain.ts';
import type { ExternalEvent } from './external-ics.ts';
import type { CalendarFeeds, CalendarSources, ExternalCalendars } from './ports.ts';

// Calendars on the single table. A user's feed is "calendar_feed#<user>" (the token's hash,
// never the token), and its lookup item "calendar_feed_token#<hash>" names the user: the
// public route finds a feed by one GetItem of the hash. An external calendar is
// "external_calendar#<id>" / "external_calendar", in its owner's collection (gsi1) and in
// everyone's (gsi2, which the refresh walks); its events are one item beside it (sk "events"),
// replaced whole by each refresh (at most EXTERNAL_EVENTS_MAX short events: far below 400 KB).

export const calendarFeedKey = tableKeys<[userId: string]>('calendar_feed', 'calendar_feed');
export const feedTokenKey = tableKeys<[tokenHash: string]>('calendar_feed_token', 'calendar_feed_token');
export const externalCalendarKey = tableKeys<[id: string]>('external_calendar', 'external_calendar');
const EXTERNAL: VersionedKind<ExternalCalendar> = { name: 'external calendar', key: externalCalendarKey };
const eventsKey = (id: string): Key => ({ pk: externalCalendarKey(id).pk, sk: 'events' });

export const externalCalendarIndex = {
  /** A user's: "external_calendar#<owner>". */
  byOwner: indexPartitions<[ownerId: string]>(INDEX.owner, 'external_calendar'),
  /** Everyone's (the refresh). */
  all: indexPartition(INDEX.all, 'external_calendar'),
};

export class DynamoCalendarFeeds implements CalendarFeeds {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async get(userId: string): Promise<CalendarFeed | undefined> {
    const item = await this.#table.get(calendarFeedKey(userId), { consistent: true });
    return item ? fromItem<CalendarFeed>(item) : undefined;
  }

  async put(feed: CalendarFeed, former: CalendarFeed | undefined): Promise<void> {
    await this.#table.write([
      { type: 'put', item: { ...calendarFeedKey(feed.user_id), kind: 'calendar_feed', ...feed } },
      { type: 'put', item: { ...feedTokenKey(feed.token_hash), kind: 'calendar_feed_token', user_id: feed.user_id } },
      ...(former && former.token_hash !== feed.token_hash
        ? [{ type: 'remove', key: feedTokenKey(former.token_hash) } as WriteOp]
        : []),
    ]);
  }

  async remove(feed: CalendarFeed): Promise<void> {
    await this.#table.write([
      { type: 'remove', key: calendarFeedKey(feed.user_id) },
      { type: 'remove', key: feedTokenKey(feed.token_hash) },
    ]);
  }

  async userOf(tokenHash: string): Promise<string | undefined> {
    const item = await this.#table.get(feedTokenKey(tokenHash));
    return typeof item?.user_id === 'string' ? item.user_id : undefined;
  }
}

const utc = (ms: number): string => new Date(ms).toISOString();

export class DynamoCalendarSources implements CalendarSources {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async appointmentsOf(userId: string, from: number, to: number, limit: number): Promise<FeedAppointment[]> {
    const { items } = await this.#table.collect(
      { partitions: [{ ...appointmentIndex.calendar(userId), skBetween: [`${utc(from)}#`, `${utc(to)}#~`] }], order: 'asc' },
      limit,
    );
    return items.map((i) => fromItem<Appointment>(i));
  }

  async tasksOf(userId: string, from: number, to: number, limit: number): Promise<(FeedTask & { due_date: string })[]> {
    // Open ("0#<due>#<id>") then completed ("1#..."): each a key range of the assignee's list.
    const ranges = ['0', '1'].map((done): [string, string] => [`${done}#${utc(from)}#`, `${done}#${utc(to)}#~`]);
    const found = await Promise.all(
      ranges.map((skBetween) =>
        this.#table.collect({ partitions: [{ ...taskIndex.byOwner(userId), skBetween }], order: 'asc' }, limit),
      ),
    );
    return found
      .flatMap((r) => r.items.map((i) => fromItem<Task>(i)))
      .filter((t): t is Task & { due_date: string } => t.due_date !== null)
      .slice(0, limit);
  }

  async isActiveUser(userId: string): Promise<boolean> {
    const item = await this.#table.get(userKey(userId));
    return item?.status === 'active';
  }
}

function calendarItem(calendar: ExternalCalendar): Item & ItemKeys {
  return {
    ...externalCalendarKey(calendar.id),
    ...indexKeys(calendar.id, externalCalendarIndex.byOwner(calendar.owner_id), externalCalendarIndex.all()),
    kind: 'external_calendar',
    ...calendar,
  };
}

export class DynamoExternalCalendars implements ExternalCalendars {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async listOf(ownerId: string): Promise<ExternalCalendar[]> {
    const { items } = await this.#table.collect({ partitions: [externalCalendarIndex.byOwner(ownerId)], order: 'asc' }, 100);
    return items.map((i) => fromItem<ExternalCalendar>(i));
  }

  async get(id: string): Promise<ExternalCalendar | undefined> {
    const item = await this.#table.get(externalCalendarKey(id), { consistent: true });
    return item ? fromItem<ExternalCalendar>(item) : undefined;
  }

  async create(calendar: ExternalCalendar): Promise<void> {
    await this.#table.write([{ type: 'create', item: calendarItem(calendar) }]);
  }

  async update(before: ExternalCalendar, after: ExternalCalendar): Promise<void> {
    const dropEvents = before.url !== after.url;
    await this.#table.write([
      versionedReplace(EXTERNAL, before, calendarItem(after)),
      ...(dropEvents ? [{ type: 'remove', key: eventsKey(after.id) } as WriteOp] : []),
    ]);
  }

  async delete(calendar: ExternalCalendar): Promise<void> {
    await this.#table.write([versionedDelete(EXTERNAL, calendar), { type: 'remove', key: eventsKey(calendar.id) }]);
  }

  async events(id: string): Promise<ExternalEvent[]> {
    const item = await this.#table.get(eventsKey(id));
    return Array.isArray(item?.events) ? (item.events as ExternalEvent[]) : [];
  }

  async saveRefresh(
    seen: ExternalCalendar,
    outcome: { events: ExternalEvent[] } | { error: string },
    at: string,
  ): Promise<boolean> {
    // Re-read: a user's change since `seen` (a new URL, a new name) wins; a gone calendar takes nothing.
    const current = await this.get(seen.id);
    if (!current || current.url !== seen.url) return false;
    const after: ExternalCalendar =
      'events' in outcome
        ? { ...current, refreshed_at: at, last_error: null, event_count: outcome.events.length, version: current.version + 1 }
        : { ...current, last_error: outcome.error, version: current.version + 1 };
    try {
      await this.#table.write([
        versionedReplace(EXTERNAL, current, calendarItem(after)),
        ...('events' in outcome
          ? [{ type: 'put', item: { ...eventsKey(seen.id), kind: 'external_events', events: outcome.events } } as WriteOp]
          : []),
      ]);
    } catch (error) {
      // Changed between the read and the write: the next run reads it again.
      if ((error as { name?: string }).name === 'VersionMismatchError') return false;
      throw error;
    }
    return true;
  }

  async chunk(after: string | null, limit: number): Promise<{ items: ExternalCalendar[]; next: string | null }> {
    const { items, next } = await this.#table.chunk(externalCalendarIndex.all(), after, limit);
    return { items: items.map((i) => fromItem<ExternalCalendar>(i)), next };
  }
}
