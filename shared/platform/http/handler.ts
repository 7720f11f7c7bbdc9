import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { ForbiddenError } from '#shared/kernel/errors.ts';
import { newId } from '#shared/kernel/ids.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { callContext, systemClock, type Call, type Clock } from '#shared/kernel/ports.ts';
import { routeKey, type AnyRoute } from './contract.ts';
import { principalFromClaims } from './claims.ts';
import { corsHeaders, SECURITY_HEADERS } from './headers.ts';
import { logger, metrics } from '#shared/platform/observability.ts';
import { PROBLEM_CONTENT_TYPE, RouteNotFoundError, toProblem } from './problem.ts';
import { header, parsePart, readIfMatch, readJsonBody, type HttpEvent } from './request.ts';

// The one HTTP entry shape: a Lambda per resource family, routing on API Gateway's routeKey
// to the implementations of its contracts. Handlers stay thin: this module parses, checks
// the role, validates, runs the use case, and shapes the answer or the problem.

type Out<S> = S extends z.ZodMiniType ? z.output<S> : undefined;
type ResponseOf<R extends AnyRoute> =
  NonNullable<R['response']> extends z.ZodMiniType ? z.input<NonNullable<R['response']>> : void;

export interface HttpRequest<R extends AnyRoute> {
  readonly route: R;
  /** The caller; for public routes, an anonymous principal is never created: see `principal`. */
  readonly principal: Principal;
  readonly params: Out<NonNullable<R['params']>>;
  readonly query: Out<NonNullable<R['query']>>;
  readonly body: Out<NonNullable<R['body']>>;
  /** The version named by If-Match, on conditional routes. */
  readonly ifMatch: number | undefined;
  readonly correlationId: string;
  /** What the use cases get about this call: the principal, the time, the correlation id, new ids. */
  readonly call: Call;
  readonly event: HttpEvent;
}

