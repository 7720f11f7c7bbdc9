import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { REPO_ROOT } from '#infra/build/bundle.ts';
import { functionSpec } from '#infra/functions.ts';
import type { Role } from '#shared/kernel/roles.ts';
import { routeKey, type AnyRoute } from '#shared/platform/http/contract.ts';
import type { HttpEvent } from '#shared/platform/http/request.ts';
import { allRoutes } from '#shared/families.ts';

// API Gateway (HTTP API, payload 2.0) events as infra/local/http-server.ts builds them after
// its JWT authorizer: claims as strings, Cognito groups as "[role]".

export interface Caller {
  readonly user_id: string;
  readonly email: string;
  readonly role: Role;
}

export interface RequestParts {
  readonly params?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export type HttpLambda = (event: HttpEvent, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export function findRoute(key: string): AnyRoute {
  const route = allRoutes.find((r) => routeKey(r) === key);
  if (!route) throw new Error(`no route "${key}" in shared/http/routes`);
  return route;
}

/** The handler of the route's family, imported from source (functions/http/<family>.ts). */
export async function loadHandler(route: AnyRoute): Promise<HttpLambda> {
  const spec = functionSpec(route.family);
  const module = (await import(pathToFileURL(join(REPO_ROOT, spec.entry)).href)) as { handler?: HttpLambda };
  if (typeof module.handler !== 'function') throw new Error(`${spec.entry} exports no handler`);
  return module.handler;
}

export function httpEvent(route: AnyRoute, caller: Caller | undefined, parts: RequestParts = {}): HttpEvent {
  const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = parts.params?.[name];
    if (value === undefined) throw new Error(`${routeKey(route)}: no value for the path parameter "${name}"`);
    return encodeURIComponent(value);
  });
  const query = new URLSearchParams(parts.query ?? {});
  const now = new Date();
  const headers: Record<string, string> = {
    host: 'api.example.com',
    'user-agent': 'crm-bench',
    accept: 'application/json',
    ...(caller ? { authorization: 'Bearer <verified by the authorizer>' } : {}),
    ...(parts.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...parts.headers,
  };
  const epoch = Math.floor(now.getTime() / 1000);
  const claims: Record<string, string> = caller
    ? {
        sub: caller.user_id,
        'custom:user_id': caller.user_id,
        email: caller.email,
        email_verified: 'true',
        'cognito:groups': `[${caller.role}]`,
        'cognito:username': caller.user_id,
        iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_bench',
        aud: 'bench-client',
        token_use: 'id',
        auth_time: String(epoch),
        iat: String(epoch),
        exp: String(epoch + 3600),
      }
    : {};
  return {
    version: '2.0',
    routeKey: routeKey(route),
    rawPath: path,
    rawQueryString: query.toString(),
    headers,
    ...(query.size > 0 ? { queryStringParameters: Object.fromEntries(query) } : {}),
    ...(parts.params && Object.keys(parts.params).length > 0 ? { pathParameters: parts.params } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method: route.method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'crm-bench' },
      requestId: randomUUID(),
      routeKey: routeKey(route),
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims, scopes: [] } },
    },
    ...(parts.body !== undefined ? { body: JSON.stringify(parts.body) } : {}),
    isBase64Encoded: false,
  };
}

export function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + 10_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Invokes and insists on a 2xx: a broken route must stop the bench, not skew it. */
export async function invokeOk(
  handler: HttpLambda,
  event: HttpEvent,
  functionName: string,
): Promise<APIGatewayProxyStructuredResultV2> {
  const result = await handler(event, lambdaContext(functionName));
  const status = result.statusCode ?? 200;
  if (status < 200 || status >= 300) throw new Error(`${event.routeKey} answered ${status}: ${result.body ?? ''}`);
  return result;
}
