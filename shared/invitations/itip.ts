import ical, { ICalAttendeeRole, ICalAttendeeStatus, ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import type { RsvpStatus } from '#shared/appointments/domain.ts';

// iTIP (RFC 5546) over iMIP (RFC 6047): the VCALENDAR of an invitation (REQUEST), an update
// (REQUEST, higher SEQUENCE) or a cancellation (CANCEL), built with ical-generator (the
// attendee's answer, REPLY, is read in itip-reply.ts). Never written or parsed by hand.

export type InvitationMethod = 'REQUEST' | 'CANCEL';

/** What one invitation's calendar says: the appointment as of `sequence`, to one attendee. */
export interface InvitationCalendar {
  method: InvitationMethod;
  /** Stable per appointment: "<appointment id>@<domain>". */
  uid: string;
  sequence: number;
  /** DTSTAMP: when this version was sent. */
  stamp: Date;
  summary: string;
  description: string | null;
  location: string | null;
  start: string;
  end: string;
  allDay: boolean;
  /** All-day only: the first and last day (inclusive). */
  startDate: string | null;
  endDate: string | null;
  timeZone: string;
  organizer: { name: string; email: string };
  attendee: { name: string | null; email: string; status: RsvpStatus };
}

const PARTSTAT: Record<RsvpStatus, ICalAttendeeStatus> = {
  needs_action: ICalAttendeeStatus.NEEDSACTION,
  accepted: ICalAttendeeStatus.ACCEPTED,
  tentative: ICalAttendeeStatus.TENTATIVE,
  declined: ICalAttendeeStatus.DECLINED,
};

/** The VCALENDAR text (CRLF lines, folded) with METHOD, one VEVENT, ORGANIZER and the attendee with RSVP=TRUE. */
export function invitationIcs(c: InvitationCalendar): string {
  const calendar = ical({
    prodId: { company: 'open-sell-crm', product: 'crm', language: 'EN' },
    method: ICalCalendarMethod[c.method],
  });
  // All-day: DATE values; the day after endDate is DTEND (exclusive, RFC 5545).
  const day = (d: string) => new Date(`${d}T00:00:00Z`);
  const nextDay = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000);
  calendar.createEvent({
    id: c.uid,
    sequence: c.sequence,
    stamp: c.stamp,
    start: c.allDay && c.startDate ? day(c.startDate) : new Date(c.start),
    end: c.allDay && c.endDate ? nextDay(c.endDate) : new Date(c.end),
    allDay: c.allDay,
    summary: c.summary,
    ...(c.description ? { description: c.description } : {}),
    ...(c.location ? { location: c.location } : {}),
    status: c.method === 'CANCEL' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    organizer: { name: c.organizer.name, email: c.organizer.email },
    attendees: [
      {
        email: c.attendee.email,
        ...(c.attendee.name ? { name: c.attendee.name } : {}),
        role: ICalAttendeeRole.REQ,
        status: PARTSTAT[c.attendee.status],
        rsvp: c.method === 'REQUEST',
      },
    ],
  });
  return calendar.toString();
}
