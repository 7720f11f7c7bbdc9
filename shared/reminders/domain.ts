import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { reminderScheduleName, type Reminder, type ReminderKind } from '#shared/kernel/reminder-scheduler.ts';

// Reminders delivered (F8.2, F7.4): one one-time schedule per (record, remind time), kept in
// step with the record by a consumer of its events, and checked against the record again when
// it fires. Every decision is made from the record as it is now, never from an event's order:
// events come at least once and in any order, and the record is the one truth.

/** What a reminder's record looks like to reminders: a task or an appointment. */
export interface RecordReminder {
  kind: ReminderKind;
  record_id: string;
  /** ISO date-time; null when the record has no reminder. */
  remind_at: string | null;
  /** False once the reminder means nothing any more (a completed task). */
  open: boolean;
  /**
   * Who is reminded: the task's assignee, the appointment's owner (its attending users are told
   * too, from the event's data). Read when the reminder fires, so a reassignment counts.
   */
  recipient_id: string;
}

/** The reminder's event when it comes due, by kind: the notifications consumer tells the recipient. */
export const REMINDER_DUE_EVENTS: Readonly<Record<ReminderKind, string>> = {
  task: 'task.reminder_due',
  appointment: 'appointment.reminder_due',
};

/**
 * A reminder set after its time (a task created at 09:50 with a 09:45 reminder) is sent at
 * once, provided the change that set it is this recent (ms): an old event (a redrive, a
 * replay, a retry after hours) does not wake a reminder long past. Scheduler's own maximum
 * event age for a reminder is an hour too (shared/platform/scheduler.ts).
 */
export const LATE_REMINDER_LIMIT_MS = 60 * 60 * 1000;

/** The schedule's input: which reminder fired. The recipient is not in it: it is read at fire time. */
export const reminderPayloadSchema = z.object({
  kind: z.enum(['task', 'appointment']),
  record_id: z.string().check(z.minLength(1)),
  /** The remind time the schedule was made for (ISO); a record whose reminder moved since drops it. */
  remind_at: z.iso.datetime({ offset: true }),
});
export type ReminderPayload = z.output<typeof reminderPayloadSchema>;

/** Two ISO times name one reminder when they fall in the same second (Scheduler's precision, and the name's). */
export function sameReminderTime(a: string, b: string): boolean {
  return Math.floor(Date.parse(a) / 1000) === Math.floor(Date.parse(b) / 1000);
}

/** The schedule name of a record's reminder at `remindAt` (ISO). */
export function scheduleNameOf(kind: ReminderKind, recordId: string, remindAt: string): string {
  return reminderScheduleName(kind, recordId, new Date(remindAt));
}

/** The schedule of a record's reminder at `remindAt`. */
export function reminderOf(kind: ReminderKind, recordId: string, remindAt: string): Reminder {
  const payload: ReminderPayload = { kind, record_id: recordId, remind_at: remindAt };
  return { name: scheduleNameOf(kind, recordId, remindAt), at: new Date(remindAt), payload };
}

/** What one change of a record tells the sync (from its event). */
export interface ReminderChange {
  kind: ReminderKind;
  record_id: string;
  /** Every remind time the event names (its data and its previous): each may have a schedule to remove. */
  mentioned: readonly string[];
  /** The remind time this change set (created with it, or moved to it); null when it set none. */
  set: string | null;
  /** When the change was made (the event's occurred_at). */
  occurred_at: string;
}

/**
 * The reminder the record should have armed now, or null. A reminder in the future is armed;
 * one already past is armed (to fire at once) only by the recent change that set it, so the
 * sync after any other change (a new content, a reassignment after the reminder went) never
 * sends a past reminder again.
 */
export function wantedReminder(record: RecordReminder | undefined, change: ReminderChange, now: Date): string | null {
  if (!record || !record.open || record.remind_at === null) return null;
  const at = record.remind_at;
  if (Date.parse(at) > now.getTime()) return at;
  const setNow = change.set !== null && sameReminderTime(change.set, at);
  const recent = now.getTime() - Date.parse(change.occurred_at) <= LATE_REMINDER_LIMIT_MS;
  return setNow && recent ? at : null;
}

/**
 * Why a firing reminder is dropped, or undefined when it is due: the record is gone, done, or
 * its reminder moved (or went) since the schedule was made.
 */
export function staleReason(record: RecordReminder | undefined, payload: ReminderPayload): string | undefined {
  if (!record) return 'record_gone';
  if (!record.open) return 'record_closed';
  if (record.remind_at === null) return 'reminder_removed';
  if (!sameReminderTime(record.remind_at, payload.remind_at)) return 'reminder_moved';
  return undefined;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The reminder_due event's id: a ULID whose time is the remind time and whose random part is a
 * hash of the schedule name, so every delivery of one reminder writes the same event (the outbox
 * refuses the second) and the recipient's inbox counts it once.
 */
export function reminderEventId(kind: ReminderKind, recordId: string, remindAt: string): string {
  let time = '';
  let rest = Math.floor(Date.parse(remindAt) / 1000) * 1000;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[rest % 32]! + time;
    rest = Math.floor(rest / 32);
  }
  const hash = createHash('sha256')
    .update(scheduleNameOf(kind, recordId, remindAt))
    .digest();
  let random = '';
  for (let i = 0; i < 16; i++) random += CROCKFORD[hash[i]! % 32]!;
  return time + random;
}

/** The record events the sync consumes: a task's and an appointment's (the same shape). */
export const REMINDER_SYNC_EVENTS = [
  'task.created',
  'task.updated',
  'task.deleted',
  'appointment.created',
  'appointment.updated',
  'appointment.deleted',
] as const;

const REMINDER_KINDS: readonly ReminderKind[] = ['task', 'appointment'];

/**
 * What a record event tells the sync: the remind times it names, and the one it set. A created
 * record sets its remind_at; an update sets remind_at when remind_at is among the changed fields
 * (a moved due time with a preset moves it too); a deletion sets none. Undefined for an event
 * of another resource.
 */
export function reminderChangeOf(event: {
  metadata: { event_type: string; resource_type: string; resource_id: string; occurred_at: string };
  data: object;
  previous?: object;
}): ReminderChange | undefined {
  const kind = REMINDER_KINDS.find((k) => k === event.metadata.resource_type);
  if (!kind) return undefined;
  const now = (event.data as { remind_at?: unknown }).remind_at;
  const previous = event.previous as { remind_at?: unknown } | undefined;
  const times = [now, previous?.remind_at].filter((t): t is string => typeof t === 'string');
  const verb = event.metadata.event_type.slice(kind.length + 1);
  const setsIt = verb === 'created' || (verb === 'updated' && previous !== undefined && 'remind_at' in previous);
  return {
    kind,
    record_id: event.metadata.resource_id,
    mentioned: times,
    set: setsIt && typeof now === 'string' ? now : null,
    occurred_at: event.metadata.occurred_at,
  };
}
