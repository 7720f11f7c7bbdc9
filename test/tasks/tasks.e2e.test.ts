import { describe, expect, it } from 'vitest';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { allRoutes } from '#shared/families.ts';
import { useTestCloud } from '#test/helpers/local-cloud.ts';

// Tasks over HTTP against the local cloud, as the seeded users: rep1 and rep2 report to the
// manager; solo to nobody. Overdue is judged against the real clock here, so due times are
// far in the past or the future.

const { api, as, id } = useTestCloud({
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

const newTask = async (who: string, body: Record<string, unknown> = {}) => {
  const res = await api('POST', '/tasks', { token: as(who), body: { content: 'Call back', ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
};

const newDeal = async (who: string) => {
  const res = await api('POST', '/deals', { token: as(who), body: { name: `Deal ${Math.random().toString(36).slice(2)}` } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
};

async function eventsOf(type: string, resourceId: string): Promise<any[]> {
  const found = () => busEvents.filter((e) => e['detail-type'] === type && (e.detail as any).metadata.resource_id === resourceId);
  const deadline = Date.now() + 3_000;
  while (found().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return found().map((e) => e.detail);
}

const ids = (res: { body: { items: { id: string }[] } }) => res.body.items.map((t) => t.id);

describe('tasks', () => {
  it('creates a task assigned to the caller, keeping the due time as given, with task.created', async () => {
    const res = await api('POST', '/tasks', { token: as('rep1'), body: { content: 'Send the quote', due_date: FUTURE } });
    expect(res.status).toBe(201);
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
    const res = await api('POST', '/tasks', { token: as('rep1'), body: { content: 'For rep2', owner_id: id('rep2') } });
    expect(res.status).toBe(403);
    expect(res.body.detail).toBe(`You may not assign a task to user ${id('rep2')}: users assign tasks to themselves only`);
    const task = await newTask('rep1');
    const patch = await api('PATCH', `/tasks/${task.id}`, { token: as('rep1'), body: { owner_id: id('solo') } });
    expect(patch.status).toBe(403);
  });

  it('lets a manager assign to a report, and reassign with task.assigned; not to someone outside the team', async () => {
    const task = await newTask('manager', { owner_id: id('rep1'), due_date: FUTURE });
    expect(task.owner_id).toBe(id('rep1'));
    expect((await api('GET', `/tasks/${task.id}`, { token: as('rep1') })).status).toBe(200);
    expect((await api('GET', `/tasks/${task.id}`, { token: as('rep2') })).status).toBe(404);
    const moved = await api('PATCH', `/tasks/${task.id}`, { token: as('manager'), body: { owner_id: id('rep2') } });
    expect(moved.status).toBe(200);
    const [assigned] = await eventsOf('task.assigned', task.id);
    expect(assigned.previous).toEqual({ owner_id: id('rep1') });
    expect(assigned.data.owner_id).toBe(id('rep2'));
    const outside = await api('POST', '/tasks', { token: as('manager'), body: { content: 'x', owner_id: id('solo') } });
    expect(outside.status).toBe(403);
    expect(outside.body.detail).toMatch(/direct reports/);
    expect((await api('POST', '/tasks', { token: as('admin'), body: { content: 'x', owner_id: id('solo') } })).status).toBe(201);
  });

  it('flags overdue tasks, lists them first, and stops flagging once completed (task.completed)', async () => {
    const late = await newTask('rep2', { content: 'late', due_date: PAST });
    const later = await newTask('rep2', { content: 'later', due_date: FUTURE });
    expect(late.overdue).toBe(true);
    expect(later.overdue).toBe(false);
    const overdue = await api('GET', '/tasks?overdue=true&limit=100', { token: as('rep2') });
    expect(ids(overdue)).toContain(late.id);
    expect(ids(overdue)).not.toContain(later.id);
    expect(overdue.body.items.every((t: { overdue: boolean }) => t.overdue)).toBe(true);
    const all = await api('GET', '/tasks?limit=100', { token: as('rep2') });
    expect(ids(all).indexOf(late.id)).toBeLessThan(ids(all).indexOf(later.id));
    const done = await api('PATCH', `/tasks/${late.id}`, { token: as('rep2'), body: { completed: true } });
    expect(done.body).toMatchObject({ completed: true, overdue: false });
    expect(done.body.completed_at).toEqual(expect.any(String));
    expect(await eventsOf('task.completed', late.id)).toHaveLength(1);
    expect(ids(await api('GET', '/tasks?overdue=true&limit=100', { token: as('rep2') }))).not.toContain(late.id);
    expect(ids(await api('GET', '/tasks?completed=true&limit=100', { token: as('rep2') }))).toContain(late.id);
  });

  it('filters by due window (offsets in the query string) and by assignee within the scope', async () => {
    const inside = await newTask('manager', { owner_id: id('rep1'), due_date: '2098-05-01T10:00:00+02:00' });
    await newTask('manager', { owner_id: id('rep1'), due_date: '2098-06-01T10:00:00Z' });
    const q = (s: string) => encodeURIComponent(s);
    const window = `due_from=${q('2098-05-01T08:00:00Z')}&due_to=${q('2098-05-31T23:59:59-07:00')}`;
    expect(ids(await api('GET', `/tasks?${window}&owner_id=${id('rep1')}`, { token: as('manager') }))).toEqual([inside.id]);
    expect((await api('GET', `/tasks?${window}&owner_id=${id('rep1')}`, { token: as('rep2') })).body.items).toEqual([]);
    const bad = await api('GET', '/tasks?due_from=2098-05-01&overdue=maybe', { token: as('rep1') });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['query.due_from', 'query.overdue']);
  });

  it('sets remind_at from a reminder preset, in the offset of the due time, and follows the due time', async () => {
    const task = await newTask('rep1', { due_date: '2098-01-10T09:00:00+01:00', reminder: '30m' });
    expect(task).toMatchObject({ remind_at: '2098-01-10T08:30:00+01:00', reminder: '30m' });
    const moved = await api('PATCH', `/tasks/${task.id}`, { token: as('rep1'), body: { due_date: '2098-01-11T09:00:00Z' } });
    expect(moved.body).toMatchObject({ remind_at: '2098-01-11T08:30:00Z', reminder: '30m' });
    const week = await newTask('rep1', { due_date: '2098-01-10T09:00:00Z', reminder: '1w' });
    expect(week.remind_at).toBe('2098-01-03T09:00:00Z');
    const atDue = await newTask('rep1', { due_date: '2098-01-10T09:00:00Z', reminder: 'at_due' });
    expect(atDue.remind_at).toBe('2098-01-10T09:00:00Z');
  });

  it('refuses a remind_at after the due time, both forms at once, and a reminder with no due time, naming the fields', async () => {
    const after = await api('POST', '/tasks', {
      token: as('rep1'),
      body: { content: 'x', due_date: '2098-01-10T09:00:00+01:00', remind_at: '2098-01-10T08:00:01Z' },
    });
    expect(after.status).toBe(422);
    expect(after.body.errors).toEqual([
      { field: 'body.remind_at', message: expect.stringContaining('must not be after due_date'), code: 'invalid' },
    ]);
    const both = await api('POST', '/tasks', {
      token: as('rep1'),
      body: { content: 'x', due_date: FUTURE, remind_at: FUTURE, reminder: '1h' },
    });
    expect(both.status).toBe(422);
    expect(both.body.errors.map((e: { field: string }) => e.field)).toEqual(['body.remind_at', 'body.reminder']);
    const undated = await api('POST', '/tasks', { token: as('rep1'), body: { content: 'x', reminder: '5m' } });
    expect(undated.body.errors).toEqual([{ field: 'body.reminder', message: 'needs a due_date', code: 'invalid' }]);
    const noOffset = await api('POST', '/tasks', { token: as('rep1'), body: { content: 'x', due_date: '2098-01-10T09:00:00' } });
    expect(noOffset.body.errors[0].field).toBe('body.due_date');
  });

  it('links tasks to deals the caller sees (404 naming the deal otherwise) and lists them at /deals/{id}/tasks', async () => {
    const deal = await newDeal('rep1');
    const task = await newTask('rep1', { resource_type: 'deal', resource_id: deal.id, due_date: FUTURE });
    const theirs = await newDeal('solo');
    const refused = await api('POST', '/tasks', {
      token: as('rep1'),
      body: { content: 'x', resource_type: 'deal', resource_id: theirs.id },
    });
    expect(refused.status).toBe(404);
    expect(refused.body.detail).toBe(`deal ${theirs.id} was not found`);
    expect(ids(await api('GET', `/deals/${deal.id}/tasks`, { token: as('manager') }))).toEqual([task.id]);
    expect(ids(await api('GET', `/tasks?resource_type=deal&resource_id=${deal.id}`, { token: as('rep1') }))).toEqual([task.id]);
    expect((await api('GET', `/deals/${deal.id}/tasks`, { token: as('rep2') })).status).toBe(404);
  });

  it('answers 404 for a task outside the scope, 412 for a stale If-Match, and deletes with task.deleted', async () => {
    const task = await newTask('solo');
    expect((await api('GET', `/tasks/${task.id}`, { token: as('manager') })).status).toBe(404);
    expect((await api('DELETE', `/tasks/${task.id}`, { token: as('rep1') })).status).toBe(404);
    await api('PATCH', `/tasks/${task.id}`, { token: as('solo'), body: { content: 'v2' } });
    const stale = await api('PATCH', `/tasks/${task.id}`, {
      token: as('solo'),
      body: { content: 'v3' },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.current).toMatchObject({ content: 'v2', version: 2 });
    expect((await api('DELETE', `/tasks/${task.id}`, { token: as('admin') })).status).toBe(204);
    expect(await eventsOf('task.deleted', task.id)).toHaveLength(1);
  });
});

// Leads and contacts arrive with their own module; these run as soon as their routes are wired.
const wired = (path: string) => allRoutes.some((r) => r.method === 'POST' && r.path === path);

describe.each([
  ['leads', 'lead'],
  ['contacts', 'contact'],
] as const)('tasks on %s', (collection, type) => {
  it.runIf(wired(`/${collection}`))(`links to a visible ${type} and lists at /${collection}/{id}/tasks`, async () => {
    const made = await api('POST', `/${collection}`, { token: as('rep1'), body: { last_name: `Task ${Date.now()}` } });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const task = await newTask('rep1', { resource_type: type, resource_id: made.body.id });
    expect(ids(await api('GET', `/${collection}/${made.body.id}/tasks`, { token: as('manager') }))).toEqual([task.id]);
    const refused = await api('POST', '/tasks', {
      token: as('solo'),
      body: { content: 'x', resource_type: type, resource_id: made.body.id },
    });
    expect(refused.status).toBe(404);
    expect(refused.body.detail).toBe(`${type} ${made.body.id} was not found`);
  });
});
