import { describe, expect, it } from 'vitest';
import { ValidationError } from '#shared/kernel/errors.ts';
import { REMINDER_PRESET_NAMES } from '#shared/tasks/reminders.ts';
import {
  TASK_CONTENT_MAX,
  createTaskInput,
  isOverdue,
  minutesBefore,
  moveTask,
  presentTask,
  resolveReminder,
  taskOrderKey,
  taskOrderRange,
  taskRecord,
  updateTaskInput,
  type Task,
  type TaskOrderFilter,
} from '#shared/tasks/domain.ts';
import { testId } from '#test/helpers/fakes.ts';

const DEAL = testId(9);
const NOW = new Date('2026-06-15T12:00:00.000Z');

const task = (overrides: Partial<Task> = {}): Task => ({
  id: testId(20),
  content: 'Send the quote',
  due_date: '2026-06-15T14:00:00+02:00',
  owner_id: testId(1),
  creator_id: testId(1),
  resource_type: 'deal',
  resource_id: DEAL,
  completed: false,
  completed_at: null,
  remind_at: null,
  reminder: null,
  created_at: '2026-06-01T00:00:00.000Z',
  updated_at: '2026-06-01T00:00:00.000Z',
  version: 1,
  ...overrides,
});

function problemsOf(fn: () => unknown): { field: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).problems;
  }
  return expect.unreachable('expected a ValidationError');
}

describe('task input', () => {
  it('takes due_date and remind_at only as date-times with an offset', () => {
    expect(createTaskInput.safeParse({ content: 'x', due_date: '2026-06-15T14:00:00+02:00' }).success).toBe(true);
    expect(createTaskInput.safeParse({ content: 'x', due_date: '2026-06-15T12:00:00Z' }).success).toBe(true);
    expect(createTaskInput.safeParse({ content: 'x', due_date: '2026-06-15T14:00:00' }).success).toBe(false);
    expect(createTaskInput.safeParse({ content: 'x', due_date: '2026-06-15' }).success).toBe(false);
    expect(createTaskInput.safeParse({ content: 'x', remind_at: '2026-02-30T10:00:00Z' }).success).toBe(false);
    expect(createTaskInput.safeParse({ content: 'x', due_date: '1969-12-31T23:59:59Z' }).success).toBe(false);
  });

  it('knows the seven presets of Sell and nothing else', () => {
    for (const reminder of REMINDER_PRESET_NAMES)
      expect(createTaskInput.safeParse({ content: 'x', reminder }).success).toBe(true);
    expect(createTaskInput.safeParse({ content: 'x', reminder: '2h' }).success).toBe(false);
  });

  it('keeps completed_at, overdue and creator_id read-only, and bounds the text', () => {
    for (const field of ['completed_at', 'overdue', 'creator_id']) {
      expect(updateTaskInput.safeParse({ [field]: null }).success, field).toBe(false);
    }
    expect(createTaskInput.safeParse({ content: 'x'.repeat(TASK_CONTENT_MAX) }).success).toBe(true);
    expect(createTaskInput.safeParse({ content: 'x'.repeat(TASK_CONTENT_MAX + 1) }).success).toBe(false);
    expect(createTaskInput.safeParse({ content: '   ' }).success).toBe(false);
  });
});

describe('overdue, at read time', () => {
  it('is an open task whose due time has passed', () => {
    expect(isOverdue(task({ due_date: '2026-06-15T13:59:59+02:00' }), NOW)).toBe(true);
    expect(isOverdue(task({ due_date: '2026-06-15T14:00:00+02:00' }), NOW)).toBe(false); // due exactly now
    expect(isOverdue(task({ due_date: '2026-06-15T14:00:01+02:00' }), NOW)).toBe(false);
    expect(isOverdue(task({ due_date: '2026-06-01T00:00:00Z', completed: true }), NOW)).toBe(false);
    expect(isOverdue(task({ due_date: null }), NOW)).toBe(false);
  });

  it('follows the clock it is given, not the stored task', () => {
    const t = task({ due_date: '2026-06-15T12:30:00Z' });
    expect(presentTask(t, NOW).overdue).toBe(false);
    expect(presentTask(t, new Date('2026-06-15T12:30:00.001Z'))).toEqual({ ...t, overdue: true });
  });
});

describe('taskRecord', () => {
  const none = { resource_type: null, resource_id: null };
  it('links, keeps, or unlinks the record; type and id go together', () => {
    expect(taskRecord(none, { resource_type: 'lead', resource_id: DEAL })).toEqual({ resource_type: 'lead', resource_id: DEAL });
    expect(taskRecord(task(), {})).toEqual({ resource_type: 'deal', resource_id: DEAL });
    expect(taskRecord(task(), { resource_type: null, resource_id: null })).toBeNull();
    expect(problemsOf(() => taskRecord(none, { resource_type: 'lead' }))[0]!.field).toBe('body.resource_id');
    expect(problemsOf(() => taskRecord(task(), { resource_id: null }))[0]!.field).toBe('body.resource_type');
  });
});

