import { describe, expect, it } from 'vitest';
import { createDealRoute, deleteDealRoute, updateDealRoute } from '#shared/deals/routes.ts';
import type { ResponseBody, RouteInput } from '#shared/platform/http/client.ts';
import type { Problem } from '#shared/platform/http/problem.ts';
import { searchRecordsRoute } from '#shared/search/routes.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';

// Search (F1.6) over HTTP against the local cloud, on deals created through the API, as the
// seeded users: an admin, a manager with two reps (rep1, rep2), and a rep reporting to nobody.
// Leads and contacts: test/search/search-leads-contacts.e2e.test.ts.

const { api, call, as, id } = useTestCloud();

type Hit = ResponseBody<typeof searchRecordsRoute>['items'][number];
type SearchQuery = RouteInput<typeof searchRecordsRoute>['query'];

async function newDeal(name: string, owner: string) {
  return bodyOf(await call(createDealRoute, { as: 'admin', body: { name, owner_id: id(owner) } }), 201);
}

async function search(who: string, query: SearchQuery): Promise<Hit[]> {
  return bodyOf(await call(searchRecordsRoute, { as: who, query }), 200).items;
}

const names = (hits: Hit[]) => hits.map((h) => h.name);

describe('search', () => {
  it('finds a deal by the start of its name or of a later word, whatever the case and accents', async () => {
    const deal = await newDeal('Zoë Müller expansion', 'rep1');
    const expected: Hit = { kind: 'deal', id: deal.id, name: 'Zoë Müller expansion', email: null, owner_id: id('rep1') };
    expect(await search('rep1', { q: 'zoe' })).toEqual([expected]);
    expect(await search('rep1', { q: 'ZOË MU' })).toEqual([expected]);
    expect(await search('rep1', { q: 'muller' })).toEqual([expected]);
    expect(await search('rep1', { q: 'expan' })).toEqual([expected]);
    expect(await search('rep1', { q: 'xpansion' })).toEqual([]);
  });

  it('answers within the caller’s visibility: own for a rep, own and reports’ for a manager, all for an admin', async () => {
    for (const who of ['admin', 'manager', 'rep1', 'rep2', 'solo']) await newDeal(`Orbit ${who}`, who);
    expect(names(await search('rep1', { q: 'orbit' }))).toEqual(['Orbit rep1']);
    expect(names(await search('solo', { q: 'orbit' }))).toEqual(['Orbit solo']);
    expect(names(await search('manager', { q: 'orbit' }))).toEqual(['Orbit manager', 'Orbit rep1', 'Orbit rep2']);
    expect(names(await search('admin', { q: 'orbit' }))).toEqual([
      'Orbit admin',
      'Orbit manager',
      'Orbit rep1',
      'Orbit rep2',
      'Orbit solo',
    ]);
  });

  it('puts the deal named exactly what was typed first, and applies the limit', async () => {
    for (let i = 0; i < 12; i++) await newDeal(`Nimbus ${String.fromCharCode(97 + i)}`, 'rep2');
    await newDeal('Nimbus', 'rep2');
    const hits = await search('rep2', { q: 'nimbus' });
    expect(hits).toHaveLength(10);
    expect(hits[0]!.name).toBe('Nimbus');
    expect(names(await search('rep2', { q: 'nimbus', limit: 3 }))).toEqual(['Nimbus', 'Nimbus a', 'Nimbus b']);
    expect(await search('rep2', { q: 'nimbus', limit: 25 })).toHaveLength(13);
  });

  it('follows renames, owner changes and deletes at once', async () => {
    const deal = await newDeal('Quasar pilot', 'rep1');
    const params = { id: deal.id };
    const renamed = await call(updateDealRoute, { as: 'rep1', params, body: { name: 'Pulsar pilot' } });
    expect(renamed.status).toBe(200);
    expect(await search('rep1', { q: 'quasar' })).toEqual([]);
    expect(names(await search('rep1', { q: 'pulsar' }))).toEqual(['Pulsar pilot']);

    const moved = await call(updateDealRoute, { as: 'manager', params, body: { owner_id: id('rep2') } });
    expect(moved.status).toBe(200);
    expect(await search('rep1', { q: 'pulsar' })).toEqual([]);
    expect(await search('rep2', { q: 'pulsar' })).toMatchObject([{ id: deal.id, owner_id: id('rep2') }]);

    const gone = await call(deleteDealRoute, { as: 'rep2', params });
    expect(gone.status).toBe(204);
    expect(await search('admin', { q: 'pulsar' })).toEqual([]);
  });

  it('filters by type', async () => {
    await newDeal('Kestrel deal', 'solo');
    expect(names(await search('solo', { q: 'kestrel', types: 'deals' }))).toEqual(['Kestrel deal']);
    expect(names(await search('solo', { q: 'kestrel', types: 'Leads,DEALS' }))).toEqual(['Kestrel deal']);
    expect(await search('solo', { q: 'kestrel', types: 'leads,contacts' })).toEqual([]);
  });

  it('refuses a missing, empty or too long q, an unknown type and a bad limit, naming each field', async () => {
    // A string is a query off the contract (no q, a parameter it does not have): the raw client.
    const refused = async (query: SearchQuery | string) => {
      const res =
        typeof query === 'string'
          ? await api('GET', `/search?${query}`, { token: as('rep1') })
          : await call(searchRecordsRoute, { as: 'rep1', query });
      expect(res.status, JSON.stringify(query)).toBe(422);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      return (res.body as Problem).errors?.map((e) => e.field);
    };
    expect(await refused('types=deals')).toEqual(['query.q']);
    expect(await refused({ q: '' })).toEqual(['query.q']);
    expect(await refused({ q: '   ' })).toEqual(['query.q']);
    expect(await refused({ q: 'x'.repeat(61) })).toEqual(['query.q']);
    expect(await refused({ q: 'zoe', types: 'deals,notes' })).toEqual(['query.types']);
    expect(await refused({ q: 'zoe', types: '' })).toEqual(['query.types']);
    expect(await refused({ q: 'zoe', limit: 26 })).toEqual(['query.limit']);
    expect(await refused({ q: 'zoe', limit: 0 })).toEqual(['query.limit']);
    expect(await refused('q=zoe&cursor=abc')).toEqual(['query.cursor']);
    // A 60-character text is fine.
    expect(await search('rep1', { q: 'x'.repeat(60) })).toEqual([]);
  });

  it('needs a token', async () => {
    const res = await call(searchRecordsRoute, { query: { q: 'zoe' } });
    expect(res.status).toBe(401);
  });
});
