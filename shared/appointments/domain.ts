import * as z from 'zod/mini';
import { ValidationError, type FieldProblem } from '#shared/kernel/errors.ts';
import { relatedRecordTypeSchema, type RecordRef } from '#shared/kernel/related-records.ts';
import { idSchema, notEmpty, text } from '#shared/kernel/schema.ts';
import { dateTimeSchema, minutesBefore } from '#shared/tasks/domain.ts';
import { REMINDER_PRESET_NAMES, REMINDER_PRESETS, type ReminderPreset } from '#shared/tasks/reminders.ts';

// Appointments (F7.1): a calendar entry with a time span, a time zone, an owner, attendees
// (users, leads, contacts or outside e-mail addresses, each with an RSVP status), an optional
// linked lead, contact or deal, and a reminder preset.
//
// Times. A timed appointment has `start_at` and `end_at`, instants (date-times with an offset,
// kept as given). An all-day appointment is given by dates instead: `start_date` and `end_date`
// (YYYY-MM-DD, both inclusive) in its `time_zone`; its `start_at` and `end_at` are then derived,
// in UTC: the start of start_date and the start of the day after end_date in that zone. So every
// appointment has instants, which lists sort and filter by and reminders count back from.
//
// `sequence` counts the changes attendees must hear about (iCalendar SEQUENCE): it starts at 0
// and rises by one on every change of time, time zone, all-day, location or attendee list.

/**
 * The UID of an appointment in every calendar object this product writes: invitations (REQUEST,
 * CANCEL) and feeds alike, so a user who is invited and also subscribes to their feed sees one
 * event, and an iTIP REPLY names it back (RFC 5545 §3.8.4.7: stable, globally unique; the id
 * is a ULID, so no host is needed to make it unique).
 */
export const appointmentUid = (id: string): string => `appointment-${id}@crm`;

/** The appointment id an iCalendar UID names, if it is one of ours (appointmentUid). */
export function appointmentIdOfUid(uid: string): string | undefined {
  const match = /^appointment-([0-9A-Za-z]{1,64})@crm$/.exec(uid.trim());
  return match?.[1];
}

export const APPOINTMENT_NAME_MAX = 200;
export const APPOINTMENT_DESCRIPTION_MAX = 5_000;
export const APPOINTMENT_LOCATION_MAX = 500;
/**
 * Attendees per appointment. Each user attendee is an item (their calendar entry) and a check
 * in the appointment's transaction, which holds at most 100 writes.
 */
export const ATTENDEES_MAX = 30;

export const RSVP_STATUSES = ['needs_action', 'accepted', 'tentative', 'declined'] as const;
export type RsvpStatus = (typeof RSVP_STATUSES)[number];

export const ATTENDEE_TYPES = ['user', 'lead', 'contact', 'email'] as const;
export type AttendeeType = (typeof ATTENDEE_TYPES)[number];

/** A calendar date, YYYY-MM-DD, between 1970 and 9999. */
export const dateSchema = z.iso
  .date()
  .check(z.refine((v: string) => v >= '1970-01-01' && v <= '9999-12-30', 'must be between 1970 and 9999'));

/** Whether `zone` is an IANA time zone this runtime knows ("Europe/Paris", "UTC"). */
export function isTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const timeZoneSchema = z.string().check(z.refine(isTimeZone, 'must be an IANA time zone, e.g. Europe/Paris'));

const attendeeInput = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('user'), id: idSchema }),
  z.strictObject({ type: z.literal('lead'), id: idSchema }),
  z.strictObject({ type: z.literal('contact'), id: idSchema }),
  z.strictObject({ type: z.literal('email'), email: z.email().check(z.maxLength(254)), name: z.optional(text(200)) }),
]);
export type AttendeeInput = z.output<typeof attendeeInput>;