describe('reminders (F8.2)', () => {
  const due = '2026-06-15T14:00:00+02:00';

  it.each([
    ['1w', '2026-06-08T14:00:00+02:00'],
    ['1d', '2026-06-14T14:00:00+02:00'],
    ['1h', '2026-06-15T13:00:00+02:00'],
    ['30m', '2026-06-15T13:30:00+02:00'],
    ['15m', '2026-06-15T13:45:00+02:00'],
    ['5m', '2026-06-15T13:55:00+02:00'],
    ['at_due', '2026-06-15T14:00:00+02:00'],
  ] as const)('preset %s sets remind_at = due_date minus the preset, in the due date’s offset', (reminder, expected) => {
    expect(resolveReminder(null, due, { reminder })).toEqual({ remind_at: expected, reminder });
  });

  it('writes UTC and negative offsets as given, across midnight', () => {
    expect(minutesBefore('2026-06-15T00:10:00Z', 15)).toBe('2026-06-14T23:55:00Z');
    expect(minutesBefore('2026-06-15T00:10:00-05:30', 60)).toBe('2026-06-14T23:10:00-05:30');
    expect(Date.parse(minutesBefore('2026-06-15T00:10:00.250+09:00', 5))).toBe(Date.parse('2026-06-15T00:05:00.250+09:00'));
  });

  it('takes a remind_at at or before the due time, in any offset', () => {
    expect(resolveReminder(null, due, { remind_at: '2026-06-15T12:00:00Z' })).toEqual({
      remind_at: '2026-06-15T12:00:00Z',
      reminder: null,
    });
    expect(resolveReminder(null, due, { remind_at: '2026-06-15T09:00:00Z' }).remind_at).toBe('2026-06-15T09:00:00Z');
  });

  it('refuses a remind_at after the due time, naming body.remind_at', () => {
    expect(problemsOf(() => resolveReminder(null, due, { remind_at: '2026-06-15T12:00:01Z' }))).toEqual([
      { field: 'body.remind_at', message: expect.stringContaining('must not be after due_date') },
    ]);
  });

  it('refuses remind_at and reminder together, naming both', () => {
    const problems = problemsOf(() => resolveReminder(null, due, { remind_at: '2026-06-15T09:00:00Z', reminder: '1h' }));
    expect(problems.map((p) => p.field)).toEqual(['body.remind_at', 'body.reminder']);
  });

  it('needs a due time for any reminder', () => {
    expect(problemsOf(() => resolveReminder(null, null, { reminder: '1h' }))[0]!.field).toBe('body.reminder');
    expect(problemsOf(() => resolveReminder(null, null, { remind_at: '2026-06-15T09:00:00Z' }))[0]!.field).toBe('body.remind_at');
    expect(resolveReminder(null, null, {})).toEqual({ remind_at: null, reminder: null });
  });

  it('moves a preset reminder with the due time, and drops it with the due time', () => {
    const before = { due_date: due, remind_at: '2026-06-15T13:00:00+02:00', reminder: '1h' as const };
    expect(resolveReminder(before, '2026-06-20T10:00:00Z', {})).toEqual({ remind_at: '2026-06-20T09:00:00Z', reminder: '1h' });
    expect(resolveReminder(before, null, {})).toEqual({ remind_at: null, reminder: null });
  });

  it('keeps a remind_at set directly when the due time moves, if it still comes first', () => {
    const before = { due_date: due, remind_at: '2026-06-15T09:00:00Z', reminder: null };
    expect(resolveReminder(before, '2026-06-16T10:00:00Z', {})).toEqual({ remind_at: '2026-06-15T09:00:00Z', reminder: null });
    expect(problemsOf(() => resolveReminder(before, '2026-06-15T08:00:00Z', {}))).toEqual([
      { field: 'body.remind_at', message: expect.stringContaining('move or clear remind_at') },
    ]);
    expect(problemsOf(() => resolveReminder(before, null, {}))[0]!.field).toBe('body.remind_at');
  });

  it('switches between the two forms, and clears with null', () => {
    const preset = { due_date: due, remind_at: '2026-06-15T13:00:00+02:00', reminder: '1h' as const };
    expect(resolveReminder(preset, due, { remind_at: '2026-06-15T10:00:00Z' })).toEqual({
      remind_at: '2026-06-15T10:00:00Z',
      reminder: null,
    });
    const direct = { due_date: due, remind_at: '2026-06-15T10:00:00Z', reminder: null };
    expect(resolveReminder(direct, due, { reminder: '5m' })).toEqual({ remind_at: '2026-06-15T13:55:00+02:00', reminder: '5m' });
    expect(resolveReminder(preset, due, { reminder: null })).toEqual({ remind_at: null, reminder: null });
    expect(resolveReminder(direct, due, { remind_at: null })).toEqual({ remind_at: null, reminder: null });
  });
});

