import nodeIcal from 'node-ical';
import { EXTERNAL_EVENTS_MAX } from './domain.ts';

// Reading external calendars (node-ical with RRULE expansion). Apart from the feed's writing
// (ics.ts) so that only the hourly refresh loads the parser and its recurrence library, not
// every API call of the calendar routes.

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
