import { describe, expect, it } from 'vitest';
import { reminderScheduleName, SCHEDULE_NAME_PATTERN } from '#shared/kernel/reminder-scheduler.ts';

const TASK_ID = '01JQ7Z8K3M4N5P6Q7R8S9T0VWX';
const AT = new Date('2031-03-04T09:15:00.000Z');

describe('reminderScheduleName', () => {
  it('is the same name for the same reminder, so a retried sync finds the schedule it made', () => {
    expect(reminderScheduleName('task', TASK_ID, AT)).toBe(reminderScheduleName('task', TASK_ID, new Date(AT)));
    expect(reminderScheduleName('task', TASK_ID, AT)).toBe(`task-${TASK_ID}-20310304T091500Z`);
  });

  it('ignores the milliseconds Scheduler cannot fire at', () => {
    expect(reminderScheduleName('task', TASK_ID, new Date('2031-03-04T09:15:00.999Z'))).toBe(
      reminderScheduleName('task', TASK_ID, AT),
    );
  });

  it('differs by kind, by record and by remind time', () => {
    const names = new Set([
      reminderScheduleName('task', TASK_ID, AT),
      reminderScheduleName('appointment', TASK_ID, AT),
      reminderScheduleName('task', '01JQ7Z8K3M4N5P6Q7R8S9T0VWY', AT),
      reminderScheduleName('task', TASK_ID, new Date('2031-03-04T09:15:01Z')),
    ]);
    expect(names.size).toBe(4);
  });

  it.each([
    ['a ULID of an appointment', 'appointment', TASK_ID],
    ['a numeric id imported from Sell', 'task', '123456789'],
    ['an id with characters Scheduler refuses', 'task', 'lead/42 #a'],
    ['an id too long to fit', 'appointment', 'x'.repeat(80)],
  ] as const)('is a valid Scheduler name for %s', (_label, kind, id) => {
    const name = reminderScheduleName(kind, id, AT);
    expect(name).toMatch(SCHEDULE_NAME_PATTERN);
    expect(name.length).toBeLessThanOrEqual(64);
    expect(reminderScheduleName(kind, id, AT)).toBe(name);
  });

  it('keeps hashed ids apart from readable ones and from each other', () => {
    const hashed = reminderScheduleName('task', 'lead/42', AT);
    expect(hashed).toMatch(/^task\.[0-9a-f]{32}-20310304T091500Z$/);
    expect(reminderScheduleName('task', 'lead/43', AT)).not.toBe(hashed);
    expect(reminderScheduleName('task', hashed.slice(5, 37), AT)).not.toBe(hashed);
  });

  it('refuses a date at() cannot express', () => {
    expect(() => reminderScheduleName('task', TASK_ID, new Date('nope'))).toThrow(RangeError);
    expect(() => reminderScheduleName('task', TASK_ID, new Date(Date.UTC(10000, 0, 1)))).toThrow(RangeError);
  });
});
