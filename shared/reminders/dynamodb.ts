import type { DomainEvent } from '#shared/kernel/events.ts';
import type { ReminderKind } from '#shared/kernel/reminder-scheduler.ts';
import { fromItem, outboxKey, UnexpectedWriteConflict, type Table } from '#shared/platform/dynamodb/table.ts';
import { taskIndex, taskKey } from '#shared/tasks/dynamodb.ts';
import type { Task } from '#shared/tasks/domain.ts';
import { appointmentIndex, appointmentKey } from '#shared/appointments/dynamodb.ts';
import type { Appointment } from '#shared/appointments/domain.ts';
import type { RecordReminder } from './domain.ts';
import type { ReminderEvents, ReminderRecord, ReminderRecords, ReminderSource } from './ports.ts';

// Reminders on the single table: the records are the families' own items (read here by their
// keys, never copied), and the reminder_due events go through the outbox like every event.

/** A task as reminders see it: open until completed; the assignee is reminded. */
export function taskReminder(task: Task): ReminderRecord {
  return {
    kind: 'task',
    record_id: task.id,
    remind_at: task.remind_at,
    open: !task.completed,
    recipient_id: task.owner_id,
    data: task,
  };
}

/**
 * An appointment as reminders see it: always open (it has no completion; a deleted one is
 * gone), its owner reminded (the notifications tell its attending users too).
 */
export function appointmentReminder(appointment: Appointment): ReminderRecord {
  return {
    kind: 'appointment',
    record_id: appointment.id,
    remind_at: appointment.remind_at,
    open: true,
    recipient_id: appointment.owner_id,
    data: appointment,
  };
}

/** Each kind's record, read consistently (a sync right after a write must see it). */
export class DynamoReminderRecords implements ReminderRecords {
  readonly #table: Table;

  constructor(table: Table) {
    this.#table = table;
  }

  async current(kind: ReminderKind, recordId: string): Promise<ReminderRecord | undefined> {
    if (kind === 'appointment') {
      const item = await this.#table.get(appointmentKey(recordId), { consistent: true });
      return item ? appointmentReminder(fromItem<Appointment>(item)) : undefined;
    }
    const item = await this.#table.get(taskKey(recordId), { consistent: true });
    return item ? taskReminder(fromItem<Task>(item)) : undefined;
  }
}

/** The outbox; an event id written before is a duplicate (the outbox item's create fails on it). */
export class DynamoReminderEvents implements ReminderEvents {
  readonly #table: Table;

  constructor(table: Table) {
    this.#table = table;
  }

  async write(event: DomainEvent): Promise<'written' | 'duplicate'> {
    try {
      await this.#table.write([], [event]);
      return 'written';
    } catch (error) {
      if (error instanceof UnexpectedWriteConflict && (await this.#table.get(outboxKey(event.metadata.event_id)))) {
        return 'duplicate';
      }
      throw error;
    }
  }
}

/**
 * Every task in the "all tasks" partition's key order (open tasks first, by due time), a Query
 * a chunk; the checkpoint is DynamoDB's LastEvaluatedKey.
 */
export class DynamoTaskReminderSource implements ReminderSource {
  readonly #table: Table;

  constructor(table: Table) {
    this.#table = table;
  }

  async chunk(after: string | null, limit: number): Promise<{ records: RecordReminder[]; next: string | null }> {
    const { items, next } = await this.#table.chunk(taskIndex.all(), after, limit);
    return { records: items.map((item) => taskReminder(fromItem<Task>(item))), next };
  }
}

/**
 * Every appointment in the "all appointments" partition's key order (by start), a Query a
 * chunk; the checkpoint is DynamoDB's LastEvaluatedKey.
 */
export class DynamoAppointmentReminderSource implements ReminderSource {
  readonly #table: Table;

  constructor(table: Table) {
    this.#table = table;
  }

  async chunk(after: string | null, limit: number): Promise<{ records: RecordReminder[]; next: string | null }> {
    const { items, next } = await this.#table.chunk(appointmentIndex.all(), after, limit);
    return { records: items.map((item) => appointmentReminder(fromItem<Appointment>(item))), next };
  }
}
