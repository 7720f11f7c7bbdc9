import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod/mini';
import { RSVP_STATUSES, type Appointment, type Attendee, type RsvpStatus } from '#shared/appointments/domain.ts';
import type { InvitationMethod } from './itip.ts';

// Invitations with RSVP (F7.2). Every save of an appointment that attendees must hear about
// (its `sequence` rose, or it was created or deleted) plans one mail per attendee: a REQUEST
// with the appointment as it is now (created, changed), or a CANCEL (deleted, or the attendee
// was taken off the list). Each planned mail is an item the mail-sender's invitation job claims
// and composes (raw MIME with a calendar part). Attendees answer by a link (a random token per
// mail, stored hashed) or by their calendar's iTIP REPLY, received by SES inbound.

/** The key prefix of the files bucket SES's receipt rule writes received mail to (locally: POST /_local/inbound). */
export const INBOUND_PREFIX = 'inbound/';

/** The appointment events that may send invitations (the bus rule's detail-types). */
export const INVITATION_EVENTS = ['appointment.created', 'appointment.updated', 'appointment.deleted'] as const;

/** The stable key of an attendee within an appointment: "user#<id>", "contact#<id>", "email#<address>". */
export const attendeeKeyOf = (a: Pick<Attendee, 'type' | 'id' | 'email'>): string =>
  a.type === 'email' ? `email#${a.email ?? ''}` : `${a.type}#${a.id ?? ''}`;

/** One mail to send: which method, to whom, carrying the appointment as of `appointment.sequence`. */
export interface PlannedInvitation {
  method: InvitationMethod;
  attendee: Attendee;
  appointment: Appointment;
}

/**
 * The mails an appointment event asks for (pure): created → a REQUEST to each attendee;
 * updated with a higher sequence → a REQUEST (SEQUENCE+1) to each attendee and a CANCEL to each
 * one taken off the list; deleted → a CANCEL to each attendee. Other changes (name, reminder,
 * answers) send nothing. The owner is the organizer and never gets one.
 */
export function planInvitations(
  type: string,
  after: Appointment,
  previous: Partial<Pick<Appointment, 'sequence' | 'attendees'>> | undefined,
): PlannedInvitation[] {
  const others = (list: readonly Attendee[]) => list.filter((a) => !(a.type === 'user' && a.id === after.owner_id));
  if (type === 'appointment.created')
    return others(after.attendees).map((attendee) => ({ method: 'REQUEST', attendee, appointment: after }));
  if (type === 'appointment.deleted')
    return others(after.attendees).map((attendee) => ({ method: 'CANCEL', attendee, appointment: after }));
  if (type !== 'appointment.updated' || previous?.sequence === undefined || previous.sequence >= after.sequence) return [];
  const current = new Set(after.attendees.map(attendeeKeyOf));
  const removed = others(previous.attendees ?? []).filter((a) => !current.has(attendeeKeyOf(a)));
  return [
    ...others(after.attendees).map((attendee): PlannedInvitation => ({ method: 'REQUEST', attendee, appointment: after })),
    ...removed.map((attendee): PlannedInvitation => ({ method: 'CANCEL', attendee, appointment: after })),
  ];
}

/** A new RSVP token: 32 random bytes, base64url (what the links carry; only its hash is stored). */
export const newRsvpToken = (): string => randomBytes(32).toString('base64url');

/** What is stored of a token: its SHA-256, hex (a leaked table does not answer for anyone). */
export const rsvpTokenHash = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** A token's shape: what a link may carry (anything else is refused before a read). */
export const rsvpTokenSchema = z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/, 'is not an RSVP token'));

/** What a token answers for: one attendee of one appointment, as invited at `sequence`. */
export interface RsvpGrant {
  appointment_id: string;
  attendee_key: string;
  sequence: number;
}

export const ANSWERS = RSVP_STATUSES.filter((s) => s !== 'needs_action') as Exclude<RsvpStatus, 'needs_action'>[];
export type Answer = (typeof ANSWERS)[number];

/** How an answer came: an RSVP link, or an iTIP REPLY mail. */
export type AnswerChannel = 'link' | 'itip_reply';

/** POST /rsvp/{token}. */
export const rsvpAnswerInput = z.strictObject({ response: z.enum(ANSWERS as [Answer, ...Answer[]]) });

/** What GET and POST /rsvp/{token} answer: the appointment as the attendee may see it, and their answer. */
export const rsvpViewSchema = z.object({
  appointment: z.object({
    name: z.string(),
    start_at: z.string(),
    end_at: z.string(),
    all_day: z.boolean(),
    time_zone: z.string(),
    location: z.nullable(z.string()),
    sequence: z.int(),
  }),
  /** Who invites: the appointment owner's display name, as the invitation mail names them. */
  organizer: z.object({ name: z.string() }),
  attendee: z.object({ name: z.nullable(z.string()), email: z.nullable(z.string()) }),
  response: z.enum(RSVP_STATUSES),
  responded_at: z.nullable(z.string()),
  /** The link came with an earlier version of the appointment (it changed since): the answer still counts. */
  superseded: z.boolean(),
});
export type RsvpView = z.output<typeof rsvpViewSchema>;

/** The appointment with one attendee's answer recorded (a new version; sequence unchanged). */
export function withAnswer(appointment: Appointment, attendeeKey: string, response: Answer, at: string): Appointment {
  return {
    ...appointment,
    attendees: appointment.attendees.map((a) =>
      attendeeKeyOf(a) === attendeeKey ? { ...a, status: response, responded_at: at } : a,
    ),
    updated_at: at,
    version: appointment.version + 1,
  };
}

/** "Thu, 3 Dec 2026, 10:00 – 11:00 (Europe/Paris)", or the days of an all-day appointment. */
export function describeWhen(
  a: Pick<Appointment, 'start_at' | 'end_at' | 'all_day' | 'start_date' | 'end_date' | 'time_zone'>,
): string {
  if (a.all_day && a.start_date && a.end_date) {
    const day = (d: string) =>
      new Intl.DateTimeFormat('en-GB', {
        weekday: 'short',
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        timeZone: 'UTC',
      }).format(new Date(`${d}T00:00:00Z`));
    return a.start_date === a.end_date ? `${day(a.start_date)} (all day)` : `${day(a.start_date)} – ${day(a.end_date)} (all day)`;
  }
  const date = new Intl.DateTimeFormat('en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: a.time_zone,
  });
  const time = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: a.time_zone });
  return `${date.format(new Date(a.start_at))} – ${time.format(new Date(a.end_at))} (${a.time_zone})`;
}
