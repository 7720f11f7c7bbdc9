import type { RouteCase } from '#test/helpers/route-case-types.ts';

// A ticket is for the caller's own notifications: every role gets one.

export const liveCases: Record<string, RouteCase> = {
  createLiveTicket: { kind: 'unowned', call: async () => ({ path: '/notifications/live_ticket' }) },
};
