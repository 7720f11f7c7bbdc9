import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { routeKey, type AnyRoute } from '#shared/platform/http/contract.ts';
import { corsHeaders, CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, SECURITY_HEADERS } from '#shared/platform/http/headers.ts';
import type { ErrorCode, ProblemStatus } from '#shared/kernel/error-codes.ts';
import { problem, PROBLEM_CONTENT_TYPE } from '#shared/platform/http/problem.ts';
import type { HttpEvent } from '#shared/platform/http/request.ts';
import type { DevVerifier } from './dev-auth.ts';

// API Gateway (HTTP API) on a laptop: matches the route contracts, checks the bearer token as
// the JWT authorizer does, and invokes the family's function with the same v2 event shape.
// Unknown paths go to the platform function, as the $default route does in AWS.

export interface LocalHttpOptions {
  routes: readonly AnyRoute[];
  /** Invokes the function of a family (functions/http/<family>.ts in its own sandbox) with one event. */
  invoke: (family: string, event: HttpEvent) => Promise<APIGatewayProxyResultV2>;
  verifier: DevVerifier;
  /**
   * Invokes the API's Lambda authorizer (functions/authorizers/api.ts) for a personal access
   * token (64 hex characters), uncached: a revoked token is refused at once. Cognito tokens are
   * verified here with the dev key, which the authorizer's worker cannot fetch as it fetches
   * Cognito's public keys in AWS. Without it, such tokens are refused as JWTs.
   */
  authorize?: (event: unknown) => Promise<{ isAuthorized: boolean; context?: Record<string, string> }>;
  /** What API Gateway's CORS configuration allows, for the preflights it answers itself ("*" or a comma-separated list). */
  corsAllowOrigins?: string;
  /** The family that answers unmatched requests ($default). */
  defaultFamily: string;
  port?: number;
  maxBodyBytes?: number;
}

interface CompiledRoute {
  route: AnyRoute;
  regex: RegExp;
  names: string[];
}

function compile(route: AnyRoute): CompiledRoute {
  const names: string[] = [];
  // "{proxy+}" is API Gateway's greedy variable (one or more segments), passed as "proxy".
  const pattern = route.path.replace(/\{([^}]+)\}|[.*+?^$()|[\]\\]/g, (token: string, name: string | undefined) => {
    if (name === undefined) return `\\${token}`;
    names.push(name.replace(/\+$/, ''));
    return name.endsWith('+') ? '(.+)' : '([^/]+)';
  });
  return { route, regex: new RegExp(`^${pattern}/?$`), names };
}

