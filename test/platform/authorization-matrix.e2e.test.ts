import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canSee } from '#shared/kernel/visibility.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import type { Role } from '#shared/kernel/roles.ts';
import { allRoutes } from '#shared/families.ts';
import { DevAuth, LOCAL_CLIENT_ID } from '#infra/local/dev-auth.ts';
import type { LocalCloud } from '#infra/local/cloud.ts';
import type { DevUser } from '#infra/local/seed.ts';
import { startRouteCaseCloud } from '#test/helpers/route-case-fixtures.ts';
import { routeCases, type Fixtures, type Relation } from '#test/helpers/route-cases.ts';

// The authorization matrix, generated from the route contracts: every route, as each role,
// against the caller's own record, a direct report's and someone else's where the route acts
// on an owned record. The expected answer comes from the contract's roles and the domain's
// visibility policy, never from the handlers.

let cloud: LocalCloud;
let fixtures: Fixtures;

beforeAll(async () => {
  ({ cloud, fixtures } = await startRouteCaseCloud());
});

afterAll(async () => {
  await cloud?.stop();
});

const CALLERS: { name: 'admin' | 'manager' | 'rep1'; role: Role }[] = [
  { name: 'admin', role: 'admin' },
  { name: 'manager', role: 'manager' },
  { name: 'rep1', role: 'user' },
];

function principalOf(f: Fixtures, name: 'admin' | 'manager' | 'rep1'): Principal {
  const user = f.users[name];
  return {
    user_id: user.user_id,
    email: user.email,
    role: user.role,
    direct_reports: name === 'manager' ? [f.users.rep1.user_id, f.users.rep2.user_id] : [],
  };
}

/** The owner of the record for a relation, from the caller's point of view. */
function ownerFor(f: Fixtures, caller: 'admin' | 'manager' | 'rep1', relation: Relation): DevUser | undefined {
  if (relation === 'own') return f.users[caller];
  if (relation === 'report') return caller === 'manager' ? f.users.rep1 : undefined;
  return f.users.solo;
}

describe('authorization matrix', () => {
  it('has a case for every route', () => {
    const missing = allRoutes.filter((r) => !routeCases[r.id]).map((r) => `${r.id} (${r.method} ${r.path})`);
    expect(missing).toEqual([]);
  });

  const rows = allRoutes.flatMap((route) =>
    CALLERS.flatMap((caller) => {
      const kind = routeCases[route.id]?.kind;
      // Only a manager has direct reports: the others get the own and other rows.
      const owned: Relation[] = caller.name === 'manager' ? ['own', 'report', 'other'] : ['own', 'other'];
      const relations: (Relation | null)[] =
        kind === 'owned' || kind === 'created' ? owned : kind === 'personal' ? ['own', 'other'] : [null];
      return relations.map((relation) => ({ route, caller, relation }));
    }),
  );

  it.each(
    rows.map(
      (r) => [`${r.route.method} ${r.route.path} as ${r.caller.name}${r.relation ? ` on ${r.relation}` : ''}`, r] as const,
    ),
  )('%s', async (_label, { route, caller, relation }) => {
    const spec = routeCases[route.id]!;
    let call;
    let owner: DevUser | undefined;
    if (spec.kind === 'owned' || spec.kind === 'personal' || spec.kind === 'created') {
      owner = ownerFor(fixtures, caller.name, relation!);
      if (!owner) throw new Error(`no ${relation} record owner for ${caller.name}`);
      call = await spec.call(fixtures, owner);
    } else {
      call = await spec.call(fixtures);
    }
    const res = await fixtures.api(route.method, call.path, {
      token: fixtures.users[caller.name].token,
      body: call.body,
      ...(call.rawBody !== undefined ? { rawBody: call.rawBody } : {}),
      ...(call.headers ? { headers: call.headers } : {}),
    });
    let expected: number;
    if (route.access !== 'public' && !route.access.includes(caller.role)) expected = 403;
    else if (owner && spec.kind === 'personal' && owner.user_id !== fixtures.users[caller.name].user_id) expected = 404;
    else if (owner && spec.kind === 'owned' && !canSee(principalOf(fixtures, caller.name), owner.user_id)) expected = 404;
    else if (owner && spec.kind === 'created' && owner.user_id !== fixtures.users[caller.name].user_id && caller.role !== 'admin')
      expected = 404;
    else expected = (spec.kind === 'unowned' ? spec.status : undefined) ?? route.status;
    expect({ status: res.status, body: res.status === expected ? 'as expected' : res.body }).toEqual({
      status: expected,
      body: 'as expected',
    });
    // The /v2 facade refuses in Sell's error envelope (plain JSON), every other route with problem+json.
    if (expected >= 400 && route.family === 'sell-facade') {
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.body.meta).toMatchObject({ type: 'errors', logref: res.headers.get('x-request-id') });
    } else if (expected >= 400) expect(res.headers.get('content-type')).toBe('application/problem+json');
    // A role refusal names the route, whatever its summary reads like.
    if (expected === 403 && route.family !== 'sell-facade' && route.access !== 'public' && !route.access.includes(caller.role)) {
      expect(res.body.detail).toMatch(
        new RegExp(`^Your role \\(${caller.role}\\) may not call ${route.method} \\S+: it is for `),
      );
    }
  });
});

