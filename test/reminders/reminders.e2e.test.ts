import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { describe, expect, it } from 'vitest';
import type { Clock } from '#shared/kernel/ports.ts';
import { reminderScheduleName } from '#shared/kernel/reminder-scheduler.ts';
import type { Notification } from '#shared/notifications/domain.ts';
import { listNotificationsRoute } from '#shared/notifications/routes.ts';
import { DynamoMigrationStore } from '#shared/platform/migrations/dynamodb.ts';
import { runMigrations } from '#shared/platform/migrations/runner.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { EventBridgeReminderScheduler } from '#shared/platform/scheduler.ts';
import { taskRemindersBackfill } from '#shared/reminders/runtime.ts';
import type { Task } from '#shared/tasks/domain.ts';
import { DynamoTaskRepository } from '#shared/tasks/dynamodb.ts';
import { createTaskRoute, deleteTaskRoute, updateTaskRoute } from '#shared/tasks/routes.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';

// Reminders over the whole local cloud: the API writes tasks, the reminder-sync consumer keeps
// their schedules in the local Scheduler, which fires on the test's clock into the reminders
// function, whose task.reminder_due event reaches the assignee's inbox (task_reminder).

class TestClock implements Clock {
  #now = Date.now();

  now(): Date {
    return new Date(this.#now);
  }

  set(iso: string): void {
    this.#now = Date.parse(iso);
  }
}

const clock = new TestClock();
const session = useTestCloud({ schedulerClock: clock });
const { call, id } = session;

async function until<T>(what: string, read: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Tomorrow (by the real clock) at hh:mm UTC. */
const tomorrow = (hhmm: string) => {
  const day = new Date(Date.now() + 24 * 3600_000).toISOString().slice(0, 10);
  return `${day}T${hhmm}:00Z`;
};
const nameAt = (taskId: string, iso: string) => reminderScheduleName('task', taskId, new Date(iso));
const scheduleNames = () => new Set(session.cloud.scheduler.schedules().map((s) => s.name));

async function remindersOf(who: string): Promise<Notification[]> {
  const inbox = bodyOf(await call(listNotificationsRoute, { as: who, query: { limit: '100' } }), 200);
  return inbox.items.filter((n) => n.kind === 'task_reminder');
}
const reminded = async (who: string, taskId: string) =>
  (await remindersOf(who)).some((n) => n.records.some((r) => r.type === 'task' && r.id === taskId));

describe('task reminders on the local cloud', () => {
  it('a task due at 10:00 with reminder 15m notifies at 09:45 and not before; moved, completed, deleted and reassigned tasks follow', async () => {
    const due = tomorrow('10:00');
    const task = (body: Record<string, unknown>, as = 'rep1') =>
      call(createTaskRoute, { as, body: { content: 'Call back', due_date: due, reminder: '15m', ...body } });
    const a = bodyOf(await task({ content: 'Plain' }), 201);
    const moved = bodyOf(await task({ content: 'Moved' }), 201);
    const done = bodyOf(await task({ content: 'Done' }), 201);
    const gone = bodyOf(await task({ content: 'Gone' }), 201);
    const given = bodyOf(await task({ content: 'Given', owner_id: id('rep1') }, 'manager'), 201);
    expect(a.remind_at).toBe(tomorrow('09:45'));
    await until(
      'the five schedules',
      () => [a, moved, done, gone, given].every((t) => scheduleNames().has(nameAt(t.id, tomorrow('09:45')))) || undefined,
    );

    bodyOf(await call(updateTaskRoute, { as: 'rep1', params: { id: moved.id }, body: { due_date: tomorrow('12:00') } }), 200);
    bodyOf(await call(updateTaskRoute, { as: 'rep1', params: { id: done.id }, body: { completed: true } }), 200);
    expect((await call(deleteTaskRoute, { as: 'rep1', params: { id: gone.id } })).status).toBe(204);
    bodyOf(await call(updateTaskRoute, { as: 'manager', params: { id: given.id }, body: { owner_id: id('rep2') } }), 200);
    const expected = [nameAt(a.id, tomorrow('09:45')), nameAt(moved.id, tomorrow('11:45')), nameAt(given.id, tomorrow('09:45'))];
    const mine = (names: Set<string>) =>
      [...names].filter((n) => [a, moved, done, gone, given].some((t) => n.includes(t.id))).sort();
    await until(
      'the schedules to follow the tasks',
      () => JSON.stringify(mine(scheduleNames())) === JSON.stringify([...expected].sort()) || undefined,
    );

    // A stale schedule (left from before the move, as a lost delete would leave it) fires too.
    const staleClient = new SchedulerClient({
      endpoint: session.cloud.scheduler.endpoint,
      region: session.cloud.sqs.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const stale = new EventBridgeReminderScheduler({
      client: staleClient,
      groupName: session.cloud.names.scheduleGroupName,
      targetArn: session.cloud.names.reminderTargetArn,
      roleArn: session.cloud.names.schedulerRoleArn,
      deadLetterQueueArn: session.cloud.names.reminderDeadLetterQueueArn,
      clock,
    });
    for (const t of [moved, gone]) {
      await stale.schedule({
        name: nameAt(t.id, tomorrow('09:45')),
        at: new Date(tomorrow('09:45')),
        payload: { kind: 'task', record_id: t.id, remind_at: tomorrow('09:45') },
      });
    }

    clock.set(new Date(Date.parse(tomorrow('09:45')) - 1).toISOString());
    expect(await session.cloud.scheduler.tick()).toBe(0);
    await session.cloud.bus.idle();
    expect(await reminded('rep1', a.id)).toBe(false);

    clock.set(tomorrow('09:45'));
    // The plain and the given task's reminders, and the two stale ones.
    expect(await session.cloud.scheduler.tick()).toBe(4);
    await until("rep1's reminder", async () => (await reminded('rep1', a.id)) || undefined);
    await until("rep2's reminder of the task given to them", async () => (await reminded('rep2', given.id)) || undefined);
    await session.cloud.bus.idle();
    expect(await reminded('rep1', given.id)).toBe(false);
    expect(await reminded('rep1', moved.id)).toBe(false);
    expect(await reminded('rep1', gone.id)).toBe(false);
    expect(await reminded('rep1', done.id)).toBe(false);
    expect(session.cloud.scheduler.deadLetters()).toEqual([]);

    clock.set(tomorrow('11:45'));
    expect(await session.cloud.scheduler.tick()).toBe(1);
    await until('the moved reminder at its new time', async () => (await reminded('rep1', moved.id)) || undefined);
    staleClient.destroy();
  });

  it('the backfill gives existing tasks with a reminder to come their schedules', async () => {
    // Back to the real time: the tasks above have reminders still to come by it.
    clock.set(new Date().toISOString());
    const repository = new DynamoTaskRepository(crmTable());
    const old: Task = {
      id: `01BACKFILL${Date.now().toString(36).toUpperCase().padStart(16, '0')}`.slice(0, 26),
      content: 'From before reminders',
      due_date: tomorrow('16:00'),
      owner_id: id('rep1'),
      creator_id: id('rep1'),
      resource_type: null,
      resource_id: null,
      completed: false,
      completed_at: null,
      remind_at: tomorrow('15:00'),
      reminder: '1h',
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
      version: 1,
    };
    // Written without events, as tasks were before the sync existed.
    await repository.create(old, null, []);
    expect(scheduleNames().has(nameAt(old.id, old.remind_at!))).toBe(false);
    const reports = await runMigrations(new DynamoMigrationStore(crmTable()), [taskRemindersBackfill()], {
      holder: 'test',
      leaseMs: 60_000,
    });
    expect(reports.map((r) => r.outcome)).toEqual(['done']);
    expect(scheduleNames().has(nameAt(old.id, old.remind_at!))).toBe(true);
  });
});
