import type { DevUser } from '#infra/local/seed.ts';
import type { apiClient } from './local-cloud.ts';

// How to call each route in the authorization matrix. Every route in allRoutes needs an
// entry (the matrix fails otherwise), so a new route cannot ship without its rows.
//
// `owned` routes act on a record that has an owner: the matrix calls them against the
// caller's own record, a direct report's, and someone else's, and expects 404 where the
// visibility policy says the caller may not see it. `personal` routes act on something each
// user holds for themself alone (notification rules): the matrix calls them against the
// caller's own and someone else's, and expects 404 on someone else's whatever the role.
// `created` routes act on something its creator alone may see, and admins (exports): the
// matrix calls them as `owned` ones, and expects 404 unless the caller is the creator or an admin.

export type Relation = 'own' | 'report' | 'other';

export interface Fixtures {
  api: ReturnType<typeof apiClient>;
  users: Record<'admin' | 'manager' | 'rep1' | 'rep2' | 'solo', DevUser>;
  /** A unique suffix for names and e-mails. */
  unique: () => string;
  /** The local SES front (the mail viewer's GET /store): RSVP rows read their token from the mail. */
  sesUrl: string;
  /** The API's base URL (signed webhooks sign the URL they call). */
  apiUrl: string;
  /** Calls the API as the admin (to set up targets). */
  asAdmin: <T = any>(method: string, path: string, body?: unknown) => Promise<T>;
}

export interface RouteCall {
  path: string;
  body?: unknown;
  /** A body sent as it is (a form-encoded webhook), with these headers. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export type RouteCase =
  | { kind: 'public'; call: (f: Fixtures) => Promise<RouteCall> }
  | {
      kind: 'unowned';
      call: (f: Fixtures) => Promise<RouteCall>;
      /**
       * What every caller the route allows gets, when the local cloud cannot make the call succeed
       * (an outside provider it does not have): a use case's 4xx still shows authorization let it through.
       */
      status?: number;
    }
  | { kind: 'owned'; call: (f: Fixtures, owner: DevUser) => Promise<RouteCall> }
  | { kind: 'personal'; call: (f: Fixtures, holder: DevUser) => Promise<RouteCall> }
  | { kind: 'created'; call: (f: Fixtures, creator: DevUser) => Promise<RouteCall> };