describe('token checks on every authenticated route', () => {
  const secured = allRoutes.filter((r) => r.access !== 'public');
  const other = DevAuth.ephemeral();
  const badTokens: [string, (f: Fixtures) => string | undefined][] = [
    ['missing', () => undefined],
    ['signed with another key', (f) => other.token({ sub: f.users.admin.user_id, email: f.users.admin.email, role: 'admin' })],
    [
      'expired',
      (f) =>
        cloud.auth.token(
          { sub: f.users.admin.user_id, email: f.users.admin.email, role: 'admin' },
          { overrides: { exp: 1_000_000_000 } },
        ),
    ],
    [
      'from another issuer',
      (f) =>
        cloud.auth.token(
          { sub: f.users.admin.user_id, email: f.users.admin.email, role: 'admin' },
          { overrides: { iss: 'https://evil.example.com' } },
        ),
    ],
    [
      'for another client',
      (f) =>
        cloud.auth.token(
          { sub: f.users.admin.user_id, email: f.users.admin.email, role: 'admin' },
          { overrides: { aud: `${LOCAL_CLIENT_ID}-other` } },
        ),
    ],
    ['not a JWT', () => 'not-a-token'],
  ];
  const rows = secured.flatMap((route) => badTokens.map(([label, make]) => ({ route, label, make })));
  it.each(rows.map((r) => [`${r.route.method} ${r.route.path} with a token ${r.label}`, r] as const))(
    '%s → 401',
    async (_l, { route, make }) => {
      const path = route.path.replace(/\{[^}]+\}/g, '01ARZ3NDEKTSV4RRFFQ69G5FAV');
      const res = await fixtures.api(route.method, path, { token: make(fixtures), body: route.body ? {} : undefined });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    },
  );

  it('public routes answer without a token', async () => {
    for (const route of allRoutes.filter((r) => r.access === 'public')) {
      // A path with a parameter (a form's id, a feed file) is filled in by its case.
      const spec = routeCases[route.id]!;
      const call =
        spec.kind === 'public' || spec.kind === 'unowned'
          ? await spec.call(fixtures)
          : route.path.includes('{')
            ? await spec.call(fixtures, fixtures.users.admin)
            : { path: route.path };
      const res = await fixtures.api(route.method, call.path, {
        body: call.body,
        ...(call.rawBody !== undefined ? { rawBody: call.rawBody } : {}),
        ...(call.headers ? { headers: call.headers } : {}),
      });
      expect(res.status, call.path).toBe(route.status);
    }
  });
});
