import ical, { ICalCalendarMethod } from 'ical-generator';
import type { CalendarEvent } from './domain.ts';

// iCalendar (RFC 5545) through well-kept libraries: ical-generator writes the feeds (folding,
// escaping, CRLF, UTC times), node-ical reads external calendars (time zones, recurrences).

/** What a feed says about itself. */
export interface FeedHeader {
  /** The calendar's name in the subscriber's app (X-WR-CALNAME). */
  name: string;
  /** DTSTAMP of every event: the time the feed was made. */
  now: Date;
}

/** Refresh hint for subscribers (REFRESH-INTERVAL and X-PUBLISHED-TTL), seconds; apps may poll less often. */
export const FEED_TTL_SECONDS = 3600;

const dayStart = (date: string): Date => new Date(`${date}T00:00:00Z`);
const dayAfter = (date: string): Date => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000);

/**
 * The feed's text: a PUBLISH calendar of the events, each with its stable UID and SEQUENCE.
 * Timed events are written in UTC; all-day ones as dates (DTEND the day after the last day).
 */
export function feedIcs(header: FeedHeader, events: readonly CalendarEvent[]): string {
  const calendar = ical({
    name: header.name,
    prodId: { company: 'crm', product: 'calendar-feed', language: 'EN' },
    method: ICalCalendarMethod.PUBLISH,
    ttl: FEED_TTL_SECONDS,
  });
  for (const e of events) {
    const allDay = e.all_day && e.start_date !== null && e.end_date !== null;
    calendar.createEvent({
      id: e.uid,
      sequence: e.sequence,
      stamp: header.now,
      lastModified: new Date(e.updated_at),
      summary: e.summary,
      description: e.description,
      location: e.location,
      allDay,
      start: allDay ? dayStart(e.start_date!) : new Date(e.start_at),
      end: allDay ? dayAfter(e.end_date!) : new Date(e.end_at),
    });
  }
  return calendar.toString();
}
