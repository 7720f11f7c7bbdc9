import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { allRoutes } from '#shared/families.ts';
import { routeKey } from '#shared/platform/http/contract.ts';
import { header, type HttpEvent } from '#shared/platform/http/request.ts';
import { PROBLEM_CONTENT_TYPE } from '#shared/platform/http/problem.ts';
import { logger } from '#shared/platform/observability.ts';
import { errorEnvelope, errorsOfProblem } from '#shared/sell-facade/domain.ts';
import type { NativeApi } from '#shared/sell-facade/ports.ts';
import { sellFacadeRoutes } from '#shared/sell-facade/routes.ts';
import { sellIdAdapters, tagRegistry } from '#shared/sell-facade/runtime.ts';
import { FacadeError, refusal, serveSell } from '#shared/sell-facade/use-cases.ts';
import { httpHandler, implement, reply } from '#shared/app.ts';
import { handler as identity } from './identity.ts';
import { handler as leads } from './leads.ts';
import { handler as contacts } from './contacts.ts';
import { handler as deals } from './deals.ts';
import { handler as pipelines } from './pipelines.ts';
import { handler as notes } from './notes.ts';
import { handler as tasks } from './tasks.ts';
import { handler as customFields } from './custom-fields.ts';
import { handler as calls } from './calls.ts';

// Sell's Core API v2 under /v2 (issue 17): each call is translated onto the native routes and
// run in-process by their own handlers, with the caller's authorizer context, so every rule,
// visibility check and event of the native API applies. Answers are Sell's envelopes; every
// refusal is Sell's error envelope, with X-Request-Id equal to its logref.

type Handler = (event: HttpEvent, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
const FAMILIES: Readonly<Record<string, Handler>> = {
  identity: identity as unknown as Handler,
  leads: leads as unknown as Handler,
  contacts: contacts as unknown as Handler,
  deals: deals as unknown as Handler,
  pipelines: pipelines as unknown as Handler,
  notes: notes as unknown as Handler,
  tasks: tasks as unknown as Handler,
  'custom-fields': customFields as unknown as Handler,
  calls: calls as unknown as Handler,
};
const ROUTES = new Map(allRoutes.map((r) => [routeKey(r), r]));
const ids = sellIdAdapters();
const tags = tagRegistry();

/** What Sell clients may ask for: JSON (or anything). */
const ACCEPTABLE = /(^|,)\s*(\*\/\*|application\/\*|application\/json)\s*(;[^,]*)?(?=,|$)/i;

/** The native API on this invocation: the outer event re-aimed at a native route. */
function nativeApi(outer: HttpEvent, context: Context, requestId: string): NativeApi {
  return {
    async call(key, input) {
      const route = ROUTES.get(key);
      const family = route && FAMILIES[route.family];
      if (!route || !family) throw new Error(`the facade has no native route ${key}`);
      const params = input.params ?? {};
      const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
      const query = input.query ?? {};
      const { 'if-match': _ifMatch, 'idempotency-key': _key, ...headers } = outer.headers ?? {};
      const event: HttpEvent = {
        ...outer,
        routeKey: key,
        rawPath: path,
        rawQueryString: new URLSearchParams(query).toString(),
        headers: { ...headers, 'content-type': 'application/json', 'x-correlation-id': requestId },
        queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
        pathParameters: Object.keys(params).length > 0 ? params : undefined,
        body: input.body === undefined ? undefined : JSON.stringify(input.body),
        isBase64Encoded: false,
        requestContext: {
          ...outer.requestContext,
          routeKey: key,
          http: { ...outer.requestContext.http, method: route.method, path },
        },
      } as HttpEvent;
      const result = await family(event, context);
      return { status: result.statusCode ?? 200, body: result.body ? JSON.parse(result.body) : undefined };
    },
  };
}

let invocation: Context | undefined;

const inner = httpHandler(
  sellFacadeRoutes.map((route) =>
    implement(route, async (req) => {
      const requestId = req.correlationId;
      const headers = { 'x-request-id': requestId };
      try {
        const accept = header(req.event.headers, 'accept');
        if (accept && !ACCEPTABLE.test(accept)) {
          throw new FacadeError(406, [{ code: 'not_acceptable', message: `Only application/json is served, not "${accept}"` }]);
        }
        const proxy = req.event.pathParameters?.proxy ?? '';
        const segments = proxy
          .replace(/\.json$/, '')
          .split('/')
          .filter(Boolean);
        const raw =
          req.event.isBase64Encoded && req.event.body ? Buffer.from(req.event.body, 'base64').toString('utf8') : req.event.body;
        let body: unknown;
        try {
          body = raw ? JSON.parse(raw) : undefined;
        } catch {
          throw new FacadeError(400, [{ code: 'invalid_json', message: 'The body is not valid JSON' }]);
        }
        const host = header(req.event.headers, 'host') ?? req.event.requestContext.domainName ?? 'localhost';
        const proto =
          header(req.event.headers, 'x-forwarded-proto') ??
          (host.startsWith('127.0.0.1') || host.startsWith('localhost') ? 'http' : 'https');
        const answer = await serveSell(
          { native: nativeApi(req.event, invocation!, requestId), ids, tags },
          {
            method: req.event.requestContext.http.method,
            segments,
            query: (req.event.queryStringParameters ?? {}) as Record<string, string>,
            body,
            base: `${proto}://${host}/v2`,
          },
        );
        return reply(answer.body, { status: answer.status, headers });
      } catch (error) {
        if (!(error instanceof FacadeError)) logger.error('sell facade failed', { error: error as Error });
        const refused = refusal(error, requestId);
        return reply(refused.body, { status: refused.status, headers });
      }
    }),
  ),
);

export const handler = async (event: HttpEvent, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
  invocation = context;
  const result = await inner(event, context);
  const requestId = result.headers?.['x-correlation-id'];
  const headers = { ...result.headers, ...(requestId ? { 'x-request-id': String(requestId) } : {}) };
  // Refused before the facade ran (a disabled user, an unknown route): Sell's envelope too.
  if (result.headers?.['content-type'] === PROBLEM_CONTENT_TYPE && result.body) {
    const problem = JSON.parse(result.body);
    const status = result.statusCode ?? 500;
    return {
      ...result,
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(errorEnvelope(status, errorsOfProblem(problem, undefined), String(requestId ?? ''))),
    };
  }
  return { ...result, headers };
};