export async function startLocalHttp(options: LocalHttpOptions): Promise<{ url: string; server: Server }> {
  // Literal paths win over templates ("/users/self" before "/users/{id}"), as in API Gateway.
  const compiled = options.routes
    .map(compile)
    .sort((a, b) => a.names.length - b.names.length || b.route.path.length - a.route.path.length);
  const maxBody = options.maxBodyBytes ?? 6 * 1024 * 1024;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      console.error('[http] unexpected error', error);
      if (!res.headersSent) send(res, 500, problemBody(500, 'internal_error', 'The local server failed'), PROBLEM_CONTENT_TYPE);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const headers = flattenHeaders(req);
    if (method === 'OPTIONS') {
      // API Gateway answers CORS preflight itself when CORS is configured.
      res.writeHead(204, {
        ...corsHeaders(headers.origin, options.corsAllowOrigins ?? '*'),
        'access-control-allow-methods': CORS_ALLOW_METHODS.join(','),
        'access-control-allow-headers': CORS_ALLOW_HEADERS.join(','),
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    const body = await readBody(req, maxBody);
    if (body === null) {
      send(res, 413, problemBody(413, 'payload_too_large', `The body exceeds ${maxBody} bytes`), PROBLEM_CONTENT_TYPE);
      return;
    }

    let match: { route: AnyRoute; params: Record<string, string> } | undefined;
    for (const c of compiled) {
      if (c.route.method !== method) continue;
      const m = c.regex.exec(url.pathname);
      if (!m) continue;
      match = { route: c.route, params: Object.fromEntries(c.names.map((n, i) => [n, decodePathPart(m[i + 1] ?? '')])) };
      break;
    }

    let claims: Record<string, string> | undefined;
    let lambdaContext: Record<string, string> | undefined;
    const bearer = /^Bearer\s+([0-9a-f]{64})$/.exec(headers.authorization ?? '')?.[1];
    if (match && match.route.access !== 'public' && bearer && options.authorize) {
      // As API Gateway with a Lambda authorizer (simple responses): `isAuthorized: false` is a
      // bare 403; ours lets a refused token through marked `refused`, which the handler answers 401.
      const answer = await options.authorize(authorizerEvent(method, url, headers, match.route));
      if (!answer.isAuthorized) {
        send(res, 403, JSON.stringify({ message: 'Forbidden' }), 'application/json');
        return;
      }
      lambdaContext = answer.context ?? {};
    } else if (match && match.route.access !== 'public') {
      const token = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1];
      try {
        if (!token) throw new Error('missing bearer token');
        claims = authorizerClaims(await options.verifier.verify(token));
      } catch (error) {
        const detail = token ? `The token was refused: ${(error as Error).message}` : 'A bearer token is required';
        send(res, 401, problemBody(401, 'unauthenticated', detail, url.pathname), PROBLEM_CONTENT_TYPE, {
          'www-authenticate': 'Bearer',
        });
        return;
      }
    }

    const event = apiGatewayEvent({
      method,
      url,
      headers,
      ...(body.length > 0 ? { body: body.toString('utf8') } : {}),
      ...(match ? { route: match.route, params: match.params } : {}),
      ...(claims ? { claims } : {}),
      ...(lambdaContext ? { lambdaContext } : {}),
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    });
    const family = match?.route.family ?? options.defaultFamily;
    writeResult(res, await options.invoke(family, event));
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * A path parameter as the integration sees it: percent-decoded, or as sent when its encoding is
 * malformed ("%ZZ"), so the handler's own validation answers (a 4xx), never a crash here.
 */
function decodePathPart(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** What API Gateway knows of a request once it has matched a route (or not: $default) and checked the token. */
export interface GatewayRequest {
  readonly method: string;
  readonly url: URL;
  /** Lower-case names. */
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly route?: AnyRoute;
  readonly params?: Record<string, string>;
  /** The JWT authorizer's claims (see `authorizerClaims`); none on public routes. */
  readonly claims?: Record<string, string>;
  /** The Lambda authorizer's context, when it authorized the request (a personal access token). */
  readonly lambdaContext?: Record<string, string>;
  readonly sourceIp?: string;
}

/** The payload format 2.0 event API Gateway hands the integration for a request. */
export function apiGatewayEvent(request: GatewayRequest): HttpEvent {
  const now = new Date();
  const { url, headers, route, params } = request;
  const key = route ? routeKey(route) : '$default';
  return {
    version: '2.0',
    routeKey: key,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    // API Gateway adds X-Forwarded-Proto (the scheme the caller used): here, plain http.
    headers: { 'x-forwarded-proto': 'http', ...headers },
    ...(url.searchParams.size > 0 ? { queryStringParameters: joinRepeated(url.searchParams) } : {}),
    ...(params && Object.keys(params).length > 0 ? { pathParameters: params } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: request.method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: key,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      authorizer: request.lambdaContext
        ? ({ lambda: request.lambdaContext } as unknown as HttpEvent['requestContext']['authorizer'])
        : { principalId: '', integrationLatency: 0, jwt: { claims: request.claims ?? {}, scopes: [] } },
    },
    ...(request.body !== undefined ? { body: request.body } : {}),
    isBase64Encoded: false,
  };
}

/** The REQUEST authorizer's event (payload format 2.0) for a request. */
function authorizerEvent(method: string, url: URL, headers: Record<string, string>, route: AnyRoute) {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:local:000000000000:local/$default/${method}${url.pathname}`,
    identitySource: [headers.authorization ?? ''],
    routeKey: routeKey(route),
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: { http: { method, path: url.pathname }, routeKey: routeKey(route), stage: '$default' },
  };
}

/** The HTTP API JWT authorizer passes claims as strings; arrays become "[a b]". */
export function authorizerClaims(payload: Record<string, unknown>): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload)) {
    claims[key] = Array.isArray(value) ? `[${value.join(' ')}]` : String(value);
  }
  return claims;
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[key.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

function joinRepeated(query: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of new Set(query.keys())) out[key] = query.getAll(key).join(',');
  return out;
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > max ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function writeResult(res: ServerResponse, result: APIGatewayProxyResultV2): void {
  if (typeof result === 'string') {
    send(res, 200, result, 'application/json');
    return;
  }
  const r = result as APIGatewayProxyStructuredResultV2;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k] = String(v);
  res.writeHead(r.statusCode ?? 200, headers);
  res.end(r.body === undefined ? undefined : r.isBase64Encoded ? Buffer.from(r.body, 'base64') : r.body);
}

function send(res: ServerResponse, status: number, body: string, type: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, ...extra });
  res.end(body);
}

function problemBody(status: ProblemStatus, code: ErrorCode, detail: string, instance?: string): string {
  return JSON.stringify({ ...problem(status, code, detail), ...(instance ? { instance } : {}) });
}
