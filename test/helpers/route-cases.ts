import type { DevUser } from '#infra/local/seed.ts';
import type { apiClient } from './local-cloud.ts';

// How to call each route in the authorization matrix. Every route in allRoutes needs an
// entry (the matrix fails otherwise), so a new route cannot ship without its rows.
//
// `owned` routes act on a record that has an owner: the matrix calls them against the
// caller's own record, a direct report's, and someone else's, and expects 404 where the
// visibility policy says the caller may not see it.

export type Relation = 'own' | 'report' | 'other';

export interface Fixtures {
  api: ReturnType<typeof apiClient>;
  users: Record<'admin' | 'manager' | 'rep1' | 'rep2' | 'solo', DevUser>;
  /** A unique suffix for names and e-mails. */
  unique: () => string;
  /** Calls the API as the admin (to set up targets). */
  asAdmin: <T = any>(method: string, path: string, body?: unknown) => Promise<T>;
}

export interface RouteCall {
  path: string;
  body?: unknown;
}

export type RouteCase =
  | { kind: 'public'; call: (f: Fixtures) => Promise<RouteCall> }
  | { kind: 'unowned'; call: (f: Fixtures) => Promise<RouteCall> }
  | { kind: 'owned'; call: (f: Fixtures, owner: DevUser) => Promise<RouteCall> };

const freshUser = async (f: Fixtures) =>
  f.asAdmin<{ id: string }>('POST', '/users', { name: 'Temp User', email: `temp-${f.unique()}@example.com`, role: 'user' });
const freshTeam = async (f: Fixtures) => f.asAdmin<{ id: string }>('POST', '/teams', { name: `Team ${f.unique()}` });

export const routeCases: Record<string, RouteCase> = {
  getHealth: { kind: 'public', call: async () => ({ path: '/health' }) },
  getOpenApi: { kind: 'public', call: async () => ({ path: '/openapi.json' }) },

  listUsers: { kind: 'unowned', call: async () => ({ path: '/users?limit=5' }) },
  getSelf: { kind: 'unowned', call: async () => ({ path: '/users/self' }) },
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
