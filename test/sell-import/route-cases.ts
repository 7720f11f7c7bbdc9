import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';

// Imports from Zendesk Sell are admins' (ADMIN_ONLY): others get 403 on every route. Each call
// gets a fresh import, started as the admin with a token Sell refuses (the worker fails it).

async function sellImportOf(f: Fixtures): Promise<{ id: string }> {
  return f.asAdmin('POST', '/sell_imports', { token: `matrix-${f.unique()}-${'0'.repeat(40)}` });
}

export const sellImportCases: Record<string, RouteCase> = {
  startSellImport: {
    kind: 'unowned',
    call: async (f) => ({ path: '/sell_imports', body: { token: `matrix-${f.unique()}-${'0'.repeat(40)}` } }),
  },
  listSellImports: { kind: 'unowned', call: async () => ({ path: '/sell_imports' }) },
  getSellImport: { kind: 'unowned', call: async (f) => ({ path: `/sell_imports/${(await sellImportOf(f)).id}` }) },
  cancelSellImport: { kind: 'unowned', call: async (f) => ({ path: `/sell_imports/${(await sellImportOf(f)).id}` }) },
};
