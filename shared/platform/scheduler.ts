import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { systemClock, type Clock } from '#shared/kernel/ports.ts';
import type { Reminder, ReminderScheduler } from '#shared/kernel/reminder-scheduler.ts';

// One one-time EventBridge Scheduler schedule per reminder. Scheduler deletes it after it
// fires (ActionAfterCompletion DELETE), so schedules never pile up, and a delivery that fails
// for good lands on the dead-letter queue instead of vanishing.

/**
 * Scheduler refuses an at() that is already past, yet a reminder can be due by the time the
 * sync runs (a task created five minutes before its due time with a 15-minute reminder, or an
 * event that waited in a retry). Such a reminder still fires: this many seconds from now, a
 * margin for the request's own time in flight and for clock skew between us and AWS.
 */
export const PAST_REMINDER_DELAY_SECONDS = 5;

export interface SchedulerRetryPolicy {
  /** 0–185 (Scheduler's default is 185). */
  maximumRetryAttempts: number;
  /** 60–86400 (Scheduler's default is 86400). */
  maximumEventAgeInSeconds: number;
}

export interface EventBridgeReminderSchedulerOptions {
  client: SchedulerClient;
  /** The schedule group the stack creates; deleting it deletes every reminder at once. */
  groupName: string;
  /** The reminder Lambda. */
  targetArn: string;
  /** The role Scheduler assumes to invoke the target and to send to the dead-letter queue. */
  roleArn: string;
  deadLetterQueueArn: string;
  retryPolicy?: SchedulerRetryPolicy;
  clock?: Clock;
}

// A late reminder is worthless after an hour; a few retries ride out a throttled Lambda.
const DEFAULT_RETRY_POLICY: SchedulerRetryPolicy = { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 3600 };

export class EventBridgeReminderScheduler implements ReminderScheduler {
  readonly #client: SchedulerClient;
  readonly #options: EventBridgeReminderSchedulerOptions;
  readonly #retryPolicy: SchedulerRetryPolicy;
  readonly #clock: Clock;

  constructor(options: EventBridgeReminderSchedulerOptions) {
    this.#client = options.client;
    this.#options = options;
    this.#retryPolicy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
    this.#clock = options.clock ?? systemClock;
  }

  async schedule(reminder: Reminder): Promise<'scheduled' | 'already_scheduled'> {
    try {
      await this.#client.send(
        new CreateScheduleCommand({
          Name: reminder.name,
          GroupName: this.#options.groupName,
          ScheduleExpression: atExpression(fireTime(reminder.at, this.#clock.now())),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: this.#options.targetArn,
            RoleArn: this.#options.roleArn,
            Input: JSON.stringify(reminder.payload),
            DeadLetterConfig: { Arn: this.#options.deadLetterQueueArn },
            RetryPolicy: {
              MaximumRetryAttempts: this.#retryPolicy.maximumRetryAttempts,
              MaximumEventAgeInSeconds: this.#retryPolicy.maximumEventAgeInSeconds,
            },
          },
        }),
      );
      return 'scheduled';
    } catch (error) {
      // The name is deterministic: a schedule by that name is this very reminder, armed by an
      // earlier delivery of the same event. (Once it has fired and been deleted, a late retry
      // arms it again: the reminder handler dedupes on the schedule name for that reason.)
      if (error instanceof ConflictException) return 'already_scheduled';
      throw error;
    }
  }

  async cancel(name: string): Promise<'cancelled' | 'not_found'> {
    try {
      await this.#client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.#options.groupName }));
      return 'cancelled';
    } catch (error) {
      // Already fired (and so deleted by Scheduler) or cancelled by an earlier delivery.
      if (error instanceof ResourceNotFoundException) return 'not_found';
      throw error;
    }
  }
}

/** The reminder's time, or a few seconds from now when that time is already (nearly) past. */
export function fireTime(at: Date, now: Date): Date {
  const earliest = now.getTime() + PAST_REMINDER_DELAY_SECONDS * 1000;
  return at.getTime() < earliest ? new Date(earliest) : at;
}

/** at(yyyy-mm-ddThh:mm:ss) in UTC; Scheduler takes whole seconds. */
export function atExpression(time: Date): string {
  return `at(${time.toISOString().slice(0, 19)})`;
}
