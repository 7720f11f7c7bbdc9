import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';

// Users, teams and the account.

const freshUser = async (f: Fixtures) =>
  f.asAdmin<{ id: string }>('POST', '/users', { name: 'Temp User', email: `temp-${f.unique()}@example.com`, role: 'user' });
const freshTeam = async (f: Fixtures) => f.asAdmin<{ id: string }>('POST', '/teams', { name: `Team ${f.unique()}` });

export const identityCases: Record<string, RouteCase> = {
  listUsers: { kind: 'unowned', call: async () => ({ path: '/users?limit=5' }) },
  getSelf: { kind: 'unowned', call: async () => ({ path: '/users/self' }) },
  updateSelf: { kind: 'unowned', call: async () => ({ path: '/users/self', body: { time_zone: 'Europe/Paris' } }) },
  getUser: { kind: 'unowned', call: async (f) => ({ path: `/users/${f.users.solo.user_id}` }) },
  createUser: {
    kind: 'unowned',
    call: async (f) => ({ path: '/users', body: { name: 'New Rep', email: `new-${f.unique()}@example.com`, role: 'user' } }),
  },
  updateUser: { kind: 'unowned', call: async (f) => ({ path: `/users/${(await freshUser(f)).id}`, body: { name: 'Renamed' } }) },
  disableUser: { kind: 'unowned', call: async (f) => ({ path: `/users/${(await freshUser(f)).id}/disable` }) },
  enableUser: { kind: 'unowned', call: async (f) => ({ path: `/users/${(await freshUser(f)).id}/enable` }) },
  listTeams: { kind: 'unowned', call: async () => ({ path: '/teams' }) },
  getTeam: { kind: 'unowned', call: async (f) => ({ path: `/teams/${(await freshTeam(f)).id}` }) },
  createTeam: { kind: 'unowned', call: async (f) => ({ path: '/teams', body: { name: `Team ${f.unique()}` } }) },
  updateTeam: {
    kind: 'unowned',
    call: async (f) => ({ path: `/teams/${(await freshTeam(f)).id}`, body: { name: `Renamed ${f.unique()}` } }),
  },
  deleteTeam: { kind: 'unowned', call: async (f) => ({ path: `/teams/${(await freshTeam(f)).id}` }) },
  getAccount: { kind: 'unowned', call: async () => ({ path: '/account' }) },
  updateAccount: { kind: 'unowned', call: async () => ({ path: '/account', body: { name: 'Acme Corp' } }) },
};
