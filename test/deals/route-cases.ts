import type { DevUser } from '#infra/local/seed.ts';
import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';

// Deals are owned records: the matrix calls these routes on the caller's own deal, a direct
// report's and someone else's, and expects 404 wherever the visibility policy says so.

const dealOf = async (f: Fixtures, owner: DevUser) =>
  f.asAdmin<{ id: string }>('POST', '/deals', { name: `Matrix ${f.unique()}`, owner_id: owner.user_id });

/**
 * A contact of the deal's owner: whoever sees the deal sees it too, so linking it turns on the
 * deal's visibility alone (a contact the caller cannot see is refused as a missing one).
 */
const contactId = async (f: Fixtures, owner: DevUser) =>
  (await f.asAdmin<{ id: string }>('POST', '/contacts', { last_name: `Linked ${f.unique()}`, owner_id: owner.user_id })).id;

export const dealCases: Record<string, RouteCase> = {
  listDeals: { kind: 'unowned', call: async () => ({ path: '/deals?limit=5' }) },
  getDealSummary: {
    kind: 'unowned',
    call: async (f) => ({ path: `/deals/summary?pipeline_id=${(await f.asAdmin('GET', '/pipelines')).items[0].id}` }),
  },
  createDeal: { kind: 'unowned', call: async (f) => ({ path: '/deals', body: { name: `Own ${f.unique()}` } }) },
  getDeal: { kind: 'owned', call: async (f, owner) => ({ path: `/deals/${(await dealOf(f, owner)).id}` }) },
  updateDeal: {
    kind: 'owned',
    call: async (f, owner) => ({ path: `/deals/${(await dealOf(f, owner)).id}`, body: { hot: true } }),
  },
  deleteDeal: { kind: 'owned', call: async (f, owner) => ({ path: `/deals/${(await dealOf(f, owner)).id}` }) },
  listDealStageChanges: {
    kind: 'owned',
    call: async (f, owner) => ({ path: `/deals/${(await dealOf(f, owner)).id}/stage_changes` }),
  },
  listDealAssociatedContacts: {
    kind: 'owned',
    call: async (f, owner) => ({ path: `/deals/${(await dealOf(f, owner)).id}/associated_contacts` }),
  },
  associateDealContact: {
    kind: 'owned',
    call: async (f, owner) => ({
      path: `/deals/${(await dealOf(f, owner)).id}/associated_contacts`,
      body: { contact_id: await contactId(f, owner), role: 'influencer' },
    }),
  },
  dissociateDealContact: {
    kind: 'owned',
    call: async (f, owner) => {
      const deal = await dealOf(f, owner);
      const contact = await contactId(f, owner);
      await f.asAdmin('POST', `/deals/${deal.id}/associated_contacts`, { contact_id: contact });
      return { path: `/deals/${deal.id}/associated_contacts/${contact}` };
    },
  },
};
