import { beforeAll, describe, expect, it } from 'vitest';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import { DynamoRecordOwners } from '#shared/platform/dynamodb/record-owners.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { DynamoTaskRepository, taskMoveOps } from '#shared/tasks/dynamodb.ts';
import { type Clock } from '#shared/kernel/ports.ts';
import type { TaskRecordLink } from '#shared/tasks/ports.ts';
import {
  createTask,
  deleteTask,
  getTask,
  listRecordTasks,
  listTasks,
  updateTask,
  type TaskListRequest,
  type TasksDeps,
} from '#shared/tasks/use-cases.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import type { RelatedRecordType } from '#shared/kernel/related-records.ts';
import type { Task } from '#shared/tasks/domain.ts';
import { putOrgUsers, putOwnedRecord, testOrg, type Who } from '#test/helpers/org.ts';
import { CountingMeter, testTableClient, useTestTable } from '#test/helpers/table.ts';
import { rejection } from '#test/helpers/fakes.ts';

// Tasks against DynamoDB Local, through the use cases with a fixed clock: assignment (F8.4),
// overdue as a key range (F8.3), the list order, record links, events, and the move writes
// lead conversion will use.

let table: Table;
let deps: TasksDeps;
let repo: CapturingTasks;
const meter = new CountingMeter();

const org = testOrg();
const { ids } = org;

let now = new Date('2026-06-15T12:00:00.000Z');
const clock: Clock = { now: () => now };
const call = (who: Who) => org.call(who, clock);

/** The adapter, remembering the events it was asked to write. */
class CapturingTasks extends DynamoTaskRepository {
  readonly events: DomainEvent[] = [];
  override async create(task: Task, link: TaskRecordLink | null, events: DomainEvent[]) {
    this.events.push(...events);
    return super.create(task, link, events);
  }
  override async update(before: Task, after: Task, link: TaskRecordLink | null, events: DomainEvent[]) {
    this.events.push(...events);
    return super.update(before, after, link, events);
  }
  override async delete(task: Task, events: DomainEvent[]) {
    this.events.push(...events);
    return super.delete(task, events);
  }
}

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName, meter);
  repo = new CapturingTasks(table);
  deps = { tasks: repo, records: new DynamoRecordOwners(table) };
  await putOrgUsers(table, org);
});

const record = (type: RelatedRecordType, owner: Who) => putOwnedRecord(table, type, ids[owner]);

const eventsFor = (taskId: string) => repo.events.filter((e) => e.metadata.resource_id === taskId);

