import { describe, expect, it } from 'vitest';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { allRoutes } from '#shared/families.ts';
import { useTestCloud } from '#test/helpers/local-cloud.ts';

// Notes over HTTP against the local cloud, on deals (and on leads and contacts once their
// routes are wired), as the seeded users: rep1 and rep2 report to the manager; solo to nobody.

const { api, as, id } = useTestCloud({
  extraRules: [
    {
      name: 'test-notes',
      pattern: { source: ['crm'], 'detail-type': [{ prefix: 'note.' }] },
      target: async (e) => void busEvents.push(e),
    },
  ],
});
const busEvents: BusEvent[] = [];

const newDeal = async (who: string) => {
  const res = await api('POST', '/deals', { token: as(who), body: { name: `Deal ${Math.random().toString(36).slice(2)}` } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
};

const newNote = async (who: string, resource_type: string, resource_id: string, content = 'Called; wants a quote') => {
  const res = await api('POST', '/notes', { token: as(who), body: { content, resource_type, resource_id } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
};

async function eventsOf(type: string, resourceId: string, count = 1): Promise<any[]> {
  const found = () => busEvents.filter((e) => e['detail-type'] === type && (e.detail as any).metadata.resource_id === resourceId);
  const deadline = Date.now() + 3_000;
  while (found().length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return found().map((e) => e.detail);
}

describe('notes on deals', () => {
  it('adds a note to an own deal, by the caller, and publishes note.created', async () => {
    const deal = await newDeal('rep1');
    const res = await api('POST', '/notes', {
      token: as('rep1'),
      body: { content: 'First call went well', resource_type: 'deal', resource_id: deal.id },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/notes/${res.body.id}`);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.body).toMatchObject({
      content: 'First call went well',
      resource_type: 'deal',
      resource_id: deal.id,
      creator_id: id('rep1'),
      version: 1,
    });
    expect((await api('GET', `/notes/${res.body.id}`, { token: as('rep1') })).body).toEqual(res.body);
    const [event] = await eventsOf('note.created', res.body.id);
    expect(event.data).toMatchObject({ resource_id: deal.id, content_truncated: false });
  });

  it("refuses a note on another rep's deal with a 404 naming the deal, as for a deal that does not exist", async () => {
    const theirs = await newDeal('rep2');
    const res = await api('POST', '/notes', {
      token: as('rep1'),
      body: { content: 'Sneaky', resource_type: 'deal', resource_id: theirs.id },
    });
    expect(res.status).toBe(404);
    expect(res.body.detail).toBe(`deal ${theirs.id} was not found`);
    const unknown = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    const missing = await api('POST', '/notes', {
      token: as('rep1'),
      body: { content: 'x', resource_type: 'deal', resource_id: unknown },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toBe(`deal ${unknown} was not found`);
    const listed = await api('GET', `/deals/${theirs.id}/notes`, { token: as('admin') });
    expect(listed.body.items).toEqual([]);
  });

  it('names each bad field: blank content, an unknown record type, an unknown field', async () => {
    const deal = await newDeal('rep1');
    const res = await api('POST', '/notes', {
      token: as('rep1'),
      body: { content: '   ', resource_type: 'task', resource_id: deal.id, pinned: true },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'body.content',
      'body.pinned',
      'body.resource_type',
    ]);
  });

  it("shows a deal's notes newest first to whoever sees the deal, at /deals/{id}/notes and /notes?resource_type=", async () => {
    const deal = await newDeal('rep1');
    const first = await newNote('rep1', 'deal', deal.id, 'first');
    const second = await newNote('manager', 'deal', deal.id, 'second');
    for (const who of ['rep1', 'manager', 'admin']) {
      const nested = await api('GET', `/deals/${deal.id}/notes`, { token: as(who) });
      expect(nested.status).toBe(200);
      expect(nested.body.items.map((n: { id: string }) => n.id)).toEqual([second.id, first.id]);
      const generic = await api('GET', `/notes?resource_type=deal&resource_id=${deal.id}&limit=1`, { token: as(who) });
      expect(generic.body.items.map((n: { id: string }) => n.id)).toEqual([second.id]);
      const next = await api(
        'GET',
        `/notes?resource_type=deal&resource_id=${deal.id}&limit=1&cursor=${generic.body.next_cursor}`,
        {
          token: as(who),
        },
      );
      expect(next.body.items.map((n: { id: string }) => n.id)).toEqual([first.id]);
    }
    for (const who of ['rep2', 'solo']) {
      expect((await api('GET', `/deals/${deal.id}/notes`, { token: as(who) })).status).toBe(404);
      expect((await api('GET', `/notes?resource_type=deal&resource_id=${deal.id}`, { token: as(who) })).status).toBe(404);
      expect((await api('GET', `/notes/${first.id}`, { token: as(who) })).status).toBe(404);
    }
    const half = await api('GET', `/notes?resource_id=${deal.id}`, { token: as('rep1') });
    expect(half.status).toBe(422);
    expect(half.body.errors[0].field).toBe('query.resource_type');
  });

  it("lists the caller's own notes, and follows the deal when it changes hands", async () => {
    const deal = await newDeal('rep2');
    const note = await newNote('rep2', 'deal', deal.id, 'handover');
    const mine = await api('GET', '/notes?limit=100', { token: as('rep2') });
    expect(mine.body.items.map((n: { id: string }) => n.id)).toContain(note.id);
    expect(mine.body.items.every((n: { creator_id: string }) => n.creator_id === id('rep2'))).toBe(true);
    const moved = await api('PATCH', `/deals/${deal.id}`, { token: as('admin'), body: { owner_id: id('solo') } });
    expect(moved.status).toBe(200);
    expect((await api('GET', `/notes/${note.id}`, { token: as('rep2') })).status).toBe(404);
    expect(
      (await api('GET', '/notes?limit=100', { token: as('rep2') })).body.items.map((n: { id: string }) => n.id),
    ).not.toContain(note.id);
    expect((await api('GET', `/notes/${note.id}`, { token: as('solo') })).status).toBe(200);
  });

  it('lets the creator and their manager change a note, not the deal owner on a note someone else wrote', async () => {
    const deal = await newDeal('rep1');
    const own = await newNote('rep1', 'deal', deal.id, 'v1');
    const edited = await api('PATCH', `/notes/${own.id}`, { token: as('rep1'), body: { content: 'v2' } });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ content: 'v2', version: 2 });
    const byManager = await api('PATCH', `/notes/${own.id}`, { token: as('manager'), body: { content: 'v3' } });
    expect(byManager.body).toMatchObject({ content: 'v3', version: 3 });
    const [updated] = await eventsOf('note.updated', own.id, 2);
    expect(updated.previous).toEqual({ content: 'v1', content_truncated: false });

    const coaching = await newNote('manager', 'deal', deal.id, 'Push for Q4');
    const refused = await api('PATCH', `/notes/${coaching.id}`, { token: as('rep1'), body: { content: 'No' } });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/creator/);
    expect((await api('DELETE', `/notes/${coaching.id}`, { token: as('rep1') })).status).toBe(403);
    expect((await api('PATCH', `/notes/${coaching.id}`, { token: as('rep2'), body: { content: 'No' } })).status).toBe(404);
    const stale = await api('PATCH', `/notes/${own.id}`, {
      token: as('rep1'),
      body: { content: 'late' },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.current).toMatchObject({ content: 'v3', version: 3 });
  });

  it('deletes a note with note.deleted; it is gone for everyone', async () => {
    const deal = await newDeal('rep1');
    const note = await newNote('rep1', 'deal', deal.id);
    expect((await api('DELETE', `/notes/${note.id}`, { token: as('rep1') })).status).toBe(204);
    expect((await api('GET', `/notes/${note.id}`, { token: as('admin') })).status).toBe(404);
    expect(await eventsOf('note.deleted', note.id)).toHaveLength(1);
  });
});

// Leads and contacts arrive with their own module; these run as soon as their routes are wired.
const wired = (path: string) => allRoutes.some((r) => r.method === 'POST' && r.path === path);

describe.each([
  ['leads', 'lead'],
  ['contacts', 'contact'],
] as const)('notes on %s', (collection, type) => {
  it.runIf(wired(`/${collection}`))(`follows the ${type}'s owner, at /${collection}/{id}/notes`, async () => {
    const made = await api('POST', `/${collection}`, { token: as('rep1'), body: { last_name: `Note ${Date.now()}` } });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const note = await newNote('rep1', type, made.body.id, `On a ${type}`);
    const listed = await api('GET', `/${collection}/${made.body.id}/notes`, { token: as('manager') });
    expect(listed.body.items.map((n: { id: string }) => n.id)).toEqual([note.id]);
    expect((await api('GET', `/${collection}/${made.body.id}/notes`, { token: as('rep2') })).status).toBe(404);
    const refused = await api('POST', '/notes', {
      token: as('rep2'),
      body: { content: 'x', resource_type: type, resource_id: made.body.id },
    });
    expect(refused.status).toBe(404);
    expect(refused.body.detail).toBe(`${type} ${made.body.id} was not found`);
  });
});
