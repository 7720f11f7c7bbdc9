import { describe, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { createContactRoute } from '#shared/contacts/routes.ts';
import { createDealRoute } from '#shared/deals/routes.ts';
import { allRoutes } from '#shared/families.ts';
import { createLeadRoute } from '#shared/leads/routes.ts';
import type { createTaskInput } from '#shared/tasks/domain.ts';
import {
  createTaskRoute,
  deleteTaskRoute,
  getTaskRoute,
  listContactTasksRoute,
  listDealTasksRoute,
  listLeadTasksRoute,
  listTasksRoute,
  updateTaskRoute,
} from '#shared/tasks/routes.ts';
import { bodyOf, expectStatus, useTestCloud } from '#test/helpers/local-cloud.ts';

// Tasks over HTTP against the local cloud, as the seeded users: rep1 and rep2 report to the
// manager; solo to nobody. Overdue is judged against the real clock here, so due times are
// far in the past or the future.

const { api, call, as, id } = useTestCloud({
  extraRules: [
    {
      name: 'test-tasks',
      pattern: { source: ['crm'], 'detail-type': [{ prefix: 'task.' }] },
      target: async (e) => void busEvents.push(e),
    },
  ],
});
const busEvents: BusEvent[] = [];

const PAST = '2020-03-01T09:00:00+01:00';
const FUTURE = '2099-03-01T09:00:00+01:00';

const newTask = async (who: string, body: Partial<z.input<typeof createTaskInput>> = {}) =>
  bodyOf(await call(createTaskRoute, { as: who, body: { content: 'Call back', ...body } }), 201);

const newDeal = async (who: string) =>
  bodyOf(await call(createDealRoute, { as: who, body: { name: `Deal ${Math.random().toString(36).slice(2)}` } }), 201);

async function eventsOf(type: string, resourceId: string): Promise<any[]> {
  const found = () => busEvents.filter((e) => e['detail-type'] === type && (e.detail as any).metadata.resource_id === resourceId);
  const deadline = Date.now() + 3_000;
  while (found().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return found().map((e) => e.detail);
}

const ids = (page: { items: { id: string }[] }) => page.items.map((t) => t.id);

describe('tasks', () => {
  it('creates a task assigned to the caller, keeping the due time as given, with task.created', async () => {
    const res = await call(createTaskRoute, { as: 'rep1', body: { content: 'Send the quote', due_date: FUTURE } });
    expectStatus(res, 201);
    expect(res.headers.get('location')).toBe(`/tasks/${res.body.id}`);
    expect(res.body).toMatchObject({
      content: 'Send the quote',
      due_date: FUTURE,
      owner_id: id('rep1'),
      creator_id: id('rep1'),
      completed: false,
      completed_at: null,
      overdue: false,
      remind_at: null,
      reminder: null,
      resource_type: null,
      resource_id: null,
      version: 1,
    });
    expect(await eventsOf('task.created', res.body.id)).toHaveLength(1);
  });

  it('refuses a user assigning a task to someone else: 403 with the rule', async () => {
    const res = await call(createTaskRoute, { as: 'rep1', body: { content: 'For rep2', owner_id: id('rep2') } });
    expectStatus(res, 403);
    expect(res.body.detail).toBe(`You may not assign a task to user ${id('rep2')}: users assign tasks to themselves only`);
    const task = await newTask('rep1');
    const patch = await call(updateTaskRoute, { as: 'rep1', params: { id: task.id }, body: { owner_id: id('solo') } });
    expect(patch.status).toBe(403);
  });

  it('lets a manager assign to a report, and reassign with task.assigned; not to someone outside the team', async () => {
    const task = await newTask('manager', { owner_id: id('rep1'), due_date: FUTURE });
    expect(task.owner_id).toBe(id('rep1'));
    expect((await call(getTaskRoute, { as: 'rep1', params: { id: task.id } })).status).toBe(200);
    expect((await call(getTaskRoute, { as: 'rep2', params: { id: task.id } })).status).toBe(404);
    const moved = await call(updateTaskRoute, { as: 'manager', params: { id: task.id }, body: { owner_id: id('rep2') } });
    expect(moved.status).toBe(200);
    const [assigned] = await eventsOf('task.assigned', task.id);
    expect(assigned.previous).toEqual({ owner_id: id('rep1') });
    expect(assigned.data.owner_id).toBe(id('rep2'));
    const outside = await call(createTaskRoute, { as: 'manager', body: { content: 'x', owner_id: id('solo') } });
    expectStatus(outside, 403);
    expect(outside.body.detail).toMatch(/direct reports/);
    expect((await call(createTaskRoute, { as: 'admin', body: { content: 'x', owner_id: id('solo') } })).status).toBe(201);
  });

  it('flags overdue tasks, lists them first, and stops flagging once completed (task.completed)', async () => {
    const late = await newTask('rep2', { content: 'late', due_date: PAST });
    const later = await newTask('rep2', { content: 'later', due_date: FUTURE });
    expect(late.overdue).toBe(true);
    expect(later.overdue).toBe(false);
    const overdue = bodyOf(await call(listTasksRoute, { as: 'rep2', query: { overdue: 'true', limit: 100 } }));
    expect(ids(overdue)).toContain(late.id);
    expect(ids(overdue)).not.toContain(later.id);
    expect(overdue.items.every((t) => t.overdue)).toBe(true);
    const all = bodyOf(await call(listTasksRoute, { as: 'rep2', query: { limit: 100 } }));
    expect(ids(all).indexOf(late.id)).toBeLessThan(ids(all).indexOf(later.id));
    const done = await call(updateTaskRoute, { as: 'rep2', params: { id: late.id }, body: { completed: true } });
    expect(done.body).toMatchObject({ completed: true, overdue: false });
    expect(bodyOf(done).completed_at).toEqual(expect.any(String));
    expect(await eventsOf('task.completed', late.id)).toHaveLength(1);
    expect(ids(bodyOf(await call(listTasksRoute, { as: 'rep2', query: { overdue: 'true', limit: 100 } })))).not.toContain(
      late.id,
    );
    expect(ids(bodyOf(await call(listTasksRoute, { as: 'rep2', query: { completed: 'true', limit: 100 } })))).toContain(late.id);
  });

  it('filters by due window (offsets in the query string) and by assignee within the scope', async () => {
    const inside = await newTask('manager', { owner_id: id('rep1'), due_date: '2098-05-01T10:00:00+02:00' });
    await newTask('manager', { owner_id: id('rep1'), due_date: '2098-06-01T10:00:00Z' });
    const window = { due_from: '2098-05-01T08:00:00Z', due_to: '2098-05-31T23:59:59-07:00', owner_id: id('rep1') };
    expect(ids(bodyOf(await call(listTasksRoute, { as: 'manager', query: window })))).toEqual([inside.id]);
    expect(bodyOf(await call(listTasksRoute, { as: 'rep2', query: window })).items).toEqual([]);
    // `overdue=maybe` is off the contract on purpose: the raw client.
    const bad = await api('GET', '/tasks?due_from=2098-05-01&overdue=maybe', { token: as('rep1') });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['query.due_from', 'query.overdue']);
  });

  it('sets remind_at from a reminder preset, in the offset of the due time, and follows the due time', async () => {
    const task = await newTask('rep1', { due_date: '2098-01-10T09:00:00+01:00', reminder: '30m' });
    expect(task).toMatchObject({ remind_at: '2098-01-10T08:30:00+01:00', reminder: '30m' });
    const moved = await call(updateTaskRoute, {
      as: 'rep1',
      params: { id: task.id },
      body: { due_date: '2098-01-11T09:00:00Z' },
    });
    expect(moved.body).toMatchObject({ remind_at: '2098-01-11T08:30:00Z', reminder: '30m' });
    const week = await newTask('rep1', { due_date: '2098-01-10T09:00:00Z', reminder: '1w' });
    expect(week.remind_at).toBe('2098-01-03T09:00:00Z');
    const atDue = await newTask('rep1', { due_date: '2098-01-10T09:00:00Z', reminder: 'at_due' });
    expect(atDue.remind_at).toBe('2098-01-10T09:00:00Z');
  });

  it('refuses a remind_at after the due time, both forms at once, and a reminder with no due time, naming the fields', async () => {
    const after = await call(createTaskRoute, {
      as: 'rep1',
      body: { content: 'x', due_date: '2098-01-10T09:00:00+01:00', remind_at: '2098-01-10T08:00:01Z' },
    });
    expectStatus(after, 422);
    expect(after.body.errors).toEqual([
      { field: 'body.remind_at', message: expect.stringContaining('must not be after due_date'), code: 'invalid' },
    ]);
    const both = await call(createTaskRoute, {
      as: 'rep1',
      body: { content: 'x', due_date: FUTURE, remind_at: FUTURE, reminder: '1h' },
    });
    expectStatus(both, 422);
    expect(both.body.errors?.map((e) => e.field)).toEqual(['body.remind_at', 'body.reminder']);
    const undated = await call(createTaskRoute, { as: 'rep1', body: { content: 'x', reminder: '5m' } });
    expectStatus(undated, 422);
    expect(undated.body.errors).toEqual([{ field: 'body.reminder', message: 'needs a due_date', code: 'invalid' }]);
    const noOffset = await call(createTaskRoute, { as: 'rep1', body: { content: 'x', due_date: '2098-01-10T09:00:00' } });
    expectStatus(noOffset, 422);
    expect(noOffset.body.errors?.[0]?.field).toBe('body.due_date');
  });

  it('links tasks to deals the caller sees (404 naming the deal otherwise) and lists them at /deals/{id}/tasks', async () => {
    const deal = await newDeal('rep1');
    const task = await newTask('rep1', { resource_type: 'deal', resource_id: deal.id, due_date: FUTURE });
    const theirs = await newDeal('solo');
    const refused = await call(createTaskRoute, {
      as: 'rep1',
      body: { content: 'x', resource_type: 'deal', resource_id: theirs.id },
    });
    expectStatus(refused, 404);
    expect(refused.body.detail).toBe(`deal ${theirs.id} was not found`);
    expect(ids(bodyOf(await call(listDealTasksRoute, { as: 'manager', params: { id: deal.id } })))).toEqual([task.id]);
    expect(
      ids(bodyOf(await call(listTasksRoute, { as: 'rep1', query: { resource_type: 'deal', resource_id: deal.id } }))),
    ).toEqual([task.id]);
    expect((await call(listDealTasksRoute, { as: 'rep2', params: { id: deal.id } })).status).toBe(404);
  });

  it('answers 404 for a task outside the scope, 412 for a stale If-Match, and deletes with task.deleted', async () => {
    const task = await newTask('solo');
    expect((await call(getTaskRoute, { as: 'manager', params: { id: task.id } })).status).toBe(404);
    expect((await call(deleteTaskRoute, { as: 'rep1', params: { id: task.id } })).status).toBe(404);
    await call(updateTaskRoute, { as: 'solo', params: { id: task.id }, body: { content: 'v2' } });
    const stale = await call(updateTaskRoute, {
      as: 'solo',
      params: { id: task.id },
      body: { content: 'v3' },
      headers: { 'if-match': '"1"' },
    });
    expectStatus(stale, 412);
    expect(stale.body.current).toMatchObject({ content: 'v2', version: 2 });
    expect((await call(deleteTaskRoute, { as: 'admin', params: { id: task.id } })).status).toBe(204);
    expect(await eventsOf('task.deleted', task.id)).toHaveLength(1);
  });
});

// Leads and contacts arrive with their own module; these run as soon as their routes are wired.
const wired = (path: string) => allRoutes.some((r) => r.method === 'POST' && r.path === path);

describe.each([
  ['leads', 'lead', createLeadRoute, listLeadTasksRoute],
  ['contacts', 'contact', createContactRoute, listContactTasksRoute],
] as const)('tasks on %s', (collection, type, createRoute, listRoute) => {
  it.runIf(wired(`/${collection}`))(`links to a visible ${type} and lists at /${collection}/{id}/tasks`, async () => {
    const made = await call(createRoute, { as: 'rep1', body: { last_name: `Task ${Date.now()}` } });
    expectStatus(made, 201);
    const task = await newTask('rep1', { resource_type: type, resource_id: made.body.id });
    expect(ids(bodyOf(await call(listRoute, { as: 'manager', params: { id: made.body.id } })))).toEqual([task.id]);
    const refused = await call(createTaskRoute, {
      as: 'solo',
      body: { content: 'x', resource_type: type, resource_id: made.body.id },
    });
    expectStatus(refused, 404);
    expect(refused.body.detail).toBe(`${type} ${made.body.id} was not found`);
  });
});
