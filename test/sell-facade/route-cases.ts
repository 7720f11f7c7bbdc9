import type { DevUser } from '#infra/local/seed.ts';
import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';

// The /v2 facade's four routes, on leads: a read, a create, and an update and a delete of the
// caller's own lead, a direct report's and someone else's (404 where the native API says so).

/** A lead of `owner`, made through /v2 by the admin: its Sell id. */
async function sellLeadOf(f: Fixtures, owner: DevUser): Promise<number> {
  const self = await f.api<{ data: { id: number } }>('GET', '/v2/users/self', { token: owner.token });
  const made = await f.api<{ data: { id: number } }>('POST', '/v2/leads', {
    token: f.users.admin.token,
    body: { data: { last_name: `Matrix ${f.unique()}`, owner_id: self.body.data.id } },
  });
  if (made.status !== 200) throw new Error(`POST /v2/leads: ${made.status} ${JSON.stringify(made.body)}`);
  return made.body.data.id;
}

export const sellFacadeCases: Record<string, RouteCase> = {
  sellGet: { kind: 'owned', call: async (f, owner) => ({ path: `/v2/leads/${await sellLeadOf(f, owner)}` }) },
  sellPost: { kind: 'unowned', call: async (f) => ({ path: '/v2/leads', body: { data: { last_name: `Own ${f.unique()}` } } }) },
  sellPut: {
    kind: 'owned',
    call: async (f, owner) => ({ path: `/v2/leads/${await sellLeadOf(f, owner)}`, body: { data: { first_name: 'Put' } } }),
  },
  sellDelete: { kind: 'owned', call: async (f, owner) => ({ path: `/v2/leads/${await sellLeadOf(f, owner)}` }) },
};