describe('taskOrderKey', () => {
  it('is "<0 open | 1 done>#<due in UTC>#<id>", tasks without a due time last', () => {
    expect(taskOrderKey(task())).toBe(`0#2026-06-15T12:00:00.000Z#${testId(20)}`);
    expect(taskOrderKey(task({ completed: true }))).toBe(`1#2026-06-15T12:00:00.000Z#${testId(20)}`);
    expect(taskOrderKey(task({ due_date: null }))).toBe(`0#~#${testId(20)}`);
  });

  it('sorts open tasks by due instant whatever the offsets, then undated, then completed', () => {
    const tasks = [
      task({ id: testId(1), completed: true, due_date: '2020-01-01T00:00:00Z' }),
      task({ id: testId(2), due_date: null }),
      task({ id: testId(3), due_date: '2026-06-15T10:00:00-03:00' }), // 13:00Z
      task({ id: testId(4), due_date: '2026-06-15T14:30:00+02:00' }), // 12:30Z
      task({ id: testId(5), due_date: '2026-06-15T12:45:00Z' }),
    ];
    const sorted = [...tasks].sort((a, b) => (taskOrderKey(a) < taskOrderKey(b) ? -1 : 1)).map((t) => t.id);
    expect(sorted).toEqual([testId(4), testId(5), testId(3), testId(2), testId(1)]);
  });
});

describe('taskOrderRange', () => {
  // Every filter against a brute-force predicate over a grid of tasks: the range (with its
  // split) must hold exactly the tasks the filter describes.
  const dues = [
    null,
    '2026-06-15T11:59:59.999Z',
    '2026-06-15T12:00:00Z',
    '2026-06-15T14:00:00+02:00',
    '2026-06-10T00:00:00Z',
    '2026-06-20T00:00:00Z',
  ];
  const grid = dues.flatMap((due_date, i) =>
    [false, true].map((completed) => task({ id: testId(100 + i * 2 + Number(completed)), due_date, completed })),
  );
  const inRange = (key: string, filter: TaskOrderFilter) => {
    const range = taskOrderRange(filter, NOW);
    if (range.empty) return false;
    if (key < range.from || key > range.to) return false;
    return !range.split || key <= range.split.openTo || key >= range.split.doneFrom;
  };
  const wanted = (t: Task, f: TaskOrderFilter) => {
    if (f.completed !== undefined && t.completed !== f.completed) return false;
    if (f.overdue !== undefined && isOverdue(t, NOW) !== f.overdue) return false;
    const due = t.due_date === null ? null : Date.parse(t.due_date);
    if (f.due_from !== undefined && (due === null || due < Date.parse(f.due_from))) return false;
    if (f.due_to !== undefined && (due === null || due > Date.parse(f.due_to))) return false;
    return true;
  };
  const filters: TaskOrderFilter[] = [];
  for (const completed of [undefined, true, false])
    for (const overdue of [undefined, true, false])
      for (const due_from of [undefined, '2026-06-15T14:00:00+02:00', '2026-06-12T00:00:00Z'])
        for (const due_to of [undefined, '2026-06-15T12:00:00Z', '2026-06-25T00:00:00+05:00', '2026-06-01T00:00:00Z'])
          filters.push({ completed, overdue, due_from, due_to });

  it.each(filters.map((f) => [JSON.stringify(f), f] as const))('%s', (_label, filter) => {
    const got = grid.filter((t) => inRange(taskOrderKey(t), filter)).map((t) => t.id);
    const expected = grid.filter((t) => wanted(t, filter)).map((t) => t.id);
    expect(got).toEqual(expected);
  });

  it('makes "overdue" one key range on the open group, up to now', () => {
    expect(taskOrderRange({ overdue: true }, NOW)).toEqual({ empty: false, from: '0#', to: '0#2026-06-15T12:00:00.000Z' });
    expect(taskOrderRange({ overdue: false }, NOW)).toEqual({ empty: false, from: '0#2026-06-15T12:00:00.000Z', to: '1#~~' });
    expect(taskOrderRange({ overdue: true, completed: true }, NOW)).toEqual({ empty: true });
  });
});

describe('moveTask', () => {
  it('re-points the task as a new version', () => {
    const to = { resource_type: 'contact' as const, resource_id: testId(30) };
    expect(moveTask(task(), to)).toEqual(task({ ...to, version: 2 }));
  });
});
