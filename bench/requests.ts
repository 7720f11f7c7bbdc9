import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { customFieldAdapters } from '#shared/custom-fields/runtime.ts';
import { identityAdapters } from '#shared/identity/runtime.ts';
import type { User } from '#shared/identity/domain.ts';
import { requestCases, type CaseContext, type RequestCase } from './cases.ts';
import { findRoute, httpEvent, invokeOk, loadHandler, type HttpLambda, type RequestParts } from './events.ts';
import { callerOf, type Fixture } from './local.ts';
import { RequestMeter, type MeteredRequest, type Phase } from './meter.ts';
import { allPass, type Verdict } from './stats.ts';
import { describeTarget, judgeRequests } from './targets.ts';

// Stage 4: the DynamoDB requests of each API call, split into the principal lookup, the
// idempotency record and the route's own requests. Each case runs once to warm the container
// (caches, connections), then once counted.

/** Powertools' idempotency records sit under this partition key (shared/platform/http/idempotency.ts). */
const IDEMPOTENCY_PK = 'idempotency';

export interface Bucket {
  readonly operations: readonly string[];
  readonly capacity: number | undefined;
}

export interface CaseResult {
  readonly label: string;
  readonly route: string;
  readonly role: string;
  readonly target: string;
  readonly principal: Bucket;
  readonly own: Bucket;
  readonly idempotency: Bucket;
  readonly verdict: Verdict;
}

export interface PrincipalResult {
  readonly label: string;
  readonly lookup: Bucket;
  readonly target: string;
  readonly verdict: Verdict;
}

export async function countRequests(fixture: Fixture): Promise<{ cases: CaseResult[]; principal: PrincipalResult[] }> {
  const meter = new RequestMeter({ idempotencyPk: IDEMPOTENCY_PK });
  const detach = meter.attach(dynamoDocumentClient());
  // The handlers resolve callers through this object (functions/http/identity.ts): wrapping
  // its resolve marks the lookup's requests without touching the handler.
  const principals = identityAdapters().principals;
  const resolve = principals.resolve;
  principals.resolve = (claimed) => meter.inPhase('principal', () => resolve(claimed));
  // The custom field catalog's version check runs beside the lookup on every request of a
  // function that caches definitions (shared/app.ts): counted with it, as per-request overhead.
  const catalog = customFieldAdapters().catalog;
  const refresh = catalog.refresh;
  catalog.refresh = () => meter.inPhase('principal', () => refresh.call(catalog));
  try {
    const handlers = new Map<string, Promise<HttpLambda>>();
    const handlerOf = (routeKey: string) => {
      const route = findRoute(routeKey);
      if (!handlers.has(route.family)) handlers.set(route.family, loadHandler(route));
      return { route, handler: handlers.get(route.family) as Promise<HttpLambda> };
    };
    const invoke = async (routeKey: string, as: User, parts: RequestParts = {}) => {
      const { route, handler } = handlerOf(routeKey);
      return invokeOk(await handler, httpEvent(route, callerOf(as), parts), `crm-bench-${route.family}`);
    };
    let n = 0;
    const context = (): CaseContext => ({
      fixture,
      n: ++n,
      userVersion: async (id) => {
        const user = await identityAdapters().users.get(id);
        if (!user) throw new Error(`no user ${id}`);
        return user.version;
      },
      call: async (routeKey, as, parts) => JSON.parse((await invoke(routeKey, as, parts)).body ?? 'null') as unknown,
    });

    const cases: CaseResult[] = [];
    for (const c of requestCases) {
      const as = c.as(fixture);
      await invoke(c.route, as, (await c.request?.(context())) ?? {});
      const parts = (await c.request?.(context())) ?? {};
      meter.take();
      await invoke(c.route, as, parts);
      cases.push(judgeCase(c, as, meter.take()));
    }

    const principal: PrincipalResult[] = [];
    for (const [label, user, cold] of [
      ['admin or user', fixture.users.admin, false],
      ['manager, reports cached', fixture.users.manager, false],
      ['manager, first request in 30 s', fixture.users.manager, true],
    ] as const) {
      const claimed = { ...callerOf(user), direct_reports: [] };
      await principals.resolve(claimed);
      if (cold) principals.forget(user.id);
      meter.take();
      await principals.resolve(claimed);
      const lookup = bucket(meter.take(), 'principal');
      const ok = cold ? lookup.operations.join() === 'GetItem,Query' : lookup.operations.join() === 'GetItem';
      principal.push({ label, lookup, target: cold ? '1 GetItem + 1 Query' : '1 GetItem', verdict: ok ? 'PASS' : 'FAIL' });
    }
    return { cases, principal };
  } finally {
    principals.resolve = resolve;
    catalog.refresh = refresh;
    detach();
  }
}

export function requestsVerdict(result: { cases: readonly CaseResult[]; principal: readonly PrincipalResult[] }): Verdict {
  return allPass([...result.cases, ...result.principal].map((r) => r.verdict));
}

function judgeCase(c: RequestCase, as: User, records: MeteredRequest[]): CaseResult {
  const own = bucket(records, 'route');
  return {
    label: c.label ?? c.route,
    route: c.route,
    role: as.role,
    target: describeTarget(c.target),
    principal: bucket(records, 'principal'),
    own,
    idempotency: bucket(records, 'idempotency'),
    verdict: judgeRequests(c.target, own.operations),
  };
}

function bucket(records: readonly MeteredRequest[], phase: Phase): Bucket {
  const mine = records.filter((r) => r.phase === phase);
  const reported = mine.filter((r) => r.capacity !== undefined);
  return {
    operations: mine.map((r) => (r.failed ? `${r.operation}(failed)` : r.operation)),
    capacity: reported.length > 0 ? reported.reduce((sum, r) => sum + (r.capacity ?? 0), 0) : undefined,
  };
}
