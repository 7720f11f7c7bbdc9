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
import { appointmentRemindersBackfill, taskRemindersBackfill } from '#shared/reminders/runtime.ts';
import type { Appointment } from '#shared/appointments/domain.ts';
import { DynamoAppointmentRepository } from '#shared/appointments/dynamodb.ts';
import { createAppointmentRoute, deleteAppointmentRoute, updateAppointmentRoute } from '#shared/appointments/routes.ts';
import { putNotificationSettingsRoute } from '#shared/notifications/routes.ts';
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
async function appointmentRemindersOf(who: string): Promise<Notification[]> {
  const inbox = bodyOf(await call(listNotificationsRoute, { as: who, query: { limit: '100' } }), 200);
  return inbox.items.filter((n) => n.kind === 'appointment_reminder');
}
const remindedOf = async (who: string, appointmentId: string) =>
  (await appointmentRemindersOf(who)).some((n) => n.records.some((r) => r.type === 'appointment' && r.id === appointmentId));
const appointmentNameAt = (id: string, iso: string) => reminderScheduleName('appointment', id, new Date(iso));

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

  it('an appointment at 10:00 with reminder 15m tells its owner and attending users at 09:45 and not before; moved and deleted ones follow', async () => {
    clock.set(new Date().toISOString());
    // The day after tomorrow (by the real clock): clear of the task test's times.
    const day = (hhmm: string) => `${new Date(Date.now() + 48 * 3600_000).toISOString().slice(0, 10)}T${hhmm}:00Z`;
    const at = (start: string, body: Record<string, unknown> = {}) =>
      call(createAppointmentRoute, {
        as: 'rep1',
        body: {
          name: 'Demo',
          start_at: start,
          end_at: new Date(Date.parse(start) + 3600_000).toISOString(),
          reminder: '15m',
          ...body,
        },
      });
    // rep2 attends and is told; the manager attends with appointment reminders off.
    bodyOf(await call(putNotificationSettingsRoute, { as: 'manager', body: { channels: { appointment_reminder: 'off' } } }), 200);
    const attendees = [
      { type: 'user', id: id('rep2') },
      { type: 'user', id: id('manager') },
      { type: 'email', email: 'guest@example.com' },
    ];
    const plain = bodyOf(await at(day('10:00'), { attendees }), 201);
    const moved = bodyOf(await at(day('10:00'), { name: 'Moved' }), 201);
    const gone = bodyOf(await at(day('10:00'), { name: 'Gone' }), 201);
    expect(plain.remind_at).toBe(day('09:45'));
    await until(
      'the three schedules',
      () => [plain, moved, gone].every((a) => scheduleNames().has(appointmentNameAt(a.id, day('09:45')))) || undefined,
    );

    const end = new Date(Date.parse(day('12:00')) + 3600_000).toISOString();
    bodyOf(
      await call(updateAppointmentRoute, { as: 'rep1', params: { id: moved.id }, body: { start_at: day('12:00'), end_at: end } }),
      200,
    );
    expect((await call(deleteAppointmentRoute, { as: 'rep1', params: { id: gone.id } })).status).toBe(204);
    const expected = [appointmentNameAt(plain.id, day('09:45')), appointmentNameAt(moved.id, day('11:45'))].sort();
    const mine = (names: Set<string>) => [...names].filter((n) => [plain, moved, gone].some((a) => n.includes(a.id))).sort();
    await until(
      'the schedules to follow the appointments',
      () => JSON.stringify(mine(scheduleNames())) === JSON.stringify(expected) || undefined,
    );

    clock.set(new Date(Date.parse(day('09:45')) - 1).toISOString());
    await session.cloud.scheduler.tick();
    await session.cloud.bus.idle();
    expect(await remindedOf('rep1', plain.id)).toBe(false);

    clock.set(day('09:45'));
    expect(await session.cloud.scheduler.tick()).toBeGreaterThanOrEqual(1);
    await until("the owner's reminder", async () => (await remindedOf('rep1', plain.id)) || undefined);
    await until("the attending rep's reminder", async () => (await remindedOf('rep2', plain.id)) || undefined);
    await session.cloud.bus.idle();
    expect(await remindedOf('manager', plain.id)).toBe(false);
    expect(await remindedOf('rep1', moved.id)).toBe(false);
    expect(await remindedOf('rep1', gone.id)).toBe(false);

    clock.set(day('11:45'));
    expect(await session.cloud.scheduler.tick()).toBeGreaterThanOrEqual(1);
    await until('the moved reminder at its new time', async () => (await remindedOf('rep1', moved.id)) || undefined);
    expect(session.cloud.scheduler.deadLetters()).toEqual([]);
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

  it('the backfill gives existing appointments with a reminder to come their schedules', async () => {
    clock.set(new Date().toISOString());
    const now = new Date().toISOString();
    const old: Appointment = {
      id: `01BACKAPPT${Date.now().toString(36).toUpperCase().padStart(16, '0')}`.slice(0, 26),
      name: 'From before appointment reminders',
      description: null,
      location: null,
      start_at: tomorrow('17:00'),
      end_at: tomorrow('18:00'),
      all_day: false,
      start_date: null,
      end_date: null,
      time_zone: 'UTC',
      owner_id: id('rep1'),
      creator_id: id('rep1'),
      attendees: [],
      resource_type: null,
      resource_id: null,
      reminder: '1h',
      remind_at: tomorrow('16:00'),
      sequence: 0,
      created_at: now,
      updated_at: now,
      version: 1,
    };
    // Written without events, as appointments were before their reminders were synced.
    await new DynamoAppointmentRepository(crmTable()).create(old, null, []);
    const name = reminderScheduleName('appointment', old.id, new Date(old.remind_at!));
    expect(scheduleNames().has(name)).toBe(false);
    const reports = await runMigrations(new DynamoMigrationStore(crmTable()), [appointmentRemindersBackfill()], {
      holder: 'test',
      leaseMs: 60_000,
    });
    expect(reports.map((r) => r.outcome)).toEqual(['done']);
    expect(scheduleNames().has(name)).toBe(true);
  });
});
