import type { DomainEvent } from '#shared/kernel/events.ts';
import type { ReminderKind } from '#shared/kernel/reminder-scheduler.ts';
import type { RecordReminder } from './domain.ts';

/** A record as reminders see it, with the record itself (what the reminder_due event carries). */
export interface ReminderRecord extends RecordReminder {
  data: object;
}

/** Reads records by kind, as they are now (a strongly consistent read). */
export interface ReminderRecords {
  /** Undefined when the record is gone. */
  current(kind: ReminderKind, recordId: string): Promise<ReminderRecord | undefined>;
}

/** Writes a reminder_due event through the outbox. */
export interface ReminderEvents {
  /** 'duplicate': an event of that id was written before (an earlier delivery of the same firing). */
  write(event: DomainEvent): Promise<'written' | 'duplicate'>;
}

/** The records a backfill walks, in key order, a chunk at a time. */
export interface ReminderSource {
  /**
   * @param after the checkpoint the last chunk answered (null: the start)
   * @returns the chunk's records and the checkpoint to go on from (null: the end)
   */
  chunk(after: string | null, limit: number): Promise<{ records: RecordReminder[]; next: string | null }>;
}
