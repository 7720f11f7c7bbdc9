import type { RouteCase } from '#test/helpers/route-case-types.ts';

// The event stream is for admins: the matrix expects 200 for them and 403 for the others.

export const eventCases: Record<string, RouteCase> = {
  readEventStream: { kind: 'unowned', call: async () => ({ path: '/events/stream?limit=5' }) },
};
