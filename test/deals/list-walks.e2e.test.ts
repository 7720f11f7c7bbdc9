import { beforeAll, describe, expect, it } from 'vitest';
import { createContactRoute, listContactDealsRoute } from '#shared/contacts/routes.ts';
import { associateContactRoute, createDealRoute, deleteDealRoute, listDealsRoute } from '#shared/deals/routes.ts';
import { createPipelineRoute } from '#shared/pipelines/routes.ts';
import { bodyOf, expectStatus, useTestCloud } from '#test/helpers/local-cloud.ts';

// Issue 10's list instances over HTTP, as a client walks them: a deleted deal does not make a
// sorted walk skip the next one (item 2); a new pipeline's deals come without runs of empty
// pages (item 3); deals of a contact with another filter keep the associated ones.

const { call } = useTestCloud();

const newPipeline = async () =>
  bodyOf(await call(createPipelineRoute, { as: 'admin', body: { name: `Walk ${Date.now()}` } }), 201);
const newDeal = async (who: string, body: { name: string; pipeline_id?: string; contact_id?: string }) =>
  bodyOf(await call(createDealRoute, { as: who, body }), 201);

describe('deal list walks over HTTP', () => {
  beforeAll(async () => {
    // Deals older than the new pipelines', so that oldest first the filter has them to pass.
    for (let i = 0; i < 30; i++) await newDeal(['solo', 'rep1', 'rep2'][i % 3]!, { name: `Older ${i}` });
  });

  it('deleting a returned deal does not make the walk by name skip the next one', async () => {
    const p = await newPipeline();
    const drift: Record<string, string> = {};
    for (const letter of 'ABCDE') drift[letter] = (await newDeal('rep1', { name: `Drift ${letter}`, pipeline_id: p.id })).id;
    const query = { pipeline_id: p.id, sort_by: 'name' as const, sort_order: 'asc' as const, limit: 2 };
    const first = bodyOf(await call(listDealsRoute, { as: 'rep1', query }));
    expect(first.items.map((d) => d.name)).toEqual(['Drift A', 'Drift B']);
    expectStatus(await call(deleteDealRoute, { as: 'rep1', params: { id: drift.A! } }), 204);
    const second = bodyOf(await call(listDealsRoute, { as: 'rep1', query: { ...query, cursor: first.next_cursor! } }));
    expect(second.items.map((d) => d.name)).toEqual(['Drift C', 'Drift D']);
  });

  // solo reports to nobody; the manager's reps are rep1 and rep2.
  for (const [who, owner] of [
    ['solo', 'solo'],
    ['admin', 'solo'],
    ['manager', 'rep2'],
  ] as const) {
    it(`walks 3 deals of a new pipeline oldest first in 2 pages, none empty, as ${who}`, async () => {
      const p = await newPipeline();
      const mine: string[] = [];
      for (let i = 0; i < 3; i++) mine.push((await newDeal(owner, { name: `Walk ${i}`, pipeline_id: p.id })).id);
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = bodyOf(
          await call(listDealsRoute, {
            as: who,
            query: { pipeline_id: p.id, sort_order: 'asc', limit: 2, ...(cursor ? { cursor } : {}) },
          }),
        );
        pages.push(page.items.map((d) => d.id));
        cursor = page.next_cursor ?? undefined;
      } while (cursor && pages.length < 100);
      expect(pages).toEqual([[mine[0], mine[1]], [mine[2]]]);
    });
  }

  it("lists a contact's primary and associated deals when another filter is given", async () => {
    const p = await newPipeline();
    const contact = bodyOf(await call(createContactRoute, { as: 'rep1', body: { first_name: 'Lin', last_name: 'Ked' } }), 201);
    const primary = await newDeal('rep1', { name: 'Primary', pipeline_id: p.id, contact_id: contact.id });
    const associated = await newDeal('rep1', { name: 'Associated', pipeline_id: p.id });
    expectStatus(
      await call(associateContactRoute, { as: 'rep1', params: { id: associated.id }, body: { contact_id: contact.id } }),
      201,
    );
    const byContact = bodyOf(
      await call(listDealsRoute, { as: 'rep1', query: { contact_id: contact.id, pipeline_id: p.id, sort_order: 'asc' } }),
    );
    expect(byContact.items.map((d) => d.id)).toEqual([primary.id, associated.id]);
    const contactDeals = bodyOf(await call(listContactDealsRoute, { as: 'rep1', params: { id: contact.id } }));
    expect(contactDeals.items.map((d) => d.id).sort()).toEqual([primary.id, associated.id].sort());
  });
});
