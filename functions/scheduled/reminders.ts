import { reminderPayloadSchema, scheduleNameOf } from '#shared/reminders/domain.ts';
import { reminderFireAdapters } from '#shared/reminders/runtime.ts';
import { fireReminder } from '#shared/reminders/use-cases.ts';
import { scheduledHandler } from '#shared/platform/consumers/events.ts';
import { logger } from '#shared/platform/observability.ts';

// EventBridge Scheduler target: a reminder's schedule fired. The reminder is checked against
// its record (gone, done or moved: dropped), then its reminder_due event is written through
// the outbox, and the notifications consumer tells the record's current assignee.

export const handler = scheduledHandler(
  {
    name: 'reminders',
    payload: reminderPayloadSchema,
    // No markers: the event's id is the reminder's own, so the outbox refuses a second one.
    logKeys: (p) => ({
      reminder_kind: p.kind,
      record_id: p.record_id,
      remind_at: p.remind_at,
      schedule_name: scheduleNameOf(p.kind, p.record_id, p.remind_at),
    }),
  },
  async (payload) => {
    const fired = await fireReminder(reminderFireAdapters(), payload);
    logger.info('reminder fired', { fired });
  },
);
