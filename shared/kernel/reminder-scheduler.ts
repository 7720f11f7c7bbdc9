import { createHash } from 'node:crypto';

// The port reminder sync uses to arm and disarm one-time reminders (EventBridge Scheduler in
// AWS, the local scheduler on a laptop). Every hop that calls it is at-least-once, so both
// operations are idempotent by name: scheduling a name that exists is 'already_scheduled',
// cancelling a name that is gone (fired, or cancelled before) is 'not_found'.

export type ReminderKind = 'task' | 'appointment';

export interface Reminder {
  /** A deterministic name, see reminderScheduleName. */
  name: string;
  /** When the reminder fires; a time already past fires as soon as possible. */
  at: Date;
  /** Delivered to the reminder handler as its event. */
  payload: Record<string, unknown>;
}

export interface ReminderScheduler {
  schedule(reminder: Reminder): Promise<'scheduled' | 'already_scheduled'>;
  cancel(name: string): Promise<'cancelled' | 'not_found'>;
}

/** Scheduler's limits on a schedule name. */
export const SCHEDULE_NAME_PATTERN = /^[0-9a-zA-Z\-_.]{1,64}$/;

const READABLE_ID = /^[0-9a-zA-Z_-]+$/;
const LAST_SCHEDULABLE_MS = Date.UTC(10000, 0, 1);

/**
 * The one name of a reminder: the same kind, record and remind time always give the same name,
 * so a retried sync hits ConflictException instead of arming a second schedule. The remind
 * time is part of it because a moved due time is a different reminder (the old one is
 * cancelled by its own name), and a late retry of the old one must not pass for the new one.
 *
 * Ids that could break the name's limits (ULIDs never do) are replaced by a hash; the '.'
 * after the kind, a character readable ids may not hold, keeps the two forms apart.
 */
export function reminderScheduleName(kind: ReminderKind, recordId: string, remindAt: Date): string {
  const time = remindAt.getTime();
  // Four-digit years only: at() and the name's stamp have no room for more (or for a sign).
  if (!(time >= 0 && time < LAST_SCHEDULABLE_MS)) throw new RangeError(`remindAt is out of range: ${remindAt}`);
  // Scheduler fires at a whole second, so the name does too: 09:00:00.250 and .750 are one reminder.
  const stamp = new Date(Math.floor(time / 1000) * 1000).toISOString().replace(/[-:]|\.000/g, '');
  const readable = `${kind}-${recordId}-${stamp}`;
  if (READABLE_ID.test(recordId) && readable.length <= 64) return readable;
  const digest = createHash('sha256').update(recordId).digest('hex').slice(0, 32);
  return `${kind}.${digest}-${stamp}`;
}
