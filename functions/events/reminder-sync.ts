import { reminderChangeOf } from '#shared/reminders/domain.ts';
import { reminderSyncAdapters } from '#shared/reminders/runtime.ts';
import { syncReminder } from '#shared/reminders/use-cases.ts';
import { eventHandler } from '#shared/platform/consumers/events.ts';
import { logger } from '#shared/platform/observability.ts';

// Bus rule target: task events → the task's reminder schedule, in step with the task as it is
// now (re-read, whatever the events' order). No consumer markers: schedules are idempotent by
// name and the sync decides from the record, so a redelivery changes nothing.

export const handler = eventHandler({ name: 'reminder-sync', dedupe: false }, async (event) => {
  const change = reminderChangeOf(event);
  if (!change) return;
  const report = await syncReminder(reminderSyncAdapters(), change);
  logger.info('reminder synced', { report });
});
