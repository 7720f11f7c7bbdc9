import type { DevUser } from '#infra/local/seed.ts';
import { newId } from '#shared/kernel/ids.ts';
import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';

// Bulk operations are their requester's: the matrix reads one the caller, a direct report or
// someone else asked for, and expects 404 where the requester is out of reach. Asking for one
// is open to every role (each record is checked with the caller's rights when it runs).

/** A bulk operation tagging an unknown lead, asked for by `owner`. */
async function operationOf(f: Fixtures, owner: DevUser): Promise<{ id: string }> {
  const res = await f.api('POST', '/bulk_operations', {
    token: owner.token,
    body: { resource: 'leads', action: 'add_tag', tag: 'matrix', ids: [newId()] },
  });
  if (res.status !== 202) throw new Error(`setup POST /bulk_operations failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export const bulkOperationCases: Record<string, RouteCase> = {
  createBulkOperation: {
    kind: 'unowned',
    call: async () => ({
      path: '/bulk_operations',
      body: { resource: 'contacts', action: 'remove_tag', tag: 'matrix', ids: [newId()] },
    }),
  },
  getBulkOperation: {
    kind: 'owned',
    call: async (f, owner) => ({ path: `/bulk_operations/${(await operationOf(f, owner)).id}` }),
  },
};