/** What an implementation may return besides a plain body. */
export interface Reply {
  readonly reply: true;
  readonly status?: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export function reply(body: unknown, options: { status?: number; headers?: Record<string, string> } = {}): Reply {
  return { reply: true, body, ...options };
}

export interface RouteBinding {
  readonly route: AnyRoute;
  readonly run: (request: HttpRequest<AnyRoute>) => Promise<unknown>;
}

export function implement<R extends AnyRoute>(
  route: R,
  run: (request: HttpRequest<R>) => Promise<ResponseOf<R> | Reply>,
): RouteBinding {
  return { route, run: run as RouteBinding['run'] };
}

export interface HttpHandlerOptions {
  /**
   * Turns verified claims into the principal the use cases see. The identity module loads the
   * CRM's user record here (role, reporting line, disabled); the default trusts the claims.
   */
  resolvePrincipal?: (claimed: Principal, event: HttpEvent) => Promise<Principal>;
  /** The clock stamped on `call` (the system clock unless a test sets one). */
  clock?: Clock;
  /** New record and event ids (ULIDs unless a test sets a generator). */
  newId?: () => string;
}

const ANONYMOUS: Principal = Object.freeze({ user_id: 'anonymous', email: '', role: 'user', direct_reports: [] });

export function httpHandler(bindings: RouteBinding[], options: HttpHandlerOptions = {}) {
  const byKey = new Map(bindings.map((b) => [routeKey(b.route), b]));
  const validateResponses = process.env.CRM_VALIDATE_RESPONSES === 'true';
  const allowedOrigins = process.env.CORS_ALLOW_ORIGINS ?? '*';
  const clock = options.clock ?? systemClock;
  const ids = options.newId ?? newId;

  async function handle(event: HttpEvent, context: Context): Promise<APIGatewayProxyStructuredResultV2> {
    const correlationId = header(event.headers, 'x-correlation-id') ?? event.requestContext?.requestId ?? newId();
    // Three metrics per function, no per-route dimension: custom metrics are billed per series.
    metrics.addMetric('Requests', MetricUnit.Count, 1);
    const base = {
      ...SECURITY_HEADERS,
      ...corsHeaders(header(event.headers, 'origin'), allowedOrigins),
      'x-correlation-id': correlationId,
    };
    try {
      const binding = byKey.get(event.routeKey);
      if (!binding)
        throw new RouteNotFoundError(`No route for ${event.requestContext?.http?.method ?? ''} ${event.rawPath ?? ''}`);
      const { route } = binding;
      const principal = await authorize(route, event);
      const request: HttpRequest<AnyRoute> = {
        route,
        principal,
        params: route.params ? parsePart('params', route.params, event.pathParameters ?? {}) : undefined,
        query: route.query ? parsePart('query', route.query, event.queryStringParameters ?? {}) : undefined,
        body: route.body ? parsePart('body', route.body, readJsonBody(event) ?? {}) : undefined,
        ifMatch: readIfMatch(route, event),
        correlationId,
        call: callContext(principal, correlationId, clock, ids),
        event,
      };
      const execute = async () => shape(route, event, await binding.run(request), base, validateResponses);
      const key = route.idempotent ? header(event.headers, 'idempotency-key') : undefined;
      if (key === undefined) return await execute();
      // Loaded on first use: most requests carry no key, and the module is a tenth of a bundle.
      const { runIdempotent } = await import('./idempotency.ts');
      return await runIdempotent(
        { key: `${principal.user_id} ${routeKey(route)} ${key}`, body: request.body ?? null },
        context,
        execute,
      );
    } catch (error) {
      const problem = toProblem(error);
      metrics.addMetric(problem.status >= 500 ? 'ServerErrors' : 'ClientErrors', MetricUnit.Count, 1);
      if (problem.status >= 500) logger.error('request failed', { error: error as Error, routeKey: event.routeKey });
      else logger.info('request refused', { status: problem.status, code: problem.code, detail: problem.detail });
      return {
        statusCode: problem.status,
        headers: { ...base, 'content-type': PROBLEM_CONTENT_TYPE },
        body: JSON.stringify({ ...problem, instance: event.rawPath }),
      };
    }
  }

  async function authorize(route: AnyRoute, event: HttpEvent): Promise<Principal> {
    if (route.access === 'public') return ANONYMOUS;
    const claimed = principalFromClaims(event);
    const principal = options.resolvePrincipal ? await options.resolvePrincipal(claimed, event) : claimed;
    // Admin-only routes are where the config's admin MFA matters: a personal access token never
    // passed a second factor, so it does not reach them (Sell's tokens bypass 2FA; ours do not).
    if (principal.via === 'access_token' && !route.access.includes('manager') && !route.access.includes('user')) {
      throw new ForbiddenError('Admin-only routes need a signed-in session, not a personal access token', {
        code: 'access_token.admin_route',
      });
    }
    if (!route.access.includes(principal.role)) {
      // Named by method and path, not the summary: a summary may open with a noun ("A Sell import's status").
      const allowed = route.access.map((role) => `${role}s`).join(' and ');
      throw new ForbiddenError(
        `Your role (${principal.role}) may not call ${route.method} ${route.path}: it is for ${allowed} only`,
      );
    }
    return principal;
  }

  return middy<HttpEvent, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(handle);
}

function shape(
  route: AnyRoute,
  event: HttpEvent,
  result: unknown,
  base: Record<string, string>,
  validate: boolean,
): APIGatewayProxyStructuredResultV2 {
  const out = isReply(result) ? result : { body: result, status: undefined, headers: undefined };
  const status = out.status ?? route.status;
  const headers: Record<string, string> = { ...base, ...out.headers };
  if (status === 204 || out.body === undefined) return { statusCode: status, headers };
  if (route.mediaType && status < 300 && typeof out.body === 'string') {
    return { statusCode: status, headers: { 'content-type': route.mediaType, ...headers }, body: out.body };
  }
  if (validate && route.response && status < 300) route.response.parse(out.body);
  // A reply naming its own content type (a script, markup) is sent as the text it is.
  if (out.headers?.['content-type'] && typeof out.body === 'string') return { statusCode: status, headers, body: out.body };
  const record = out.body as { id?: unknown; version?: unknown } | null;
  if (record && typeof record.version === 'number') headers.etag = `"${record.version}"`;
  if (status === 201 && record && typeof record.id === 'string') headers.location = `${event.rawPath}/${record.id}`;
  return { statusCode: status, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(out.body) };
}

function isReply(value: unknown): value is Reply {
  return typeof value === 'object' && value !== null && (value as { reply?: unknown }).reply === true;
}
