import * as z from 'zod/mini';
import { ValidationError, type FieldProblem } from '#shared/kernel/errors.ts';
import { relatedRecordTypeSchema, type RecordRef, type RelatedRecordType } from '#shared/kernel/related-records.ts';
import { REMINDER_PRESET_NAMES, REMINDER_PRESETS, type ReminderPreset } from './reminders.ts';
import { idSchema, notEmpty, text } from '#shared/kernel/schema.ts';

// Tasks (F8.1–F8.4) with Sell's field names (X6): a due time, an assignee (owner_id), a
// completion, an optional record and an optional reminder. "Own" is the assignee. Overdue is
// never stored: it is computed when the task is read, from the due time and the clock.

/** Task text stays short enough for its events (data and previous) to travel in any batch. */
export const TASK_CONTENT_MAX = 2_000;

const LAST_INSTANT = Date.UTC(10000, 0, 1);
/** A date-time with an offset ("Z" or "+01:00"), between 1970 and 9999 in UTC. */
export const dateTimeSchema = z.iso.datetime({ offset: true }).check(
  z.refine((v: string) => {
    const t = Date.parse(v);
    return t >= 0 && t < LAST_INSTANT;
  }, 'must be between 1970 and 9999'),
);

const reminderSchema = z.enum(REMINDER_PRESET_NAMES);

const taskFields = {
  content: text(TASK_CONTENT_MAX),
  due_date: z.nullable(dateTimeSchema),
  owner_id: idSchema,
  resource_type: z.nullable(relatedRecordTypeSchema),
  resource_id: z.nullable(idSchema),
  completed: z.boolean(),
  remind_at: z.nullable(dateTimeSchema),
  reminder: z.nullable(reminderSchema),
};

const optionalFields = Object.fromEntries(Object.entries(taskFields).map(([k, v]) => [k, z.optional(v)])) as {
  [K in keyof typeof taskFields]: z.ZodMiniOptional<(typeof taskFields)[K]>;
};

export const createTaskInput = z.strictObject({ ...optionalFields, content: taskFields.content });
export const updateTaskInput = z.strictObject(optionalFields).check(notEmpty);

export type CreateTaskInput = z.output<typeof createTaskInput>;
export type UpdateTaskInput = z.output<typeof updateTaskInput>;

/**
 * A task as the API shows it: the stored task plus `overdue`, computed when it is read
 * (presentTask). Times are ISO date-times in the offset they were given in.
 */
export const taskViewSchema = z.object({
  id: z.string(),
  content: z.string(),
  /** Null when the task has no due time. */
  due_date: z.nullable(z.string()),
  /** The assignee. */
  owner_id: z.string(),
  creator_id: z.string(),
  resource_type: z.nullable(relatedRecordTypeSchema),
  resource_id: z.nullable(z.string()),
  completed: z.boolean(),
  completed_at: z.nullable(z.string()),
  overdue: z.boolean(),
  /** When the reminder fires (F8.2): set directly, or from `reminder`. */
  remind_at: z.nullable(z.string()),
  /** The preset remind_at follows when the due time moves; null for a remind_at set directly. */
  reminder: z.nullable(reminderSchema),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.int(),
});
export type TaskView = z.output<typeof taskViewSchema>;

/** A task as stored: overdue depends on the clock, so it is never stored. */
export const taskSchema = z.omit(taskViewSchema, { overdue: true });
export type Task = z.output<typeof taskSchema>;

/** F8.3: open, with a due time already past. */
export function isOverdue(task: Pick<Task, 'completed' | 'due_date'>, now: Date): boolean {
  return !task.completed && task.due_date !== null && Date.parse(task.due_date) < now.getTime();
}

export function presentTask(task: Task, now: Date): TaskView {
  return { ...task, overdue: isOverdue(task, now) };
}

/**
 * The record a task is linked to after a change: resource_type and resource_id go together
 * (both set, or both null to unlink).
 */
export function taskRecord(
  before: Pick<Task, 'resource_type' | 'resource_id'>,
  input: { resource_type?: RelatedRecordType | null | undefined; resource_id?: string | null | undefined },
): RecordRef | null {
  if (input.resource_type === undefined && input.resource_id === undefined) {
    return before.resource_type && before.resource_id
      ? { resource_type: before.resource_type, resource_id: before.resource_id }
      : null;
  }
  const type = input.resource_type;
  const id = input.resource_id;
  if (type === null && id === null) return null;
  if (!type || !id) {
    const missing = !type ? 'body.resource_type' : 'body.resource_id';
    throw ValidationError.field(missing, 'resource_type and resource_id go together: give both, or both null');
  }
  return { resource_type: type, resource_id: id };
}

// --- reminders (F8.2) -------------------------------------------------------------------------

export type ReminderState = Pick<Task, 'due_date' | 'remind_at' | 'reminder'>;

const OFFSET = /(Z|[+-]\d{2}:\d{2})$/;

/** `iso` moved back by `minutes`, written in the same offset as `iso`. */
export function minutesBefore(iso: string, minutes: number): string {
  const at = Date.parse(iso) - minutes * 60_000;
  const offset = OFFSET.exec(iso)?.[1] ?? 'Z';
  if (offset === 'Z') return new Date(at).toISOString().replace('.000Z', 'Z');
  const sign = offset.startsWith('-') ? -1 : 1;
  const offsetMinutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  const local = new Date(at + offsetMinutes * 60_000).toISOString().replace(/(\.000)?Z$/, '');
  return `${local}${offset}`;
}

