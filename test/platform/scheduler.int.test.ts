import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '#shared/kernel/ports.ts';
import { reminderScheduleName, type Reminder } from '#shared/kernel/reminder-scheduler.ts';
import { EventBridgeReminderScheduler } from '#shared/platform/scheduler.ts';
import { startLocalScheduler, type LocalScheduler } from '#infra/local/scheduler.ts';

// The AWS adapter with the real SDK client against the local scheduler over HTTP: what runs
// in `npm start`, and a check that the emulator answers in the shapes the SDK parses.

const GROUP = 'crm-reminders';
const TARGET = 'arn:aws:lambda:eu-west-1:000000000000:function:crm-reminder';
const ROLE = 'arn:aws:iam::000000000000:role/crm-scheduler';
const DLQ = 'arn:aws:sqs:eu-west-1:000000000000:crm-reminder-dlq';
const TASK_ID = '01JQ7Z8K3M4N5P6Q7R8S9T0VWX';

class FakeClock implements Clock {
  #now: number;

  constructor(iso: string) {
    this.#now = Date.parse(iso);
  }

  now(): Date {
    return new Date(this.#now);
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}

interface Invocation {
  targetArn: string;
  input: unknown;
}

let dir: string;
let clock: FakeClock;
let invocations: Invocation[];
let failuresToCome: number;
const running: LocalScheduler[] = [];
const clients: SchedulerClient[] = [];

async function recordingInvoke(targetArn: string, input: unknown): Promise<void> {
  invocations.push({ targetArn, input });
  if (failuresToCome > 0) {
    failuresToCome -= 1;
    throw new Error('reminder handler is down');
  }
}

async function startEmulator(options: { tickIntervalMs?: number } = {}): Promise<LocalScheduler> {
  const emulator = await startLocalScheduler({
    port: 0,
    file: join(dir, 'schedules.json'),
    clock,
    invoke: recordingInvoke,
    tickIntervalMs: options.tickIntervalMs ?? 0,
  });
  running.push(emulator);
  return emulator;
}

function sdkClient(endpoint?: string): SchedulerClient {
  const client = new SchedulerClient({
    ...(endpoint ? { endpoint } : {}),
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  clients.push(client);
  return client;
}

function adapterFor(client: SchedulerClient): EventBridgeReminderScheduler {
  return new EventBridgeReminderScheduler({
    client,
    groupName: GROUP,
    targetArn: TARGET,
    roleArn: ROLE,
    deadLetterQueueArn: DLQ,
    retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
    clock,
  });
}

function taskReminder(at: string, payload: Record<string, unknown> = { task_id: TASK_ID }): Reminder {
  return { name: reminderScheduleName('task', TASK_ID, new Date(at)), at: new Date(at), payload };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'crm-scheduler-'));
  clock = new FakeClock('2031-03-04T08:00:00.000Z');
  invocations = [];
  failuresToCome = 0;
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(running.splice(0).map((emulator) => emulator.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('EventBridgeReminderScheduler on the local scheduler', () => {
  it('schedules a reminder once, however often the sync retries', async () => {
    const emulator = await startEmulator();
    const reminders = adapterFor(sdkClient(emulator.endpoint));
    const reminder = taskReminder('2031-03-04T09:00:00Z');

    expect(await reminders.schedule(reminder)).toBe('scheduled');
    expect(await reminders.schedule(reminder)).toBe('already_scheduled');
    expect(emulator.schedules()).toHaveLength(1);
  });

  it('creates the schedule AWS needs: at() in UTC, no window, deleted after completion, DLQ and retries', async () => {
    const emulator = await startEmulator();
    const client = sdkClient(emulator.endpoint);
    const reminder = taskReminder('2031-03-04T09:00:00Z');
    await adapterFor(client).schedule(reminder);

    const schedule = await client.send(new GetScheduleCommand({ Name: reminder.name, GroupName: GROUP }));

    expect(schedule).toMatchObject({
      Arn: `arn:aws:scheduler:eu-west-1:000000000000:schedule/${GROUP}/${reminder.name}`,
      Name: reminder.name,
      GroupName: GROUP,
      State: 'ENABLED',
      ScheduleExpression: 'at(2031-03-04T09:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: TARGET,
        RoleArn: ROLE,
        Input: JSON.stringify(reminder.payload),
        DeadLetterConfig: { Arn: DLQ },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
      },
    });
    expect(schedule.CreationDate).toEqual(clock.now());
  });

  it('fires at the remind time, once, with the payload, then deletes the schedule', async () => {
    const emulator = await startEmulator();
    const reminders = adapterFor(sdkClient(emulator.endpoint));
    const reminder = taskReminder('2031-03-04T09:00:00Z', { task_id: TASK_ID, remind_at: '2031-03-04T09:00:00Z' });
    await reminders.schedule(reminder);

    clock.advance(60 * 60 * 1000 - 1);
    expect(await emulator.tick()).toBe(0);
    expect(invocations).toEqual([]);

    clock.advance(1);
    expect(await emulator.tick()).toBe(1);
    expect(await emulator.tick()).toBe(0);
    expect(invocations).toEqual([{ targetArn: TARGET, input: reminder.payload }]);
    expect(emulator.schedules()).toEqual([]);
    expect(await reminders.cancel(reminder.name)).toBe('not_found');
  });

  it('cancels a reminder, and a second cancel finds nothing', async () => {
    const emulator = await startEmulator();
    const reminders = adapterFor(sdkClient(emulator.endpoint));
    const reminder = taskReminder('2031-03-04T09:00:00Z');
    await reminders.schedule(reminder);

    expect(await reminders.cancel(reminder.name)).toBe('cancelled');
    expect(await reminders.cancel(reminder.name)).toBe('not_found');

    clock.advance(2 * 60 * 60 * 1000);
    await emulator.tick();
    expect(invocations).toEqual([]);
  });

  it('fires a reminder whose time has passed a few seconds from now, as Scheduler refuses a past at()', async () => {
    const emulator = await startEmulator();
    const reminders = adapterFor(sdkClient(emulator.endpoint));
    const late = taskReminder('2031-03-04T07:45:00Z');

    expect(await reminders.schedule(late)).toBe('scheduled');
    expect(emulator.schedules()[0]?.fireAt).toEqual(new Date('2031-03-04T08:00:05Z'));

    clock.advance(5_000);
    await emulator.tick();
    expect(invocations).toHaveLength(1);
  });

  it('keeps schedules across a restart on the same file', async () => {
    const first = await startEmulator();
    const reminder = taskReminder('2031-03-04T09:00:00Z');
    await adapterFor(sdkClient(first.endpoint)).schedule(reminder);
    await first.stop();

    const second = await startEmulator();
    const reminders = adapterFor(sdkClient(second.endpoint));
    expect(second.schedules().map((s) => s.name)).toEqual([reminder.name]);
    expect(await reminders.schedule(reminder)).toBe('already_scheduled');

    clock.advance(60 * 60 * 1000);
    await second.tick();
    expect(invocations).toEqual([{ targetArn: TARGET, input: reminder.payload }]);
  });

  it('retries a failing target with backoff, then dead-letters it and deletes the schedule', async () => {
    const emulator = await startEmulator();
    const reminders = adapterFor(sdkClient(emulator.endpoint));
    // Scheduler fills in its context attributes, so each attempt can say which one it is.
    const reminder = taskReminder('2031-03-04T09:00:00Z', { task_id: TASK_ID, attempt: '<aws.scheduler.attempt-number>' });
    await reminders.schedule(reminder);
    failuresToCome = Number.POSITIVE_INFINITY;

    clock.advance(60 * 60 * 1000);
    expect(await emulator.tick()).toBe(1);
    expect(await emulator.tick()).toBe(0); // backing off, not hammering
    clock.advance(1_000);
    expect(await emulator.tick()).toBe(1);
    clock.advance(2_000);
    expect(await emulator.tick()).toBe(1);
    clock.advance(60_000);
    expect(await emulator.tick()).toBe(0);

    expect(invocations.map((i) => i.input)).toEqual(['1', '2', '3'].map((attempt) => ({ task_id: TASK_ID, attempt })));
    expect(emulator.deadLetters()).toEqual([
      {
        scheduleArn: `arn:aws:scheduler:eu-west-1:000000000000:schedule/${GROUP}/${reminder.name}`,
        name: reminder.name,
        groupName: GROUP,
        targetArn: TARGET,
        deadLetterArn: DLQ,
        input: { task_id: TASK_ID, attempt: '3' },
        attempts: 3,
        error: 'reminder handler is down',
      },
    ]);
    expect(emulator.schedules()).toEqual([]);
  });

  it('completes a reminder whose target recovers on a retry', async () => {
    const emulator = await startEmulator();
    await adapterFor(sdkClient(emulator.endpoint)).schedule(taskReminder('2031-03-04T09:00:00Z'));
    failuresToCome = 1;

    clock.advance(60 * 60 * 1000);
    await emulator.tick();
    clock.advance(1_000);
    await emulator.tick();

    expect(invocations).toHaveLength(2);
    expect(emulator.deadLetters()).toEqual([]);
    expect(emulator.schedules()).toEqual([]);
  });

  it('fires from its background timer without a manual tick', async () => {
    const emulator = await startEmulator({ tickIntervalMs: 10 });
    await adapterFor(sdkClient(emulator.endpoint)).schedule(taskReminder('2031-03-04T09:00:00Z'));

    clock.advance(60 * 60 * 1000);

    await vi.waitFor(() => expect(invocations).toHaveLength(1), { timeout: 2_000 });
  });

  it('is found through AWS_ENDPOINT_URL_SCHEDULER, as the local cloud configures the SDK', async () => {
    const emulator = await startEmulator();
    const previous = process.env.AWS_ENDPOINT_URL_SCHEDULER;
    process.env.AWS_ENDPOINT_URL_SCHEDULER = emulator.endpoint;
    try {
      const reminders = adapterFor(sdkClient());
      expect(await reminders.schedule(taskReminder('2031-03-04T09:00:00Z'))).toBe('scheduled');
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_SCHEDULER;
      else process.env.AWS_ENDPOINT_URL_SCHEDULER = previous;
    }
    expect(emulator.schedules()).toHaveLength(1);
  });
});

describe('local scheduler wire protocol', () => {
  it('answers Scheduler errors the SDK turns into its exception classes', async () => {
    const emulator = await startEmulator();
    const client = sdkClient(emulator.endpoint);

    await expect(client.send(new GetScheduleCommand({ Name: 'missing', GroupName: GROUP }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(
      adapterFor(client).schedule({ ...taskReminder('2031-03-04T09:00:00Z'), name: 'not a name' }),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(
      adapterFor(client).schedule({ ...taskReminder('2031-03-04T09:00:00Z'), payload: { note: 'x'.repeat(9000) } }),
    ).rejects.toThrow(/Input/);
  });

  it('lists schedules by group and name prefix, a page at a time', async () => {
    const emulator = await startEmulator();
    const client = sdkClient(emulator.endpoint);
    const reminders = adapterFor(client);
    for (const hour of ['09', '10', '11']) await reminders.schedule(taskReminder(`2031-03-04T${hour}:00:00Z`));
    await reminders.schedule({
      name: reminderScheduleName('appointment', TASK_ID, new Date('2031-03-05T09:00:00Z')),
      at: new Date('2031-03-05T09:00:00Z'),
      payload: {},
    });

    const first = await client.send(new ListSchedulesCommand({ GroupName: GROUP, NamePrefix: 'task-', MaxResults: 2 }));
    const second = await client.send(
      new ListSchedulesCommand({ GroupName: GROUP, NamePrefix: 'task-', MaxResults: 2, NextToken: first.NextToken }),
    );

    expect(first.Schedules?.map((s) => s.Name)).toEqual(
      ['09', '10'].map((h) => reminderScheduleName('task', TASK_ID, new Date(`2031-03-04T${h}:00:00Z`))),
    );
    expect(second.Schedules?.map((s) => s.Name)).toEqual([
      reminderScheduleName('task', TASK_ID, new Date('2031-03-04T11:00:00Z')),
    ]);
    expect(second.NextToken).toBeUndefined();
    expect(first.Schedules?.[0]).toMatchObject({
      GroupName: GROUP,
      State: 'ENABLED',
      Target: { Arn: TARGET },
      CreationDate: clock.now(),
    });
    const other = await client.send(new ListSchedulesCommand({ GroupName: 'another-group' }));
    expect(other.Schedules).toEqual([]);
  });
});
