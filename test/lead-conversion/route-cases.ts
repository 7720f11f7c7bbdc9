import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';
import type { DevUser } from '#infra/local/seed.ts';

// Converting is changing the lead: its owner, their manager, or an admin; 404 for others.
const leadOf = async (f: Fixtures, owner: DevUser) =>
  f.asAdmin<{ id: string }>('POST', '/leads', { first_name: 'Matrix', last_name: `Lead ${f.unique()}`, owner_id: owner.user_id });

export const conversionCases: Record<string, RouteCase> = {
  convertLead: {
    kind: 'owned',
    call: async (f, owner) => ({ path: `/leads/${(await leadOf(f, owner)).id}/convert`, body: {} }),
  },
};
