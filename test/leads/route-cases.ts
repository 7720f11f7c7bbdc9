import type { DevUser } from '#infra/local/seed.ts';
import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';

// Leads are owned records: the matrix calls these routes on the caller's own lead, a direct
// report's and someone else's, and expects 404 wherever the visibility policy says so.

const leadOf = async (f: Fixtures, owner: DevUser) =>
  f.asAdmin<{ id: string }>('POST', '/leads', { last_name: `Matrix ${f.unique()}`, owner_id: owner.user_id });

export const leadCases: Record<string, RouteCase> = {
  listLeads: { kind: 'unowned', call: async () => ({ path: '/leads?limit=5' }) },
  createLead: { kind: 'unowned', call: async (f) => ({ path: '/leads', body: { last_name: `Own ${f.unique()}` } }) },
  getLead: { kind: 'owned', call: async (f, owner) => ({ path: `/leads/${(await leadOf(f, owner)).id}` }) },
  updateLead: {
    kind: 'owned',
    call: async (f, owner) => ({ path: `/leads/${(await leadOf(f, owner)).id}`, body: { status: 'working' } }),
  },
  deleteLead: { kind: 'owned', call: async (f, owner) => ({ path: `/leads/${(await leadOf(f, owner)).id}` }) },
};
