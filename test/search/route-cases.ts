import type { RouteCase } from '#test/helpers/route-case-types.ts';

// Search answers within the caller's scope rather than refusing: every role gets 200, and
// what each may find is the search tests' business (test/search/search.e2e.test.ts).

export const searchCases: Record<string, RouteCase> = {
  searchRecords: {
    kind: 'unowned',
    call: async (f) => {
      await f.asAdmin('POST', '/deals', { name: `Matrix search ${f.unique()}` });
      return { path: '/search?q=matrix%20search&types=deals&limit=5' };
    },
  },
};
