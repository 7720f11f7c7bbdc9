import ical, { ICalCalendarMethod } from 'ical-generator';
import nodeIcal from 'node-ical';
import { EXTERNAL_EVENTS_MAX, type CalendarEvent } from './domain.ts';

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

/** An event read from an external calendar (one instance of a recurring one). */
export interface ExternalEvent {
  uid: string;
  summary: string;
  location: string | null;
  start_at: string;
  end_at: string;
  all_day: boolean;
}

const valueOf = (v: unknown): string | null => {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { val?: unknown }).val === 'string') return (v as { val: string }).val;
  return null;
};

const FIELD_MAX = 200;
const short = (v: string | null): string | null => (v === null ? null : v.slice(0, FIELD_MAX));

/**
 * The events of an ICS text that fall in [from, to] (recurring ones expanded, cancelled ones
 * left out), in start order, at most EXTERNAL_EVENTS_MAX. A text that is not iCalendar
 * throws Error('not an iCalendar file').
 */
export function externalEvents(text: string, from: Date, to: Date): ExternalEvent[] {
  if (!/^\s*BEGIN:VCALENDAR/i.test(text)) throw new Error('not an iCalendar file');
  const parsed = nodeIcal.sync.parseICS(text);
  const out: ExternalEvent[] = [];
  for (const component of Object.values(parsed)) {
    if (!component || component.type !== 'VEVENT') continue;
    if (component.status === 'CANCELLED' || component.recurrenceid) continue;
    const instances = nodeIcal.expandRecurringEvent(component, { from, to, expandOngoing: true });
    for (const instance of instances) {
      const start = instance.start;
      const end = instance.end ?? start;
      out.push({
        uid: String(component.uid ?? ''),
        summary: short(valueOf(instance.summary) ?? '') ?? '',
        location: short(valueOf(instance.event.location)),
        start_at: new Date(start.getTime()).toISOString(),
        end_at: new Date(Math.max(end.getTime(), start.getTime())).toISOString(),
        all_day: instance.isFullDay,
      });
    }
  }
  out.sort((a, b) => a.start_at.localeCompare(b.start_at) || a.uid.localeCompare(b.uid));
  return out.slice(0, EXTERNAL_EVENTS_MAX);
}
