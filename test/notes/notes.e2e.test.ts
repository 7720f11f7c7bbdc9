import { describe, expect, it } from 'vitest';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { createContactRoute } from '#shared/contacts/routes.ts';
import { createDealRoute, updateDealRoute } from '#shared/deals/routes.ts';
import { allRoutes } from '#shared/families.ts';
import type { RelatedRecordType } from '#shared/kernel/related-records.ts';
import { createLeadRoute } from '#shared/leads/routes.ts';
import {
  createNoteRoute,
  deleteNoteRoute,
  getNoteRoute,
  listContactNotesRoute,
  listDealNotesRoute,
  listLeadNotesRoute,
  listNotesRoute,
  updateNoteRoute,
} from '#shared/notes/routes.ts';
import { bodyOf, expectStatus, useTestCloud } from '#test/helpers/local-cloud.ts';

// Notes over HTTP against the local cloud, on deals (and on leads and contacts once their
// routes are wired), as the seeded users: rep1 and rep2 report to the manager; solo to nobody.

const { api, call, as, id } = useTestCloud({
  extraRules: [
    {
      name: 'test-notes',
      pattern: { source: ['crm'], 'detail-type': [{ prefix: 'note.' }] },
      target: async (e) => void busEvents.push(e),
    },
  ],
});
const busEvents: BusEvent[] = [];

const newDeal = async (who: string) =>
  bodyOf(await call(createDealRoute, { as: who, body: { name: `Deal ${Math.random().toString(36).slice(2)}` } }), 201);

const newNote = async (who: string, resource_type: RelatedRecordType, resource_id: string, content = 'Called; wants a quote') =>
  bodyOf(await call(createNoteRoute, { as: who, body: { content, resource_type, resource_id } }), 201);

