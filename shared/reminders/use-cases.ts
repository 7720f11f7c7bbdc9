import { domainEvent } from '#shared/kernel/events.ts';
import type { Clock } from '#shared/kernel/ports.ts';
import type { ReminderScheduler } from '#shared/kernel/reminder-scheduler.ts';
import {
  REMINDER_DUE_EVENTS,
  reminderEventId,
  reminderOf,
  sameReminderTime,
  scheduleNameOf,
  staleReason,
  wantedReminder,
  type ReminderChange,
  type ReminderPayload,
} from './domain.ts';
import type { ReminderEvents, ReminderRecords, ReminderSource } from './ports.ts';

// Reminders' use cases: keep a record's schedule in step with it (the sync consumer), deliver
// a firing reminder (the Scheduler target), and give existing records their schedules (the
// backfill). None trusts the order of events: each reads the record as it is.

export interface ReminderSyncDeps {
  records: ReminderRecords;
  scheduler: ReminderScheduler;
  clock: Clock;
}

export interface SyncReport {
  /** The remind time armed (scheduled, or found scheduled), or null. */
  armed: string | null;
  /** Schedule names cancelled (or found gone). */
  cancelled: string[];
  /** Reads of the record it took to see it hold still. */
  rounds: number;
}

/** Rounds of read → act → read before the sync gives up (and the bus retries it). */
export const MAX_SYNC_ROUNDS = 5;

/**
 * Brings one record's reminder schedule in step with the record after `change`: arms the
 * reminder the record wants now (wantedReminder) and cancels every other remind time the
 * event names. Schedules are idempotent by name, so duplicates and replays change nothing.
 * It then reads the record again: a change made meanwhile (whose own sync may have run
 * before this one's writes) is caught up with here, so no interleaving of syncs leaves an
 * orphan or a missing schedule.
 * @throws Error when the record kept changing for MAX_SYNC_ROUNDS rounds; what the adapters throw
 */
export async function syncReminder(deps: ReminderSyncDeps, change: ReminderChange): Promise<SyncReport> {
  const { kind, record_id } = change;
  const want = async () => wantedReminder(await deps.records.current(kind, record_id), change, deps.clock.now());
  const candidates = [...change.mentioned];
  const cancelled = new Set<string>();
  let wanted = await want();
  for (let round = 1; round <= MAX_SYNC_ROUNDS; round++) {
    if (wanted !== null) await deps.scheduler.schedule(reminderOf(kind, record_id, wanted));
    for (const time of candidates) {
      if (wanted !== null && sameReminderTime(time, wanted)) continue;
      const name = scheduleNameOf(kind, record_id, time);
      if (cancelled.has(name)) continue;
      await deps.scheduler.cancel(name);
      cancelled.add(name);
    }
    const now = await want();
    if (now === wanted || (now !== null && wanted !== null && sameReminderTime(now, wanted))) {
      return { armed: wanted, cancelled: [...cancelled], rounds: round };
    }
    // Changed meanwhile: what this run armed may be stale now, and what it cancelled wanted.
    if (wanted !== null) candidates.push(wanted);
    for (const name of cancelled) if (now !== null && name === scheduleNameOf(kind, record_id, now)) cancelled.delete(name);
    wanted = now;
  }
  throw new Error(`${kind} ${record_id} kept changing while its reminder was synced; the delivery is retried`);
}

export interface ReminderFireDeps {
  records: ReminderRecords;
  events: ReminderEvents;
  clock: Clock;
}

export type FireOutcome =
  { outcome: 'sent'; event_id: string } | { outcome: 'duplicate'; event_id: string } | { outcome: 'stale'; reason: string };

/**
 * A reminder's schedule fired: re-reads the record and drops the reminder when it is stale
 * (staleReason); else writes the reminder_due event (data: the record as it is now, so the
 * recipient is its current assignee), whose id is the reminder's own: any number of
 * deliveries of one firing write one event.
 */
export async function fireReminder(deps: ReminderFireDeps, payload: ReminderPayload): Promise<FireOutcome> {
  const record = await deps.records.current(payload.kind, payload.record_id);
  const reason = staleReason(record, payload);
  if (reason || !record) return { outcome: 'stale', reason: reason ?? 'record_gone' };
  const id = reminderEventId(payload.kind, payload.record_id, payload.remind_at);
  const event = domainEvent(
    { actor_id: 'system', correlation_id: id, now: deps.clock.now(), newId: () => id },
    REMINDER_DUE_EVENTS[payload.kind],
    { resource_type: payload.kind, resource_id: payload.record_id },
    record.data,
  );
  const written = await deps.events.write(event);
  return { outcome: written === 'written' ? 'sent' : 'duplicate', event_id: id };
}

export interface ReminderBackfillDeps {
  source: ReminderSource;
  scheduler: ReminderScheduler;
  clock: Clock;
}

/** Records per backfill chunk: each may cost one CreateSchedule call. */
export const BACKFILL_CHUNK = 100;

/**
 * One chunk of the backfill: every open record of the chunk whose reminder is still to come
 * gets its schedule (already scheduled is fine: a chunk may run twice).
 * @returns the checkpoint to go on from, or null at the end
 */
export async function backfillRemindersStep(deps: ReminderBackfillDeps, checkpoint: string | null): Promise<string | null> {
  const { records, next } = await deps.source.chunk(checkpoint, BACKFILL_CHUNK);
  const now = deps.clock.now().getTime();
  for (const record of records) {
    if (!record.open || record.remind_at === null || Date.parse(record.remind_at) <= now) continue;
    await deps.scheduler.schedule(reminderOf(record.kind, record.record_id, record.remind_at));
  }
  return next;
}
