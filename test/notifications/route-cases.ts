import type { RouteCase } from '#test/helpers/route-case-types.ts';

// Every route acts on the caller's own inbox and settings (every role 200): no route takes
// another user's id, and read/archive of an id the caller has no item under change nothing.

const someId = '1700000000000.lead_assigned.01JAAAAAAAAAAAAAAAAAAAAAAA';

export const notificationCases: Record<string, RouteCase> = {
  listNotifications: { kind: 'unowned', call: async () => ({ path: '/notifications?limit=5&unread=true' }) },
  readAllNotifications: { kind: 'unowned', call: async () => ({ path: '/notifications/read_all' }) },
  readNotification: { kind: 'unowned', call: async () => ({ path: `/notifications/${someId}/read` }) },
  archiveNotification: { kind: 'unowned', call: async () => ({ path: `/notifications/${someId}/archive` }) },
  getNotificationSettings: { kind: 'unowned', call: async () => ({ path: '/notification_settings' }) },
  putNotificationSettings: {
    kind: 'unowned',
    call: async () => ({ path: '/notification_settings', body: { channels: { task_assigned: 'web' } } }),
  },
};