async function eventsOf(type: string, resourceId: string, count = 1): Promise<any[]> {
  const found = () => busEvents.filter((e) => e['detail-type'] === type && (e.detail as any).metadata.resource_id === resourceId);
  const deadline = Date.now() + 3_000;
  while (found().length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return found().map((e) => e.detail);
}

const ids = (page: { items: { id: string }[] }) => page.items.map((n) => n.id);

describe('notes on deals', () => {
  it('adds a note to an own deal, by the caller, and publishes note.created', async () => {
    const deal = await newDeal('rep1');
    const res = await call(createNoteRoute, {
      as: 'rep1',
      body: { content: 'First call went well', resource_type: 'deal', resource_id: deal.id },
    });
    expectStatus(res, 201);
    expect(res.headers.get('location')).toBe(`/notes/${res.body.id}`);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.body).toMatchObject({
      content: 'First call went well',
      resource_type: 'deal',
      resource_id: deal.id,
      creator_id: id('rep1'),
      version: 1,
    });
    expect((await call(getNoteRoute, { as: 'rep1', params: { id: res.body.id } })).body).toEqual(res.body);
    const [event] = await eventsOf('note.created', res.body.id);
    expect(event.data).toMatchObject({ resource_id: deal.id, content_truncated: false });
  });

  it("refuses a note on another rep's deal with a 404 naming the deal, as for a deal that does not exist", async () => {
    const theirs = await newDeal('rep2');
    const res = await call(createNoteRoute, {
      as: 'rep1',
      body: { content: 'Sneaky', resource_type: 'deal', resource_id: theirs.id },
    });
    expectStatus(res, 404);
    expect(res.body.detail).toBe(`deal ${theirs.id} was not found`);
    const unknown = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    const missing = await call(createNoteRoute, {
      as: 'rep1',
      body: { content: 'x', resource_type: 'deal', resource_id: unknown },
    });
    expectStatus(missing, 404);
    expect(missing.body.detail).toBe(`deal ${unknown} was not found`);
    const listed = await call(listDealNotesRoute, { as: 'admin', params: { id: theirs.id } });
    expect(bodyOf(listed).items).toEqual([]);
  });

  it('names each bad field: blank content, an unknown record type, an unknown field', async () => {
    const deal = await newDeal('rep1');
    // Off the contract on purpose (a type it does not know, a field it does not have): the raw client.
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
      const nested = await call(listDealNotesRoute, { as: who, params: { id: deal.id } });
      expectStatus(nested, 200);
      expect(ids(nested.body)).toEqual([second.id, first.id]);
      const generic = bodyOf(
        await call(listNotesRoute, { as: who, query: { resource_type: 'deal', resource_id: deal.id, limit: 1 } }),
      );
      expect(ids(generic)).toEqual([second.id]);
      const next = await call(listNotesRoute, {
        as: who,
        query: { resource_type: 'deal', resource_id: deal.id, limit: 1, cursor: generic.next_cursor ?? undefined },
      });
      expect(ids(bodyOf(next))).toEqual([first.id]);
    }
    for (const who of ['rep2', 'solo']) {
      expect((await call(listDealNotesRoute, { as: who, params: { id: deal.id } })).status).toBe(404);
      expect((await call(listNotesRoute, { as: who, query: { resource_type: 'deal', resource_id: deal.id } })).status).toBe(404);
      expect((await call(getNoteRoute, { as: who, params: { id: first.id } })).status).toBe(404);
    }
    const half = await call(listNotesRoute, { as: 'rep1', query: { resource_id: deal.id } });
    expectStatus(half, 422);
    expect(half.body.errors?.[0]?.field).toBe('query.resource_type');
  });

  it("lists the caller's own notes, and follows the deal when it changes hands", async () => {
    const deal = await newDeal('rep2');
    const note = await newNote('rep2', 'deal', deal.id, 'handover');
    const mine = bodyOf(await call(listNotesRoute, { as: 'rep2', query: { limit: 100 } }));
    expect(ids(mine)).toContain(note.id);
    expect(mine.items.every((n) => n.creator_id === id('rep2'))).toBe(true);
    const moved = await call(updateDealRoute, { as: 'admin', params: { id: deal.id }, body: { owner_id: id('solo') } });
    expect(moved.status).toBe(200);
    expect((await call(getNoteRoute, { as: 'rep2', params: { id: note.id } })).status).toBe(404);
    expect(ids(bodyOf(await call(listNotesRoute, { as: 'rep2', query: { limit: 100 } })))).not.toContain(note.id);
    expect((await call(getNoteRoute, { as: 'solo', params: { id: note.id } })).status).toBe(200);
  });

  it('lets the creator and their manager change a note, not the deal owner on a note someone else wrote', async () => {
    const deal = await newDeal('rep1');
    const own = await newNote('rep1', 'deal', deal.id, 'v1');
    const edited = await call(updateNoteRoute, { as: 'rep1', params: { id: own.id }, body: { content: 'v2' } });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ content: 'v2', version: 2 });
    const byManager = await call(updateNoteRoute, { as: 'manager', params: { id: own.id }, body: { content: 'v3' } });
    expect(byManager.body).toMatchObject({ content: 'v3', version: 3 });
    const [updated] = await eventsOf('note.updated', own.id, 2);
    expect(updated.previous).toEqual({ content: 'v1', content_truncated: false });

    const coaching = await newNote('manager', 'deal', deal.id, 'Push for Q4');
    const refused = await call(updateNoteRoute, { as: 'rep1', params: { id: coaching.id }, body: { content: 'No' } });
    expectStatus(refused, 403);
    expect(refused.body.detail).toMatch(/creator/);
    expect((await call(deleteNoteRoute, { as: 'rep1', params: { id: coaching.id } })).status).toBe(403);
    expect((await call(updateNoteRoute, { as: 'rep2', params: { id: coaching.id }, body: { content: 'No' } })).status).toBe(404);
    const stale = await call(updateNoteRoute, {
      as: 'rep1',
      params: { id: own.id },
      body: { content: 'late' },
      headers: { 'if-match': '"1"' },
    });
    expectStatus(stale, 412);
    expect(stale.body.current).toMatchObject({ content: 'v3', version: 3 });
  });

  it('deletes a note with note.deleted; it is gone for everyone', async () => {
    const deal = await newDeal('rep1');
    const note = await newNote('rep1', 'deal', deal.id);
    expect((await call(deleteNoteRoute, { as: 'rep1', params: { id: note.id } })).status).toBe(204);
    expect((await call(getNoteRoute, { as: 'admin', params: { id: note.id } })).status).toBe(404);
    expect(await eventsOf('note.deleted', note.id)).toHaveLength(1);
  });
});

// Leads and contacts arrive with their own module; these run as soon as their routes are wired.
const wired = (path: string) => allRoutes.some((r) => r.method === 'POST' && r.path === path);

describe.each([
  ['leads', 'lead', createLeadRoute, listLeadNotesRoute],
  ['contacts', 'contact', createContactRoute, listContactNotesRoute],
] as const)('notes on %s', (collection, type, createRoute, listRoute) => {
  it.runIf(wired(`/${collection}`))(`follows the ${type}'s owner, at /${collection}/{id}/notes`, async () => {
    const made = await call(createRoute, { as: 'rep1', body: { last_name: `Note ${Date.now()}` } });
    expectStatus(made, 201);
    const note = await newNote('rep1', type, made.body.id, `On a ${type}`);
    const listed = await call(listRoute, { as: 'manager', params: { id: made.body.id } });
    expect(ids(bodyOf(listed))).toEqual([note.id]);
    expect((await call(listRoute, { as: 'rep2', params: { id: made.body.id } })).status).toBe(404);
    const refused = await call(createNoteRoute, {
      as: 'rep2',
      body: { content: 'x', resource_type: type, resource_id: made.body.id },
    });
    expectStatus(refused, 404);
    expect(refused.body.detail).toBe(`${type} ${made.body.id} was not found`);
  });
});
