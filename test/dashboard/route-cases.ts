import type { RouteCase } from '#test/helpers/route-case-types.ts';

// The dashboard and the outcome window answer within the caller's scope rather than refusing:
// every role gets 200; what each sees is test/dashboard/dashboard.e2e.test.ts's business.

export const dashboardCases: Record<string, RouteCase> = {
  getDashboard: { kind: 'unowned', call: async () => ({ path: '/dashboard' }) },
  getOutcomeWindow: { kind: 'unowned', call: async () => ({ path: '/stats/outcomes?from=2026-01-01&to=2026-12-31' }) },
};
