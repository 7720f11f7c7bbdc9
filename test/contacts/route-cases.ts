import type { DevUser } from '#infra/local/seed.ts';
import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';

// Contacts are owned records: the matrix calls these routes on the caller's own contact, a
// direct report's and someone else's, and expects 404 wherever the visibility policy says so.

const contactOf = async (f: Fixtures, owner: DevUser) =>
  f.asAdmin<{ id: string }>('POST', '/contacts', { last_name: `Matrix ${f.unique()}`, owner_id: owner.user_id });

export const contactCases: Record<string, RouteCase> = {
  listContacts: { kind: 'unowned', call: async () => ({ path: '/contacts?limit=5' }) },
  createContact: {
    kind: 'unowned',
    call: async (f) => ({ path: '/contacts', body: { is_organization: true, name: `Org ${f.unique()}` } }),
  },
  getContact: { kind: 'owned', call: async (f, owner) => ({ path: `/contacts/${(await contactOf(f, owner)).id}` }) },
  updateContact: {
    kind: 'owned',
    call: async (f, owner) => ({ path: `/contacts/${(await contactOf(f, owner)).id}`, body: { title: 'CFO' } }),
  },
  deleteContact: { kind: 'owned', call: async (f, owner) => ({ path: `/contacts/${(await contactOf(f, owner)).id}` }) },
  listContactDeals: {
    kind: 'owned',
    call: async (f, owner) => ({ path: `/contacts/${(await contactOf(f, owner)).id}/deals?limit=5` }),
  },
};
