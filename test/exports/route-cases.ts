import type { DevUser } from '#infra/local/seed.ts';
import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';

// Exports are their creator's (and admins'): the matrix reads an export the caller, a direct
// report or someone else asked for, and expects 404 unless the caller asked or is an admin.

/** An export of the creator's contacts. */
async function exportOf(f: Fixtures, creator: DevUser): Promise<{ id: string }> {
  const res = await f.api('POST', '/exports', { token: creator.token, body: { resource: 'contacts' } });
  if (res.status !== 202) throw new Error(`setup POST /exports failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export const exportCases: Record<string, RouteCase> = {
  createExport: {
    kind: 'unowned',
    call: async () => ({ path: '/exports', body: { resource: 'deals', filters: { hot: 'true' } } }),
  },
  getExport: { kind: 'created', call: async (f, creator) => ({ path: `/exports/${(await exportOf(f, creator)).id}` }) },
};