/**
 * The reminder of a task after a create or a change. `remind_at` and a preset `reminder` are
 * two ways to say one thing: both at once is refused. A preset sets remind_at = due_date minus
 * its offset and follows the due time when it moves; a remind_at set directly stays put and
 * must not fall after the due time. A reminder needs a due time. `null` clears the reminder.
 */
export function resolveReminder(
  before: ReminderState | null,
  due_date: string | null,
  input: { remind_at?: string | null | undefined; reminder?: ReminderPreset | null | undefined },
): { remind_at: string | null; reminder: ReminderPreset | null } {
  if (input.remind_at !== undefined && input.reminder !== undefined) {
    throw new ValidationError([
      { field: 'body.remind_at', message: 'give either remind_at or reminder, not both' },
      { field: 'body.reminder', message: 'give either remind_at or reminder, not both' },
    ]);
  }
  const problems: FieldProblem[] = [];
  let result: { remind_at: string | null; reminder: ReminderPreset | null };
  if (input.reminder !== undefined || (input.remind_at === undefined && before?.reminder)) {
    const preset = input.reminder !== undefined ? input.reminder : before!.reminder;
    if (preset === null) result = { remind_at: null, reminder: null };
    else if (due_date === null) {
      // A preset set earlier goes away with the due time; one asked for now needs a due time.
      if (input.reminder !== undefined) problems.push({ field: 'body.reminder', message: 'needs a due_date' });
      result = { remind_at: null, reminder: null };
    } else result = { remind_at: minutesBefore(due_date, REMINDER_PRESETS[preset]), reminder: preset };
  } else {
    const remindAt = input.remind_at !== undefined ? input.remind_at : (before?.remind_at ?? null);
    const field = 'body.remind_at';
    const given = input.remind_at !== undefined;
    if (remindAt !== null && due_date === null) {
      problems.push({ field, message: given ? 'needs a due_date' : 'a reminder needs a due_date: clear remind_at too' });
    } else if (remindAt !== null && due_date !== null && Date.parse(remindAt) > Date.parse(due_date)) {
      problems.push({
        field,
        message: given
          ? `must not be after due_date (${due_date})`
          : `is after the new due_date (${due_date}): move or clear remind_at too`,
      });
    }
    result = { remind_at: remindAt, reminder: null };
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return result;
}

// --- list order ---------------------------------------------------------------------------------
//
// Lists show open tasks first, by due time ascending (so overdue ones lead), then completed
// ones; tasks without a due time come last in each group. One sort key holds that order:
// "<0 open | 1 done>#<due time in UTC>#<id>", so every task filter is a key range.

const NO_DUE = '~';
/** Above every key of a group ("~" sorts after the digits of a date and after "#"). */
const GROUP_END = '~~';

const utc = (iso: string): string => new Date(iso).toISOString();

export function taskOrderKey(task: Pick<Task, 'id' | 'completed' | 'due_date'>): string {
  return `${task.completed ? 1 : 0}#${task.due_date ? utc(task.due_date) : NO_DUE}#${task.id}`;
}

export interface TaskOrderFilter {
  completed?: boolean | undefined;
  overdue?: boolean | undefined;
  /** Inclusive bounds on the due time (date-times with offset). */
  due_from?: string | undefined;
  due_to?: string | undefined;
}

/**
 * The sort key range [from, to] (inclusive) holding the tasks that pass the filter at `now`.
 * When both groups are wanted and one of them is narrowed, the range also spans keys of the
 * other group's far end: `split` keeps only keys <= openTo or >= doneFrom.
 */
export type TaskOrderRange =
  { empty: true } | { empty: false; from: string; to: string; split?: { openTo: string; doneFrom: string } };

const max = (a: string, b: string) => (a > b ? a : b);
const min = (a: string, b: string) => (a < b ? a : b);

export function taskOrderRange(filter: TaskOrderFilter, now: Date): TaskOrderRange {
  const groups: ('0' | '1')[] = [];
  if (filter.completed !== true) groups.push('0');
  if (filter.completed !== false && filter.overdue !== true) groups.push('1');
  const nowKey = `0#${now.toISOString()}`;
  const bounds = groups
    .map((group) => {
      let from = `${group}#`;
      let to = `${group}#${GROUP_END}`;
      // Tasks without a due time ("<group>#~#<id>") fall outside any due range.
      if (filter.due_from !== undefined) from = max(from, `${group}#${utc(filter.due_from)}`);
      if (filter.due_from !== undefined || filter.due_to !== undefined) to = min(to, `${group}#${NO_DUE}`);
      if (filter.due_to !== undefined) to = min(to, `${group}#${utc(filter.due_to)}#${GROUP_END}`);
      if (group === '0' && filter.overdue === true) to = min(to, nowKey); // due < now: "0#<due>#id" < "0#<now>"
      if (group === '0' && filter.overdue === false) from = max(from, nowKey);
      return { group, from, to };
    })
    .filter((b) => b.from <= b.to);
  const [first, last] = [bounds[0], bounds.at(-1)];
  if (!first || !last) return { empty: true };
  if (first === last) return { empty: false, from: first.from, to: first.to };
  const narrowed = first.to !== `0#${GROUP_END}` || last.from !== '1#';
  return {
    empty: false,
    from: first.from,
    to: last.to,
    ...(narrowed ? { split: { openTo: first.to, doneFrom: last.from } } : {}),
  };
}

/** The task re-pointed to another record (lead conversion): a new version of the task. */
export function moveTask(task: Task, to: RecordRef, at?: string): Task {
  return {
    ...task,
    resource_type: to.resource_type,
    resource_id: to.resource_id,
    ...(at !== undefined ? { updated_at: at } : {}),
    version: task.version + 1,
  };
}
