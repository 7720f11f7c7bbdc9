import { ValidationError } from '#shared/kernel/errors.ts';
import { changedFields, domainEvent, type DomainEvent } from '#shared/kernel/events.ts';
import { recordRefKey, type RecordRef, type RelatedRecordType } from '#shared/kernel/related-records.ts';
import {
  presentTask,
  resolveReminder,
  taskRecord,
  type CreateTaskInput,
  type Task,
  type TaskView,
  type UpdateTaskInput,
} from './domain.ts';
import { ownersToQuery, scopeOf } from '#shared/kernel/visibility.ts';
import { checkAssignee, visibleOwned } from '#shared/kernel/ownership.ts';
import type { Call, Page, PageQuery } from '#shared/kernel/ports.ts';
import { checkIfMatch, updateVersioned } from '#shared/kernel/versioned-update.ts';
import { visibleRecordOwner, type RecordOwners } from '#shared/kernel/record-owners.ts';
import type { TaskRecordLink, TaskRepository } from './ports.ts';

// Tasks (F8.1–F8.4): "own" is the assignee (owner_id), so a task is visible to its assignee,
// the assignee's manager and admins; a task the caller may not see is "not found". Linking a
// task to a record needs the caller to see that record. Assigning follows F8.4.

export interface TasksDeps {
  tasks: TaskRepository;
  records: RecordOwners;
}

const taskResource = (task: Task) => ({ resource_type: 'task', resource_id: task.id });

async function visibleTask(deps: TasksDeps, call: Call, id: string): Promise<Task> {
  return visibleOwned('task', id, await deps.tasks.get(id), call.principal);
}

async function linkTo(deps: TasksDeps, call: Call, ref: RecordRef | null): Promise<TaskRecordLink | null> {
  if (!ref) return null;
  return { ref, ownerId: await visibleRecordOwner(deps.records, call.principal, ref) };
}

export async function getTask(deps: TasksDeps, call: Call, id: string): Promise<TaskView> {
  return presentTask(await visibleTask(deps, call, id), call.events.now);
}

export async function createTask(deps: TasksDeps, call: Call, input: CreateTaskInput): Promise<TaskView> {
  const owner = input.owner_id ?? call.principal.user_id;
  checkAssignee(call.principal, owner, 'task', { as: 'assignee' });
  const ref = taskRecord({ resource_type: null, resource_id: null }, input);
  const link = await linkTo(deps, call, ref);
  const due = input.due_date ?? null;
  const now = call.events.now.toISOString();
  const completed = input.completed ?? false;
  const task: Task = {
    id: call.events.newId(),
    content: input.content,
    due_date: due,
    owner_id: owner,
    creator_id: call.principal.user_id,
    resource_type: ref?.resource_type ?? null,
    resource_id: ref?.resource_id ?? null,
    completed,
    completed_at: completed ? now : null,
    ...resolveReminder(null, due, input),
    created_at: now,
    updated_at: now,
    version: 1,
  };
  await deps.tasks.create(task, link, [domainEvent(call.events, 'task.created', taskResource(task), task)]);
  return presentTask(task, call.events.now);
}

export async function updateTask(
  deps: TasksDeps,
  call: Call,
  id: string,
  patch: UpdateTaskInput,
  ifMatch?: number,
): Promise<TaskView> {
  // Without If-Match a concurrent change is merged by replaying the patch on the new state;
  // with it, the caller asked to fail instead (412).
  return updateVersioned({
    resource: 'task',
    id,
    ifMatch,
    load: () => visibleTask(deps, call, id),
    reload: () => deps.tasks.get(id),
    present: (task) => presentTask(task, call.events.now),
    apply: (before) => applyPatch(deps, call, before, patch),
  });
}