describe('creating and assigning tasks (F8.4)', () => {
  it("assigns a new task to its creator by default, with task.created, and checks the assignee's user in the write", async () => {
    meter.reset();
    const task = await createTask(deps, call('rep1'), { content: 'Call back', due_date: '2026-06-16T09:00:00+02:00' });
    // The task's Sell id (its sequence, one UpdateItem), then the one write.
    expect(meter.calls.map((c) => c.operation)).toEqual(['UpdateItem', 'TransactWriteItems']);
    expect(task).toMatchObject({
      owner_id: ids.rep1,
      creator_id: ids.rep1,
      due_date: '2026-06-16T09:00:00+02:00',
      completed: false,
      completed_at: null,
      overdue: false,
      resource_type: null,
      version: 1,
    });
    const { overdue: _o, ...stored } = task;
    expect(await repo.get(task.id)).toEqual(stored);
    expect(eventsFor(task.id).map((e) => e.metadata.event_type)).toEqual(['task.created']);
  });

  it('refuses a rep assigning to someone else with 403 and a clear message, on create and on change', async () => {
    const created = await rejection(createTask(deps, call('rep1'), { content: 'x', owner_id: ids.rep2 }));
    expect(created).toBeInstanceOf(ForbiddenError);
    expect((created as Error).message).toBe(
      `You may not assign a task to user ${ids.rep2}: users assign tasks to themselves only`,
    );
    const task = await createTask(deps, call('rep1'), { content: 'mine' });
    expect(await rejection(updateTask(deps, call('rep1'), task.id, { owner_id: ids.rep2 }))).toBeInstanceOf(ForbiddenError);
    expect((await getTask(deps, call('rep1'), task.id)).owner_id).toBe(ids.rep1);
  });

  it('lets a manager assign to a report (task.assigned with the previous assignee), not outside the team', async () => {
    const task = await createTask(deps, call('manager'), { content: 'For rep1', owner_id: ids.rep1 });
    expect(task.owner_id).toBe(ids.rep1);
    const moved = await updateTask(deps, call('manager'), task.id, { owner_id: ids.rep2 });
    expect(moved).toMatchObject({ owner_id: ids.rep2, version: 2 });
    const assigned = eventsFor(task.id).find((e) => e.metadata.event_type === 'task.assigned')!;
    expect(assigned.previous).toEqual({ owner_id: ids.rep1 });
    expect(assigned.data).toMatchObject({ owner_id: ids.rep2 });
    const outside = await rejection(updateTask(deps, call('manager'), task.id, { owner_id: ids.solo }));
    expect((outside as Error).message).toMatch(/managers assign tasks to themselves and their direct reports/);
    // rep1 no longer sees it; rep2 does.
    expect(await rejection(getTask(deps, call('rep1'), task.id))).toBeInstanceOf(NotFoundError);
    expect((await getTask(deps, call('rep2'), task.id)).id).toBe(task.id);
  });

  it('lets an admin assign to anyone active; a disabled or unknown user is a 422 on body.owner_id', async () => {
    expect((await createTask(deps, call('admin'), { content: 'x', owner_id: ids.solo })).owner_id).toBe(ids.solo);
    for (const owner of [ids.gone, newId()]) {
      const error = await rejection(createTask(deps, call('admin'), { content: 'x', owner_id: owner }));
      expect((error as ValidationError).problems).toEqual([
        { field: 'body.owner_id', message: `no active user ${owner}`, code: 'unknown_reference' },
      ]);
    }
  });

  it('answers 404 for a task outside the scope, on read, change and delete', async () => {
    const theirs = await createTask(deps, call('solo'), { content: 'solo' });
    for (const who of ['rep1', 'manager'] as const) {
      expect(await rejection(getTask(deps, call(who), theirs.id))).toBeInstanceOf(NotFoundError);
      expect(await rejection(updateTask(deps, call(who), theirs.id, { completed: true }))).toBeInstanceOf(NotFoundError);
      expect(await rejection(deleteTask(deps, call(who), theirs.id))).toBeInstanceOf(NotFoundError);
    }
  });
});

describe('tasks on records', () => {
  it('links to a record the caller sees, and answers 404 naming the record otherwise', async () => {
    const deal = await record('deal', 'rep1');
    const task = await createTask(deps, call('rep1'), { content: 'Quote', ...deal });
    expect(task).toMatchObject(deal);
    const theirs = await record('deal', 'rep2');
    const error = await rejection(createTask(deps, call('rep1'), { content: 'x', ...theirs }));
    expect((error as NotFoundError).detail).toEqual({ resource: 'deal', id: theirs.resource_id });
    const relink = await rejection(updateTask(deps, call('rep1'), task.id, theirs));
    expect((relink as NotFoundError).detail).toEqual({ resource: 'deal', id: theirs.resource_id });
    const lead = await record('lead', 'rep1');
    expect(await updateTask(deps, call('rep1'), task.id, lead)).toMatchObject({ ...lead, version: 2 });
    expect(await updateTask(deps, call('rep1'), task.id, { resource_type: null, resource_id: null })).toMatchObject({
      resource_type: null,
      resource_id: null,
    });
    const half = await rejection(updateTask(deps, call('rep1'), task.id, { resource_type: 'deal' }));
    expect((half as ValidationError).problems[0]!.field).toBe('body.resource_id');
  });

  it('re-checks the record inside the write, on create and on relink: gone is 404, a new owner 409', async () => {
    const deal = await record('deal', 'rep1');
    const stale: TasksDeps = { ...deps, records: { ownerOf: async () => ids.rep1, ownersOf: async () => new Map() } };
    await table.write([
      { type: 'update', key: recordKey('deal', deal.resource_id), update: 'SET owner_id = :o', values: { ':o': ids.solo } },
    ]);
    expect(await rejection(createTask(stale, call('rep1'), { content: 'x', ...deal }))).toBeInstanceOf(ConflictError);
    const task = await createTask(deps, call('rep1'), { content: 'unlinked' });
    expect(await rejection(updateTask(stale, call('rep1'), task.id, deal))).toBeInstanceOf(ConflictError);
    await table.write([{ type: 'remove', key: recordKey('deal', deal.resource_id) }]);
    const gone = await rejection(createTask(stale, call('rep1'), { content: 'x', ...deal }));
    expect((gone as NotFoundError).detail).toEqual({ resource: 'deal', id: deal.resource_id });
    expect((await getTask(deps, call('rep1'), task.id)).resource_id).toBeNull();
  });

  it("lists a record's tasks (open first, by due time) among those whose assignee the caller sees", async () => {
    const deal = await record('deal', 'rep1');
    const late = await createTask(deps, call('rep1'), { content: 'late', due_date: '2026-06-20T00:00:00Z', ...deal });
    const soon = await createTask(deps, call('rep1'), { content: 'soon', due_date: '2026-06-16T00:00:00Z', ...deal });
    const forRep2 = await createTask(deps, call('manager'), {
      content: 'rep2',
      owner_id: ids.rep2,
      due_date: '2026-06-17T00:00:00Z',
      ...deal,
    });
    const done = await createTask(deps, call('rep1'), {
      content: 'done',
      completed: true,
      due_date: '2026-06-01T00:00:00Z',
      ...deal,
    });
    meter.reset();
    const asRep1 = await listRecordTasks(deps, call('rep1'), deal, { limit: 10 });
    expect(meter.calls.map((c) => c.operation)).toEqual(['GetItem', 'Query']);
    expect(asRep1.items.map((t) => t.id)).toEqual([soon.id, late.id, done.id]);
    const asManager = await listTasks(deps, call('manager'), { limit: 10, ...deal });
    expect(asManager.items.map((t) => t.id)).toEqual([soon.id, forRep2.id, late.id, done.id]);
    expect(await rejection(listRecordTasks(deps, call('rep2'), deal, { limit: 10 }))).toBeInstanceOf(NotFoundError);
  });
});