/** An attendee as stored and shown: a user, lead or contact by id, or an outside address. */
export const attendeeSchema = z.object({
  type: z.enum(ATTENDEE_TYPES),
  /** The user's, lead's or contact's id; null for an e-mail attendee. */
  id: z.nullable(z.string()),
  /** The outside address (lower case); null for users, leads and contacts. */
  email: z.nullable(z.string()),
  /** A display name given with an outside address; null otherwise. */
  name: z.nullable(z.string()),
  /** RSVP: needs_action until the attendee answers an invitation. */
  status: z.enum(RSVP_STATUSES),
  /** When the attendee last answered (an RSVP link or an iTIP REPLY); absent until then. */
  responded_at: z.optional(z.string()),
});
export type Attendee = z.output<typeof attendeeSchema>;

const reminderSchema = z.enum(REMINDER_PRESET_NAMES);

const fields = {
  name: text(APPOINTMENT_NAME_MAX),
  description: z.nullable(text(APPOINTMENT_DESCRIPTION_MAX)),
  location: z.nullable(text(APPOINTMENT_LOCATION_MAX)),
  start_at: dateTimeSchema,
  end_at: dateTimeSchema,
  all_day: z.boolean(),
  start_date: dateSchema,
  end_date: dateSchema,
  time_zone: timeZoneSchema,
  owner_id: idSchema,
  attendees: z.array(attendeeInput).check(z.maxLength(ATTENDEES_MAX)),
  resource_type: z.nullable(relatedRecordTypeSchema),
  resource_id: z.nullable(idSchema),
  reminder: z.nullable(reminderSchema),
};

const optionalFields = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, z.optional(v)])) as {
  [K in keyof typeof fields]: z.ZodMiniOptional<(typeof fields)[K]>;
};

/** POST /appointments: a name, and either start_at/end_at or (all_day) start_date/end_date. */
export const createAppointmentInput = z.strictObject({ ...optionalFields, name: fields.name });
/** PATCH /appointments/{id}: any field; `attendees` replaces the list (known attendees keep their status). */
export const updateAppointmentInput = z.strictObject(optionalFields).check(notEmpty);

export type CreateAppointmentInput = z.output<typeof createAppointmentInput>;
export type UpdateAppointmentInput = z.output<typeof updateAppointmentInput>;

/** An appointment as stored, as the API shows it and as its events carry it. */
export const appointmentSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.nullable(z.string()),
  location: z.nullable(z.string()),
  /** The start: as given for a timed appointment, UTC for an all-day one (the start of start_date in time_zone). */
  start_at: z.string(),
  /** The end (not before start_at): for an all-day one, the start of the day after end_date in time_zone. */
  end_at: z.string(),
  all_day: z.boolean(),
  /** All-day only (null otherwise): the first and last day, in time_zone. */
  start_date: z.nullable(z.string()),
  end_date: z.nullable(z.string()),
  /** IANA time zone the appointment is shown and its days counted in. */
  time_zone: z.string(),
  owner_id: z.string(),
  creator_id: z.string(),
  attendees: z.array(attendeeSchema),
  /** The linked lead, contact or deal (both null: none). */
  resource_type: z.nullable(relatedRecordTypeSchema),
  resource_id: z.nullable(z.string()),
  /** The reminder preset (F7.4), null for none. */
  reminder: z.nullable(reminderSchema),
  /** When the reminder fires: start_at minus the preset; null without one. */
  remind_at: z.nullable(z.string()),
  /** iCalendar SEQUENCE: raised on every change of time, location or attendees. */
  sequence: z.int(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.int(),
});
export type Appointment = z.output<typeof appointmentSchema>;

// --- time zones -------------------------------------------------------------------------------

const OFFSET_NAME = /^GMT(?:([+-])(\d{1,2})(?::(\d{2}))?)?$/;

/** The offset of `zone` from UTC at instant `at` (ms since the epoch), in minutes (Paris in winter: 60). */
export function zoneOffsetMinutes(zone: string, at: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    .formatToParts(new Date(at))
    .find((p) => p.type === 'timeZoneName')?.value;
  const match = name ? OFFSET_NAME.exec(name) : null;
  if (!match) throw new Error(`no offset for time zone ${zone}`);
  if (!match[1]) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3] ?? 0);
  return match[1] === '-' ? -minutes : minutes;
}

/**
 * The instant (ISO, UTC) a calendar day starts in `zone`: its local midnight, or the first
 * local time after it when midnight is skipped by a clock change.
 */