async function applyPatch(deps: TasksDeps, call: Call, before: Task, patch: UpdateTaskInput): Promise<TaskView> {
  const now = call.events.now.toISOString();
  const after: Task = { ...before };
  if (patch.content !== undefined) after.content = patch.content;
  if (patch.due_date !== undefined) after.due_date = patch.due_date;
  if (patch.owner_id !== undefined) after.owner_id = patch.owner_id;
  if (after.owner_id !== before.owner_id) checkAssignee(call.principal, after.owner_id, 'task', { as: 'assignee' });

  const ref = taskRecord(before, patch);
  after.resource_type = ref?.resource_type ?? null;
  after.resource_id = ref?.resource_id ?? null;
  const relinked = ref !== null && (!before.resource_id || recordRefKey(ref) !== `${before.resource_type}#${before.resource_id}`);
  const link = relinked ? await linkTo(deps, call, ref) : null;

  Object.assign(after, resolveReminder(before, after.due_date, patch));
  if (patch.completed !== undefined && patch.completed !== before.completed) {
    after.completed = patch.completed;
    after.completed_at = patch.completed ? now : null;
  }

  const previous = changedFields(before, after);
  if (Object.keys(previous).length === 0) return presentTask(before, call.events.now);
  after.updated_at = now;
  after.version = before.version + 1;
  const events: DomainEvent[] = [domainEvent(call.events, 'task.updated', taskResource(after), after, { previous })];
  if (after.owner_id !== before.owner_id) {
    events.push(
      domainEvent(call.events, 'task.assigned', taskResource(after), after, { previous: { owner_id: before.owner_id } }),
    );
  }
  if (after.completed && !before.completed) {
    events.push(
      domainEvent(call.events, 'task.completed', taskResource(after), after, {
        previous: { completed: false, completed_at: before.completed_at },
      }),
    );
  }
  await deps.tasks.update(before, after, link, events);
  return presentTask(after, call.events.now);
}

export async function deleteTask(deps: TasksDeps, call: Call, id: string, ifMatch?: number): Promise<void> {
  const task = await visibleTask(deps, call, id);
  await checkIfMatch('task', id, task, ifMatch, (t) => presentTask(t, call.events.now));
  await deps.tasks.delete(task, [domainEvent(call.events, 'task.deleted', taskResource(task), task)]);
}

export interface TaskFilters {
  owner_id?: string | undefined;
  completed?: boolean | undefined;
  overdue?: boolean | undefined;
  due_from?: string | undefined;
  due_to?: string | undefined;
}

export interface TaskListRequest extends PageQuery, TaskFilters {
  resource_type?: RelatedRecordType | undefined;
  resource_id?: string | undefined;
}

/**
 * GET /tasks: open tasks first by due time (so overdue ones lead), then completed ones, among
 * the tasks whose assignee the caller can see; narrowed to one record when one is named.
 */
export async function listTasks(deps: TasksDeps, call: Call, request: TaskListRequest): Promise<Page<TaskView>> {
  const { resource_type, resource_id, ...rest } = request;
  if (resource_type !== undefined || resource_id !== undefined) {
    if (resource_type === undefined)
      throw ValidationError.field('query.resource_type', 'is required with resource_id', { fieldCode: 'required' });
    if (resource_id === undefined)
      throw ValidationError.field('query.resource_id', 'is required with resource_type', { fieldCode: 'required' });
    return listRecordTasks(deps, call, { resource_type, resource_id }, rest);
  }
  return list(deps, call, undefined, rest);
}

/** A record's tasks (F3.4), once the caller is known to see the record. */
export async function listRecordTasks(
  deps: TasksDeps,
  call: Call,
  ref: RecordRef,
  request: PageQuery & TaskFilters,
): Promise<Page<TaskView>> {
  await visibleRecordOwner(deps.records, call.principal, ref);
  return list(deps, call, ref, request);
}

async function list(
  deps: TasksDeps,
  call: Call,
  record: RecordRef | undefined,
  request: PageQuery & TaskFilters,
): Promise<Page<TaskView>> {
  const owners = ownersToQuery(scopeOf(call.principal), request.owner_id);
  if (owners !== 'all' && owners.length === 0) return { items: [], next_cursor: null };
  const { completed, overdue, due_from, due_to } = request;
  const page = await deps.tasks.list(
    { owners, record, filter: { completed, overdue, due_from, due_to }, now: call.events.now },
    { limit: request.limit, cursor: request.cursor },
  );
  return { items: page.items.map((t) => presentTask(t, call.events.now)), next_cursor: page.next_cursor };
}