describe('overdue (F8.3) and the list order', () => {
  it('flags overdue at read time from the clock, never storing it', async () => {
    const task = await createTask(deps, call('rep2'), { content: 'x', due_date: '2026-06-15T14:30:00+02:00' });
    expect(task.overdue).toBe(false);
    const before = now;
    now = new Date('2026-06-15T12:30:00.001Z');
    try {
      expect((await getTask(deps, call('rep2'), task.id)).overdue).toBe(true);
      expect(await table.get({ pk: `task#${task.id}`, sk: 'task' })).not.toHaveProperty('overdue');
      expect((await updateTask(deps, call('rep2'), task.id, { completed: true })).overdue).toBe(false);
    } finally {
      now = before;
    }
  });

  it('serves overdue=true as one key range per assignee: open tasks due before now, earliest first', async () => {
    const owner = 'solo';
    const mk = (content: string, due_date: string | null, completed = false) =>
      createTask(deps, call(owner), { content, due_date, completed });
    const past1 = await mk('past1', '2026-06-15T13:59:59+02:00'); // 11:59:59Z
    const past2 = await mk('past2', '2026-06-14T08:00:00-04:00'); // 12:00Z the day before
    const dueNow = await mk('now', '2026-06-15T12:00:00Z');
    const future = await mk('future', '2026-06-18T00:00:00Z');
    const doneLate = await mk('done', '2026-06-01T00:00:00Z', true);
    const undated = await mk('undated', null);
    meter.reset();
    const overdue = await listTasks(deps, call(owner), { limit: 50, overdue: true });
    expect(meter.calls.map((c) => c.operation)).toEqual(['Query']);
    expect(overdue.items.map((t) => t.id)).toEqual([past2.id, past1.id]);
    expect(overdue.items.every((t) => t.overdue)).toBe(true);
    const rest = await listTasks(deps, call(owner), { limit: 50, overdue: false });
    const mine = new Set([past1.id, past2.id, dueNow.id, future.id, doneLate.id, undated.id]);
    expect(rest.items.map((t) => t.id).filter((id) => mine.has(id))).toEqual([dueNow.id, future.id, undated.id, doneLate.id]);
    const all = await listTasks(deps, call(owner), { limit: 50 });
    expect(all.items.map((t) => t.id).filter((id) => mine.has(id))).toEqual([
      past2.id,
      past1.id,
      dueNow.id,
      future.id,
      undated.id,
      doneLate.id,
    ]);
    const completed = await listTasks(deps, call(owner), { limit: 50, completed: true });
    expect(completed.items.map((t) => t.id).filter((id) => mine.has(id))).toEqual([doneLate.id]);
    const window = await listTasks(deps, call(owner), {
      limit: 50,
      due_from: '2026-06-15T14:00:00+02:00',
      due_to: '2026-06-20T00:00:00Z',
    });
    expect(window.items.map((t) => t.id).filter((id) => mine.has(id))).toEqual([dueNow.id, future.id]);
    const doneWindow = await listTasks(deps, call(owner), { limit: 50, due_to: '2026-06-02T00:00:00Z' });
    expect(doneWindow.items.map((t) => t.id).filter((id) => mine.has(id))).toEqual([doneLate.id]);
  });

  it("merges a manager's reports in due order, narrows to one assignee, and shows nothing outside the scope", async () => {
    const a = await createTask(deps, call('manager'), { content: 'a', owner_id: ids.rep1, due_date: '2030-01-03T00:00:00Z' });
    const b = await createTask(deps, call('manager'), { content: 'b', owner_id: ids.rep2, due_date: '2030-01-02T00:00:00Z' });
    const c = await createTask(deps, call('manager'), { content: 'c', due_date: '2030-01-01T00:00:00Z' });
    const window: TaskListRequest = { limit: 50, due_from: '2030-01-01T00:00:00Z', due_to: '2030-01-31T00:00:00Z' };
    meter.reset();
    const merged = await listTasks(deps, call('manager'), window);
    expect(meter.calls.filter((x) => x.operation === 'Query')).toHaveLength(3);
    expect(merged.items.map((t) => t.id)).toEqual([c.id, b.id, a.id]);
    expect((await listTasks(deps, call('manager'), { ...window, owner_id: ids.rep2 })).items.map((t) => t.id)).toEqual([b.id]);
    expect((await listTasks(deps, call('manager'), { ...window, owner_id: ids.solo })).items).toEqual([]);
    expect((await listTasks(deps, call('rep1'), window)).items.map((t) => t.id)).toEqual([a.id]);
    const admin = await listTasks(deps, call('admin'), window);
    expect(admin.items.map((t) => t.id)).toEqual([c.id, b.id, a.id]);
  });

  it('keeps the first page’s "now" for later pages, so a task crossing it is neither repeated nor lost', async () => {
    const due = ['2031-01-01T00:00:00Z', '2031-01-01T00:00:02Z', '2031-01-01T00:00:04Z'];
    const created = [];
    for (const d of due) created.push(await createTask(deps, call('rep2'), { content: d, due_date: d }));
    const before = now;
    try {
      now = new Date('2031-01-01T00:00:03Z');
      const window = { limit: 1, overdue: true, due_from: '2031-01-01T00:00:00Z', due_to: '2031-01-01T00:00:10Z' };
      const first = await listTasks(deps, call('rep2'), window);
      now = new Date('2031-01-01T00:00:05Z'); // the third task is overdue too by now
      const second = await listTasks(deps, call('rep2'), { ...window, limit: 10, cursor: first.next_cursor! });
      // The list the first page began: overdue at 00:00:03.
      expect([...first.items, ...second.items].map((t) => t.id)).toEqual([created[0]!.id, created[1]!.id]);
      expect(second.next_cursor).toBeNull();
      expect((await listTasks(deps, call('rep2'), { ...window, limit: 10 })).items).toHaveLength(3);
      const forged = first.next_cursor!.replace(/^\d+/, String(Date.parse('2031-01-01T00:00:00Z')));
      const error = await rejection(listTasks(deps, call('rep2'), { ...window, cursor: forged }));
      expect((error as ValidationError).problems[0]!.field).toBe('query.cursor');
    } finally {
      now = before;
    }
  });
});

