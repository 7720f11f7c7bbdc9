import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { Migration } from '#shared/platform/migrations/runner.ts';
import { crmTable, runtimeClock } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { EventBridgeReminderScheduler } from '#shared/platform/scheduler.ts';
import {
  DynamoAppointmentReminderSource,
  DynamoReminderEvents,
  DynamoReminderRecords,
  DynamoTaskReminderSource,
} from './dynamodb.ts';
import { backfillRemindersStep, type ReminderFireDeps, type ReminderSyncDeps } from './use-cases.ts';

// Reminders' adapters, built once per container. The Scheduler client finds the local
// scheduler through AWS_ENDPOINT_URL_SCHEDULER on a laptop, as every SDK client does.

let scheduler: EventBridgeReminderScheduler | undefined;
let sync: ReminderSyncDeps | undefined;
let fire: ReminderFireDeps | undefined;

/** The schedule group's reminders, as the function's `scheduleGroup` need configures them. */
export function reminderScheduler(): EventBridgeReminderScheduler {
  scheduler ??= new EventBridgeReminderScheduler({
    client: new SchedulerClient({}),
    groupName: requireEnv(RUNTIME_ENV.scheduleGroupName),
    targetArn: requireEnv(RUNTIME_ENV.reminderTargetArn),
    roleArn: requireEnv(RUNTIME_ENV.schedulerRoleArn),
    deadLetterQueueArn: requireEnv(RUNTIME_ENV.reminderDeadLetterQueueArn),
  });
  return scheduler;
}

/** The sync consumer's adapters (reminder-sync). */
export function reminderSyncAdapters(): ReminderSyncDeps {
  sync ??= { records: new DynamoReminderRecords(crmTable()), scheduler: reminderScheduler(), clock: runtimeClock };
  return sync;
}

/** The Scheduler target's adapters (reminders). */
export function reminderFireAdapters(): ReminderFireDeps {
  fire ??= { records: new DynamoReminderRecords(crmTable()), events: new DynamoReminderEvents(crmTable()), clock: runtimeClock };
  return fire;
}

/** The migration that gives existing tasks with a reminder still to come their schedules. */
export function taskRemindersBackfill(): Migration {
  const source = new DynamoTaskReminderSource(crmTable());
  return {
    id: '2026-12-task-reminders',
    description: 'Reminders: a schedule for every open task whose remind_at is still to come',
    step: (checkpoint) => backfillRemindersStep({ source, scheduler: reminderScheduler(), clock: runtimeClock }, checkpoint),
  };
}

/** The migration that gives existing appointments with a reminder still to come their schedules. */
export function appointmentRemindersBackfill(): Migration {
  const source = new DynamoAppointmentReminderSource(crmTable());
  return {
    id: '2026-12-appointment-reminders',
    description: 'Reminders: a schedule for every appointment whose remind_at is still to come',
    step: (checkpoint) => backfillRemindersStep({ source, scheduler: reminderScheduler(), clock: runtimeClock }, checkpoint),
  };
}