export function startOfDay(date: string, zone: string): string {
  const midnightUtc = Date.parse(`${date}T00:00:00Z`);
  // Two rounds settle the offset in force at local midnight (it may differ from the UTC guess's).
  let at = midnightUtc - zoneOffsetMinutes(zone, midnightUtc) * 60_000;
  at = midnightUtc - zoneOffsetMinutes(zone, at) * 60_000;
  return new Date(at).toISOString();
}

/** The day after `date` (YYYY-MM-DD). */
export function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

// --- rules ------------------------------------------------------------------------------------

type Times = Pick<Appointment, 'start_at' | 'end_at' | 'all_day' | 'start_date' | 'end_date' | 'time_zone'>;
type TimesInput = Partial<
  Pick<CreateAppointmentInput, 'start_at' | 'end_at' | 'all_day' | 'start_date' | 'end_date' | 'time_zone'>
>;

/**
 * The times after a create (`before` null) or a change. A timed appointment needs start_at
 * and end_at (end not before start) and takes no dates; an all-day one needs start_date and
 * end_date (end not before start) and takes no instants, which are derived. Switching between
 * the two needs the other pair. ValidationError naming each problem.
 */
export function resolveTimes(before: Times | null, input: TimesInput): Times {
  const zone = input.time_zone ?? before?.time_zone ?? 'UTC';
  const allDay = input.all_day ?? before?.all_day ?? false;
  const problems: FieldProblem[] = [];
  const switched = before !== null && before.all_day !== allDay;
  if (allDay) {
    for (const f of ['start_at', 'end_at'] as const)
      if (input[f] !== undefined)
        problems.push({ field: `body.${f}`, message: 'an all-day appointment takes start_date and end_date' });
    const keep = before !== null && !switched;
    const start = input.start_date ?? (keep ? before.start_date : null);
    const end = input.end_date ?? (keep ? before.end_date : null);
    if (!start) problems.push({ field: 'body.start_date', message: 'is required for an all-day appointment' });
    if (!end) problems.push({ field: 'body.end_date', message: 'is required for an all-day appointment' });
    if (start && end && end < start)
      problems.push({ field: 'body.end_date', message: `must not be before start_date (${start})` });
    if (problems.length > 0 || !start || !end) throw new ValidationError(problems);
    return {
      all_day: true,
      start_date: start,
      end_date: end,
      time_zone: zone,
      start_at: startOfDay(start, zone),
      end_at: startOfDay(nextDay(end), zone),
    };
  }
  for (const f of ['start_date', 'end_date'] as const)
    if (input[f] !== undefined) problems.push({ field: `body.${f}`, message: 'only an all-day appointment takes dates' });
  const keep = before !== null && !switched;
  const start = input.start_at ?? (keep ? before.start_at : null);
  const end = input.end_at ?? (keep ? before.end_at : null);
  if (!start) problems.push({ field: 'body.start_at', message: 'is required' });
  if (!end) problems.push({ field: 'body.end_at', message: 'is required' });
  if (start && end && Date.parse(end) < Date.parse(start)) {
    const given = input.end_at !== undefined || input.start_at === undefined;
    problems.push({
      field: given ? 'body.end_at' : 'body.start_at',
      message: given ? `must not be before start_at (${start})` : `must not be after end_at (${end})`,
    });
  }
  if (problems.length > 0 || !start || !end) throw new ValidationError(problems);
  return { all_day: false, start_date: null, end_date: null, time_zone: zone, start_at: start, end_at: end };
}

const attendeeKey = (a: Pick<Attendee, 'type' | 'id' | 'email'>): string =>
  a.type === 'email' ? `email#${a.email ?? ''}` : `${a.type}#${a.id ?? ''}`;

/**
 * The attendee list after a create or a change: the input's order, addresses in lower case,
 * each known attendee keeping its status (needs_action for a new one). Duplicates are refused.
 */
