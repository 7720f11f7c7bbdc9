import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';
import type { DevUser } from '#infra/local/seed.ts';

// Every route acts on the caller's own inbox and settings (every role 200): no route takes
// another user's id, and read/archive of an id the caller has no item under change nothing.
// Notification rules are personal: another user's rule answers 404 to every role.

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
  listNotificationRules: { kind: 'unowned', call: async () => ({ path: '/notification_rules' }) },
  createNotificationRule: { kind: 'unowned', call: async () => ({ path: '/notification_rules', body: ruleBody }) },
  getNotificationRule: {
    kind: 'personal',
    call: async (f, holder) => ({ path: `/notification_rules/${await ruleOf(f, holder)}` }),
  },
  updateNotificationRule: {
    kind: 'personal',
    call: async (f, holder) => ({ path: `/notification_rules/${await ruleOf(f, holder)}`, body: { name: 'Renamed' } }),
  },
  deleteNotificationRule: {
    kind: 'personal',
    call: async (f, holder) => ({ path: `/notification_rules/${await ruleOf(f, holder)}` }),
  },
};

const ruleBody = { name: 'Deals moved', resource: 'deal', triggers: ['stage_changed'], channels: ['web'] };

/** A rule `holder` creates for themself (only they can). */
async function ruleOf(f: Fixtures, holder: DevUser): Promise<string> {
  const res = await f.api('POST', '/notification_rules', { token: holder.token, body: ruleBody });
  if (res.status !== 201) throw new Error(`setup: rule for ${holder.email}: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { id: string }).id;
}
