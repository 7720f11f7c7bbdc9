import type { RouteCase } from '#test/helpers/route-case-types.ts';

// GET /automations is for admins only (the contract's access); the matrix checks the others get 403.

export const automationCases: Record<string, RouteCase> = {
  listAutomations: { kind: 'unowned', call: async () => ({ path: '/automations' }) },
};
