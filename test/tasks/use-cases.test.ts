import { describe, expect, it } from 'vitest';
import { createTask, deleteTask, getTask, listRecordTasks, listTasks, updateTask } from '#shared/tasks/use-cases.ts';
import type { Task } from '#shared/tasks/domain.ts';
import { ConflictError, ForbiddenError, NotFoundError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { RecordRef } from '#shared/kernel/related-records.ts';
import { FixedClock, TEST_NOW, USERS, callsAs, eventTypes, fieldsOf, makeUser, rejection, testId } from '#test/helpers/fakes.ts';
import { InMemoryStore } from '#test/helpers/in-memory-store.ts';
import { makeLead } from '#test/contacts/fakes.ts';
import { makeDeal } from '#test/deals/fakes.ts';
import { makeTask, tasksDeps } from './fakes.ts';

// The task use cases on the in-memory fakes: "own" is the assignee, so a task is seen by its
// assignee, their manager and admins; assignment follows F8.4; a linked record must be
// visible; reminders and the list's order and filters; If-Match, replay, events.

const { admin: ADMIN, manager: MANAGER, rep: REP, peer: PEER } = USERS;
const GONE = makeUser(testId(5), { status: 'inactive' });
const REP_DEAL: RecordRef = { resource_type: 'deal', resource_id: testId(30) };
const REP_LEAD: RecordRef = { resource_type: 'lead', resource_id: testId(31) };
const PEER_DEAL: RecordRef = { resource_type: 'deal', resource_id: testId(32) };
const STAGE = { id: testId(20), pipeline_id: testId(10) };
const TASK = testId(100);
// TEST_NOW is 2031-03-04T09:00Z.
const YESTERDAY = '2031-03-03T09:00:00.000Z';
const TOMORROW = '2031-03-05T09:00:00.000Z';

function setup(tasks: Task[] = [], now: string | FixedClock = TEST_NOW) {
  const store = new InMemoryStore().seed({
    users: [ADMIN, MANAGER, REP, PEER, GONE],
    deals: [
      makeDeal(REP_DEAL.resource_id, STAGE, { owner_id: REP.id }),
      makeDeal(PEER_DEAL.resource_id, STAGE, { owner_id: PEER.id }),
    ],
    leads: [makeLead(REP_LEAD.resource_id, { owner_id: REP.id })],
    tasks,
  });
  const deps = tasksDeps(store);
  return { store, deps, tasks: deps.tasks, as: callsAs(now) };
}

/** A task of the rep, created by them, due tomorrow. */
const repTask = (overrides: Partial<Task> = {}) =>
  makeTask(TASK, { owner_id: REP.id, creator_id: REP.id, due_date: TOMORROW, ...overrides });

describe('createTask', () => {
  it('assigns the task to the caller by default, with task.created, and shows whether it is overdue', async () => {
    const { tasks, deps, as } = setup();
    const task = await createTask(deps, as.rep(), { content: 'Send the quote', due_date: YESTERDAY, ...REP_DEAL });
    expect(task).toMatchObject({
      content: 'Send the quote',
      owner_id: REP.id,
      creator_id: REP.id,
      ...REP_DEAL,
      completed: false,
      completed_at: null,
      overdue: true,
      created_at: TEST_NOW,
      version: 1,
    });
    expect(eventTypes(tasks.events)).toEqual(['task.created']);
    const { overdue: _overdue, ...stored } = task;
    expect(tasks.events[0]!.data).toEqual(stored);
    expect(await tasks.get(task.id)).toEqual(stored);
    expect((await createTask(deps, as.rep(), { content: 'Later', due_date: TOMORROW })).overdue).toBe(false);
  });

  it('sets a reminder from a preset before the due time; a task created completed is completed now', async () => {
    const { deps, as } = setup();
    const task = await createTask(deps, as.rep(), { content: 'Call', due_date: TOMORROW, reminder: '1h', completed: true });
    expect(task).toMatchObject({ remind_at: '2031-03-05T08:00:00Z', reminder: '1h', completed: true, completed_at: TEST_NOW });
  });

  it('refuses bad reminders and half a record reference, naming the fields, and writes nothing', async () => {
    const { store, deps, as } = setup();
    const create = (input: Partial<Parameters<typeof createTask>[2]>) => createTask(deps, as.rep(), { content: 'x', ...input });
    expect(await fieldsOf(create({ reminder: '1h' }))).toEqual(['body.reminder']);
    expect(await fieldsOf(create({ due_date: YESTERDAY, remind_at: TOMORROW }))).toEqual(['body.remind_at']);
    expect(await fieldsOf(create({ due_date: TOMORROW, remind_at: YESTERDAY, reminder: '1h' }))).toEqual([
      'body.remind_at',
      'body.reminder',
    ]);
    expect(await fieldsOf(create({ resource_type: 'deal' }))).toEqual(['body.resource_id']);
    // The assignee is checked in the write (the fake, as the adapter).
    expect(await fieldsOf(createTask(deps, as.admin(), { content: 'x', owner_id: GONE.id }))).toEqual(['body.owner_id']);
    expect(store.tasks.size).toBe(0);
  });

  it('follows the assignment rule (F8.4): a rep assigns to themself only, a manager to a report', async () => {
    const { deps, as } = setup();
    expect(await rejection(createTask(deps, as.rep(), { content: 'x', owner_id: PEER.id }))).toBeInstanceOf(ForbiddenError);
    expect((await createTask(deps, as.manager(), { content: 'x', owner_id: REP.id })).owner_id).toBe(REP.id);
    expect(await rejection(createTask(deps, as.manager(), { content: 'x', owner_id: PEER.id }))).toBeInstanceOf(ForbiddenError);
    expect((await createTask(deps, as.admin(), { content: 'x', owner_id: PEER.id })).owner_id).toBe(PEER.id);
  });

  it('links only to a record the caller sees (404 naming it), re-checked by the write', async () => {
    const { store, deps, tasks, as } = setup();
    const hidden = await rejection(createTask(deps, as.rep(), { content: 'x', ...PEER_DEAL }));
    expect((hidden as NotFoundError).detail).toEqual({ resource: 'deal', id: PEER_DEAL.resource_id });
    tasks.beforeWrite = () => (store.leads.get(REP_LEAD.resource_id)!.owner_id = PEER.id);
    expect(await rejection(createTask(deps, as.rep(), { content: 'x', ...REP_LEAD }))).toBeInstanceOf(ConflictError);
    expect(store.tasks.size).toBe(0);
  });
});

describe('getTask', () => {
  it('shows a task to its assignee, their manager and admins, whoever created it; to others it is not found', async () => {
    const { deps, as } = setup([repTask({ creator_id: MANAGER.id })]);
    expect((await getTask(deps, as.rep(), TASK)).id).toBe(TASK);
    expect((await getTask(deps, as.manager(), TASK)).id).toBe(TASK);
    expect((await getTask(deps, as.admin(), TASK)).id).toBe(TASK);
    const hidden = await rejection(getTask(deps, as.peer(), TASK));
    expect((hidden as NotFoundError).detail).toEqual({ resource: 'task', id: TASK });
  });

  it('hides a task the rep created for their manager from the rep', async () => {
    const { deps, as } = setup([repTask({ owner_id: MANAGER.id })]);
    expect(await rejection(getTask(deps, as.rep(), TASK))).toBeInstanceOf(NotFoundError);
  });
});

describe('updateTask', () => {
  it('publishes task.updated with the previous values of what changed', async () => {
    const { deps, tasks, as } = setup([repTask({ content: 'Old' })]);
    const updated = await updateTask(deps, as.rep(), TASK, { content: 'New' });
    expect(updated).toMatchObject({ content: 'New', version: 2, updated_at: TEST_NOW });
    expect(eventTypes(tasks.events)).toEqual(['task.updated']);
    expect(tasks.events[0]!.previous).toEqual({ content: 'Old' });
  });

  it('publishes task.completed when completed (completed_at now), and clears completed_at when reopened', async () => {
    const { deps, tasks, as } = setup([repTask()]);
    expect(await updateTask(deps, as.rep(), TASK, { completed: true })).toMatchObject({
      completed: true,
      completed_at: TEST_NOW,
    });
    expect(eventTypes(tasks.events)).toEqual(['task.updated', 'task.completed']);
    expect(tasks.events[1]!.previous).toEqual({ completed: false, completed_at: null });
    expect(await updateTask(deps, as.rep(), TASK, { completed: false })).toMatchObject({ completed: false, completed_at: null });
    expect(eventTypes(tasks.events)).toEqual(['task.updated', 'task.completed', 'task.updated']);
  });

  it('publishes task.assigned when a manager reassigns; a rep may not hand a task to a peer (403)', async () => {
    const { deps, tasks, as } = setup([repTask()]);
    expect(await rejection(updateTask(deps, as.rep(), TASK, { owner_id: PEER.id }))).toBeInstanceOf(ForbiddenError);
    await updateTask(deps, as.manager(), TASK, { owner_id: MANAGER.id });
    expect(eventTypes(tasks.events)).toEqual(['task.updated', 'task.assigned']);
    expect(tasks.events[1]!.previous).toEqual({ owner_id: REP.id });
    expect(await rejection(getTask(deps, as.rep(), TASK))).toBeInstanceOf(NotFoundError);
  });

  it('moves a preset reminder with the due time, and refuses a fixed one left after the new due time', async () => {
    const { deps, as } = setup([repTask({ reminder: '1h', remind_at: '2031-03-05T08:00:00Z' })]);
    const moved = await updateTask(deps, as.rep(), TASK, { due_date: '2031-03-06T09:00:00Z' });
    expect(moved).toMatchObject({ reminder: '1h', remind_at: '2031-03-06T08:00:00Z' });
    await updateTask(deps, as.rep(), TASK, { remind_at: '2031-03-06T07:00:00Z' });
    expect(await fieldsOf(updateTask(deps, as.rep(), TASK, { due_date: '2031-03-06T06:00:00Z' }))).toEqual(['body.remind_at']);
  });

  it('links to another record only when the caller sees it; both null unlinks', async () => {
    const { deps, as } = setup([repTask({ ...REP_DEAL })]);
    expect(await rejection(updateTask(deps, as.rep(), TASK, { ...PEER_DEAL }))).toBeInstanceOf(NotFoundError);
    expect(await updateTask(deps, as.rep(), TASK, { ...REP_LEAD })).toMatchObject(REP_LEAD);
    expect(await updateTask(deps, as.rep(), TASK, { resource_type: null, resource_id: null })).toMatchObject({
      resource_type: null,
      resource_id: null,
    });
  });

  it('answers not found to a caller who cannot see the task, and writes nothing when nothing changes', async () => {
    const { deps, tasks, as } = setup([repTask({ content: 'Same' })]);
    expect(await rejection(updateTask(deps, as.peer(), TASK, { content: 'x' }))).toBeInstanceOf(NotFoundError);
    expect(await rejection(deleteTask(deps, as.peer(), TASK))).toBeInstanceOf(NotFoundError);
    expect((await updateTask(deps, as.rep(), TASK, { content: 'Same' })).version).toBe(1);
    expect(tasks.events).toEqual([]);
  });

  it('answers a stale If-Match with 412 and the current task, overdue shown', async () => {
    const { deps, tasks, as } = setup([repTask({ version: 2, due_date: YESTERDAY })]);
    const stale = await rejection(updateTask(deps, as.rep(), TASK, { content: 'x' }, 1));
    expect(stale).toBeInstanceOf(VersionMismatchError);
    expect((stale as VersionMismatchError).current).toMatchObject({ id: TASK, version: 2, overdue: true });
    expect(await rejection(deleteTask(deps, as.rep(), TASK, 1))).toBeInstanceOf(VersionMismatchError);
    expect(tasks.events).toEqual([]);
  });

  it('replays the patch over a change made meanwhile without If-Match; with it, answers 412 with that change', async () => {
    const { store, deps, tasks, as } = setup([repTask({ content: 'a' })]);
    let concurrent = 1;
    tasks.beforeWrite = () => {
      if (concurrent-- > 0) Object.assign(store.tasks.get(TASK)!, { content: 'theirs', version: 2 });
    };
    expect(await updateTask(deps, as.rep(), TASK, { completed: true })).toMatchObject({
      content: 'theirs',
      completed: true,
      version: 3,
    });
    tasks.beforeWrite = () => Object.assign(store.tasks.get(TASK)!, { content: 'again', version: 4 });
    const stale = await rejection(updateTask(deps, as.rep(), TASK, { content: 'late' }, 3));
    expect((stale as VersionMismatchError).current).toMatchObject({ content: 'again', version: 4 });
  });
});

describe('deleteTask', () => {
  it("deletes with task.deleted; the manager may delete a report's task", async () => {
    const { store, deps, tasks, as } = setup([repTask()]);
    await deleteTask(deps, as.manager(), TASK);
    expect(store.tasks.size).toBe(0);
    expect(eventTypes(tasks.events)).toEqual(['task.deleted']);
    expect(tasks.events[0]!.data).toMatchObject({ id: TASK, owner_id: REP.id });
  });
});

describe('listTasks', () => {
  const T = (n: number) => testId(200 + n);
  const many = (now?: FixedClock) =>
    setup(
      [
        makeTask(T(1), { owner_id: REP.id, due_date: '2031-03-01T09:00:00Z' }),
        makeTask(T(2), { owner_id: REP.id, due_date: '2031-03-10T09:00:00Z' }),
        makeTask(T(3), { owner_id: REP.id }),
        makeTask(T(4), { owner_id: REP.id, due_date: '2031-02-01T09:00:00Z', completed: true, completed_at: YESTERDAY }),
        makeTask(T(5), { owner_id: PEER.id, due_date: '2031-03-02T09:00:00Z' }),
        makeTask(T(6), { owner_id: MANAGER.id, due_date: '2031-03-05T09:00:00+01:00' }),
        makeTask(T(7), { owner_id: REP.id, due_date: '2031-03-06T09:00:00Z', ...REP_DEAL }),
      ],
      now,
    );
  const ids = (page: { items: { id: string }[] }) => page.items.map((t) => t.id);

  it("lists open tasks by due time (none last), then completed ones, among the assignees in the caller's scope", async () => {
    const { deps, tasks, as } = many();
    const mine = await listTasks(deps, as.rep(), { limit: 10 });
    expect(ids(mine)).toEqual([T(1), T(7), T(2), T(3), T(4)]);
    expect(mine.items.map((t) => t.overdue)).toEqual([true, false, false, false, false]);
    expect(tasks.queries[0]).toMatchObject({ owners: [REP.id], now: new Date(TEST_NOW) });
    expect(ids(await listTasks(deps, as.manager(), { limit: 10 }))).toEqual([T(1), T(6), T(7), T(2), T(3), T(4)]);
    expect(ids(await listTasks(deps, as.admin(), { limit: 10 }))).toHaveLength(7);
    expect(await listTasks(deps, as.manager(), { limit: 10, owner_id: PEER.id })).toEqual({ items: [], next_cursor: null });
    expect(tasks.queries).toHaveLength(3);
  });

  it('filters on overdue, completed and a due range', async () => {
    const { deps, as } = many();
    expect(ids(await listTasks(deps, as.rep(), { limit: 10, overdue: true }))).toEqual([T(1)]);
    expect(ids(await listTasks(deps, as.rep(), { limit: 10, overdue: false }))).toEqual([T(7), T(2), T(3), T(4)]);
    expect(ids(await listTasks(deps, as.rep(), { limit: 10, completed: true }))).toEqual([T(4)]);
    expect(
      ids(await listTasks(deps, as.rep(), { limit: 10, due_from: '2031-03-06T09:00:00Z', due_to: '2031-03-10T09:00:00Z' })),
    ).toEqual([T(7), T(2)]);
  });

  it("lists a record's tasks once the caller is known to see the record", async () => {
    const { deps, as } = many();
    expect(ids(await listTasks(deps, as.rep(), { limit: 10, ...REP_DEAL }))).toEqual([T(7)]);
    expect(ids(await listRecordTasks(deps, as.manager(), REP_DEAL, { limit: 10 }))).toEqual([T(7)]);
    expect(await rejection(listRecordTasks(deps, as.peer(), REP_DEAL, { limit: 10 }))).toBeInstanceOf(NotFoundError);
    expect(await fieldsOf(listTasks(deps, as.rep(), { limit: 10, resource_type: 'deal' }))).toEqual(['query.resource_id']);
  });

  it('pages with a cursor that keeps the first page’s instant for "overdue"', async () => {
    const clock = new FixedClock();
    const { deps, as } = many(clock);
    const first = await listTasks(deps, as.rep(), { limit: 1, overdue: false });
    expect(ids(first)).toEqual([T(7)]);
    clock.set('2031-03-12T00:00:00Z'); // T(2) is overdue by now, but the list goes on as it began
    const second = await listTasks(deps, as.rep(), { limit: 10, overdue: false, cursor: first.next_cursor! });
    expect(ids(second)).toEqual([T(2), T(3), T(4)]);
    expect(second.items[0]!.overdue).toBe(true);
  });
});