export function resolveAttendees(before: readonly Attendee[], input: readonly AttendeeInput[]): Attendee[] {
  const known = new Map(before.map((a) => [attendeeKey(a), a]));
  const seen = new Set<string>();
  const problems: FieldProblem[] = [];
  const result = input.map((given, i): Attendee => {
    const attendee: Attendee =
      given.type === 'email'
        ? { type: 'email', id: null, email: given.email.toLowerCase(), name: given.name ?? null, status: 'needs_action' }
        : { type: given.type, id: given.id, email: null, name: null, status: 'needs_action' };
    const key = attendeeKey(attendee);
    if (seen.has(key)) problems.push({ field: `body.attendees.${i}`, message: 'is listed twice' });
    seen.add(key);
    const previous = known.get(key);
    if (!previous) return attendee;
    return previous.responded_at === undefined
      ? { ...attendee, status: previous.status }
      : { ...attendee, status: previous.status, responded_at: previous.responded_at };
  });
  if (problems.length > 0) throw new ValidationError(problems);
  return result;
}

/** The users whose calendars hold the appointment: its owner, then its user attendees (distinct). */
export function participants(appointment: Pick<Appointment, 'owner_id' | 'attendees'>): string[] {
  const ids = [appointment.owner_id];
  for (const a of appointment.attendees) if (a.type === 'user' && a.id && !ids.includes(a.id)) ids.push(a.id);
  return ids;
}

/** The reminder's instant: start_at minus the preset, in start_at's offset; null without a preset. */
export function remindAt(startAt: string, reminder: ReminderPreset | null): string | null {
  return reminder === null ? null : minutesBefore(startAt, REMINDER_PRESETS[reminder]);
}

const SEQUENCED: readonly (keyof Appointment)[] = [
  'start_at',
  'end_at',
  'all_day',
  'start_date',
  'end_date',
  'time_zone',
  'location',
];

/** Whether a change is one attendees must hear about (raises `sequence`). Statuses alone are not. */
export function needsNewSequence(before: Appointment, after: Appointment): boolean {
  if (SEQUENCED.some((f) => before[f] !== after[f])) return true;
  const list = (a: Appointment) => a.attendees.map(attendeeKey).join('\n');
  return list(before) !== list(after);
}

/** The appointment re-pointed to another record (lead conversion): a new version. */
export function moveAppointment(appointment: Appointment, to: RecordRef, at?: string): Appointment {
  return {
    ...appointment,
    resource_type: to.resource_type,
    resource_id: to.resource_id,
    ...(at !== undefined ? { updated_at: at } : {}),
    version: appointment.version + 1,
  };
}

/** The appointment no longer linked to a record (its record was deleted): a new version. */
export function unlinkAppointment(appointment: Appointment, at: string): Appointment {
  return { ...appointment, resource_type: null, resource_id: null, updated_at: at, version: appointment.version + 1 };
}

// --- list order -------------------------------------------------------------------------------

const utc = (iso: string): string => new Date(iso).toISOString();

/** Every list sorts by start: "<start in UTC>#<id>". */
export function appointmentOrderKey(appointment: Pick<Appointment, 'id' | 'start_at'>): string {
  return `${utc(appointment.start_at)}#${appointment.id}`;
}

/** Longest start range a list may ask for (a year and a day, a year view with its edges). */
export const RANGE_MAX_DAYS = 366;

/**
 * The sort key range [from, to] (inclusive) of appointments starting in [start_from, start_to]
 * (either open); ValidationError when the range is reversed or longer than RANGE_MAX_DAYS.
 */
export function startRange(start_from?: string, start_to?: string): [string, string] {
  if (start_from !== undefined && start_to !== undefined) {
    const span = Date.parse(start_to) - Date.parse(start_from);
    if (span < 0) throw ValidationError.field('query.start_to', `must not be before start_from (${start_from})`);
    if (span > RANGE_MAX_DAYS * 86_400_000)
      throw ValidationError.field('query.start_to', `a range spans at most ${RANGE_MAX_DAYS} days`);
  }
  // "0" sorts before any year from 1970, "#" before the id's characters and "~" after them.
  return [start_from === undefined ? '0' : `${utc(start_from)}#`, start_to === undefined ? '~' : `${utc(start_to)}#~`];
}
