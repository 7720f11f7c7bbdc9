import type { TaskListQuery, TaskRecordLink, TaskRepository } from '#shared/tasks/ports.ts';
import type { TasksDeps } from '#shared/tasks/use-cases.ts';
import { isOverdue, moveTask, taskOrderKey, type Task } from '#shared/tasks/domain.ts';
import { ConflictError, ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import { recordRefKey, type RecordRef } from '#shared/kernel/related-records.ts';
import { byCodePoint, collected, copy, InMemoryRecordOwners, InMemoryStore, paginate } from '#test/helpers/in-memory-store.ts';

// An in-memory fake of the task repository (shared/tasks/ports.ts), on the shared store. Like
// the DynamoDB adapter (shared/tasks/dynamodb.ts): the assignee must be an active user
// (ValidationError on body.owner_id, checked on create and when it changes), a newly linked
// record must still have the owner the caller saw, changes are conditional on the version.
// Lists keep the port's order (open tasks by due time, those without one last, then completed
// ones) and filters, and judge "overdue" at the first page's instant, carried in the cursor.

const CURSOR = /^(\d{1,15})~(.+)$/;

const isOf = (ref: RecordRef) => (task: Task) =>
  task.resource_type !== null && task.resource_id !== null && recordRefKey(task as RecordRef) === recordRefKey(ref);

/** taskMoveOps on the store: the task re-pointed to `to`, only while it is as read. */
export function applyTaskMove(store: InMemoryStore, task: Task, to: RecordRef, at?: string): void {
  const current = store.tasks.get(task.id);
  if (!current || current.version !== task.version) {
    throw new VersionMismatchError('task', task.id, current ? copy(current) : null);
  }
  store.tasks.set(task.id, moveTask(copy(task), to, at));
}

export class InMemoryTaskRepository implements TaskRepository {
  readonly store: InMemoryStore;
  readonly events: DomainEvent[] = [];
  readonly queries: TaskListQuery[] = [];
  /** Runs before each write's checks: lets a test interleave a concurrent change. */
  beforeWrite: (() => void) | undefined;
  constructor(store = new InMemoryStore()) {
    this.store = store;
  }

  async get(id: string): Promise<Task | undefined> {
    const task = this.store.tasks.get(id);
    return task && copy(task);
  }

  async create(task: Task, link: TaskRecordLink | null, events: DomainEvent[]): Promise<void> {
    this.#write(events, () => {
      if (this.store.tasks.has(task.id)) throw new ConflictError(`task ${task.id} exists`);
      this.store.tasks.set(task.id, copy(task));
      this.store.requireActiveUser(task.owner_id);
      if (link) this.store.requireRecordOwner(link.ref, link.ownerId);
    });
  }

  async update(before: Task, after: Task, link: TaskRecordLink | null, events: DomainEvent[]): Promise<void> {
    this.#write(events, () => {
      this.#requireVersion(before);
      this.store.tasks.set(after.id, copy(after));
      if (after.owner_id !== before.owner_id) this.store.requireActiveUser(after.owner_id);
      if (link) this.store.requireRecordOwner(link.ref, link.ownerId);
    });
  }

  async delete(task: Task, events: DomainEvent[]): Promise<void> {
    this.#write(events, () => {
      this.#requireVersion(task);
      this.store.tasks.delete(task.id);
    });
  }

  async list(query: TaskListQuery, page: PageQuery): Promise<Page<Task>> {
    this.queries.push(copy(query));
    let asOf = query.now;
    let after: string | undefined;
    if (page.cursor !== undefined) {
      const match = CURSOR.exec(page.cursor);
      if (!match) throw ValidationError.field('query.cursor', 'is not a cursor returned by this list with these filters');
      asOf = new Date(Number(match[1]));
      after = match[2];
    }
    const { completed, overdue, due_from, due_to } = query.filter;
    const due = (t: Task) => (t.due_date === null ? null : Date.parse(t.due_date));
    const matches = [...this.store.tasks.values()].filter(
      (t) =>
        (query.owners === 'all' || query.owners.includes(t.owner_id)) &&
        (query.record === undefined || isOf(query.record)(t)) &&
        (completed === undefined || t.completed === completed) &&
        (overdue === undefined || isOverdue(t, asOf) === overdue) &&
        (due_from === undefined || (due(t) !== null && due(t)! >= Date.parse(due_from))) &&
        (due_to === undefined || (due(t) !== null && due(t)! <= Date.parse(due_to))),
    );
    const result = paginate(matches, { limit: page.limit, cursor: after }, { key: taskOrderKey });
    const last = result.next_cursor;
    return { items: result.items, next_cursor: last === null ? null : `${asOf.getTime()}~${last}` };
  }

  async tasksOf(ref: RecordRef, limit: number): Promise<{ items: Task[]; truncated: boolean }> {
    const all = [...this.store.tasks.values()].filter(isOf(ref)).sort((a, b) => byCodePoint(taskOrderKey(a), taskOrderKey(b)));
    return collected(all, limit);
  }

  #requireVersion(task: Task): void {
    const current = this.store.tasks.get(task.id);
    if (!current || current.version !== task.version) {
      throw new VersionMismatchError('task', task.id, current ? copy(current) : null);
    }
  }

  #write(events: DomainEvent[], write: () => void): void {
    this.beforeWrite?.();
    this.store.transact(write);
    this.events.push(...copy(events));
  }
}

/** The tasks use cases' ports on one store. */
export function tasksDeps(store: InMemoryStore): TasksDeps & { tasks: InMemoryTaskRepository; records: InMemoryRecordOwners } {
  return { tasks: new InMemoryTaskRepository(store), records: new InMemoryRecordOwners(store) };
}

// ---- Builders ----

export function makeTask(id: string, overrides: Partial<Task> = {}): Task {
  return {
    id,
    content: `Task ${id.slice(-4)}`,
    due_date: null,
    owner_id: 'owner',
    creator_id: 'owner',
    resource_type: null,
    resource_id: null,
    completed: false,
    completed_at: null,
    remind_at: null,
    reminder: null,
    created_at: '2031-01-01T00:00:00.000Z',
    updated_at: '2031-01-01T00:00:00.000Z',
    version: 1,
    ...overrides,
  };
}