describe('completing and changing tasks', () => {
  it('publishes task.completed on completion only, stamps completed_at, and moves the task after the open ones', async () => {
    const task = await createTask(deps, call('rep1'), { content: 'finish', due_date: '2026-06-10T00:00:00Z' });
    expect(task.overdue).toBe(true);
    const done = await updateTask(deps, call('rep1'), task.id, { completed: true });
    expect(done).toMatchObject({ completed: true, completed_at: now.toISOString(), overdue: false, version: 2 });
    expect((await listTasks(deps, call('rep1'), { limit: 100, overdue: true })).items.map((t) => t.id)).not.toContain(task.id);
    expect((await listTasks(deps, call('rep1'), { limit: 100, completed: true })).items.map((t) => t.id)).toContain(task.id);
    const again = await updateTask(deps, call('rep1'), task.id, { completed: true });
    expect(again.version).toBe(2);
    const reopened = await updateTask(deps, call('rep1'), task.id, { completed: false });
    expect(reopened).toMatchObject({ completed: false, completed_at: null, overdue: true });
    const types = eventsFor(task.id).map((e) => e.metadata.event_type);
    expect(types).toEqual(['task.created', 'task.updated', 'task.completed', 'task.updated']);
    const completed = eventsFor(task.id).find((e) => e.metadata.event_type === 'task.completed')!;
    expect(completed.previous).toEqual({ completed: false, completed_at: null });
  });

  it('stores a preset reminder and moves it with the due time; refuses a remind_at after the due time', async () => {
    const task = await createTask(deps, call('rep1'), { content: 'r', due_date: '2026-07-01T10:00:00+02:00', reminder: '1d' });
    expect(task).toMatchObject({ remind_at: '2026-06-30T10:00:00+02:00', reminder: '1d' });
    const moved = await updateTask(deps, call('rep1'), task.id, { due_date: '2026-07-03T08:00:00Z' });
    expect(moved).toMatchObject({ remind_at: '2026-07-02T08:00:00Z', reminder: '1d' });
    const late = await rejection(updateTask(deps, call('rep1'), task.id, { remind_at: '2026-07-03T08:00:01Z' }));
    expect((late as ValidationError).problems).toEqual([{ field: 'body.remind_at', message: expect.stringContaining('after') }]);
    const both = await rejection(
      createTask(deps, call('rep1'), {
        content: 'r',
        due_date: '2026-07-01T10:00:00Z',
        reminder: '5m',
        remind_at: '2026-07-01T09:00:00Z',
      }),
    );
    expect(both).toBeInstanceOf(ValidationError);
    expect((await getTask(deps, call('rep1'), task.id)).remind_at).toBe('2026-07-02T08:00:00Z');
  });

  it('answers a stale If-Match with the current task, merges concurrent changes without it, and deletes with task.deleted', async () => {
    const task = await createTask(deps, call('rep1'), { content: 'c', due_date: '2026-08-01T00:00:00Z' });
    const changes = [{ content: 'c2' }, { due_date: '2026-08-02T00:00:00Z' }, { reminder: '1h' as const }, { completed: true }];
    await Promise.all(changes.map((patch) => updateTask(deps, call('rep1'), task.id, patch)));
    const merged = await getTask(deps, call('rep1'), task.id);
    expect(merged).toMatchObject({
      content: 'c2',
      due_date: '2026-08-02T00:00:00Z',
      reminder: '1h',
      completed: true,
      version: 5,
    });
    const stale = await rejection(updateTask(deps, call('rep1'), task.id, { content: 'x' }, 1));
    expect((stale as VersionMismatchError).current).toMatchObject({ version: 5, overdue: false });
    await deleteTask(deps, call('manager'), task.id);
    expect(await repo.get(task.id)).toBeUndefined();
    expect(eventsFor(task.id).at(-1)!.metadata.event_type).toBe('task.deleted');
  });
});

describe('moving tasks (lead conversion)', () => {
  it("re-points every task of a record in the caller's transaction, keeping the order, and refuses a stale one", async () => {
    const lead = await record('lead', 'rep2');
    const contact = await record('contact', 'rep2');
    await createTask(deps, call('rep2'), { content: 'b', due_date: '2026-09-02T00:00:00Z', ...lead });
    await createTask(deps, call('rep2'), { content: 'a', due_date: '2026-09-01T00:00:00Z', ...lead });
    const { items, truncated } = await repo.tasksOf(lead, 100);
    expect([items.map((t) => t.content), truncated]).toEqual([['a', 'b'], false]);
    await table.write(items.flatMap((t) => taskMoveOps(t, contact)));
    expect((await listRecordTasks(deps, call('rep2'), lead, { limit: 10 })).items).toEqual([]);
    const moved = (await listRecordTasks(deps, call('rep2'), contact, { limit: 10 })).items;
    expect(moved.map((t) => [t.content, t.resource_type, t.version])).toEqual([
      ['a', 'contact', 2],
      ['b', 'contact', 2],
    ]);
    expect(await rejection(table.write(taskMoveOps(items[0]!, lead)))).toBeInstanceOf(VersionMismatchError);
  });
});
