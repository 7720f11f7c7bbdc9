import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { WebSocket, WebSocketServer, type RawData } from 'ws';

// API Gateway's WebSocket API on a laptop, with `ws`: an upgrade runs the REQUEST authorizer
// (identity source: the query parameter given) and then $connect, each message $default, and
// the close $disconnect, with the event shapes API Gateway sends (requestContext.connectionId,
// routeKey, eventType, authorizer...). Beside it, the management API a function calls to
// push (POST/GET/DELETE /@connections/{id}); the local cloud puts the IAM gate in front of it,
// and names the API in the path ("/<api id>/<stage>/@connections/<id>"), where AWS names it in
// the host. Limits as in AWS: 10 minutes idle and 2 hours in all close a connection; a frame
// over 128 KB is refused.

/** API Gateway's limits for WebSocket APIs (apigateway-execution-service-websocket-limits-table). */
export const WEBSOCKET_LIMITS = {
  idleMs: 10 * 60_000,
  maxConnectionMs: 2 * 3600_000,
  maxMessageBytes: 128 * 1024,
} as const;

export interface LocalWebSocketOptions {
  readonly region: string;
  readonly accountId: string;
  /** The API's id and stage, as the templates name them (the policies' ARNs hold them). */
  readonly apiId: string;
  readonly stage: string;
  /** The authorizer's identity source: `route.request.querystring.<name>`; without it, 401. */
  readonly identityQueryParameter: string;
  /** Invokes the REQUEST authorizer's function; a rejection with message "Unauthorized" is a 401. */
  readonly authorize: (event: unknown) => Promise<unknown>;
  /** Invokes the function of a route ($connect, $disconnect, $default). */
  readonly route: (routeKey: string, event: unknown) => Promise<APIGatewayProxyResultV2 | undefined>;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Overrides of the limits (tests). */
  readonly limits?: Partial<typeof WEBSOCKET_LIMITS>;
  readonly log?: (line: string) => void;
}

export interface LocalWebSocketApi {
  /** What clients open: ws://127.0.0.1:<port>/<stage>. */
  readonly url: string;
  /** The management API, ungated: http://127.0.0.1:<port> (append "/<api id>/<stage>"). */
  readonly managementEndpoint: string;
  /** Open connections by id. */
  readonly connections: ReadonlyMap<string, unknown>;
  stop(): Promise<void>;
}

interface Connection {
  readonly id: string;
  readonly socket: WebSocket;
  readonly connectedAt: number;
  lastActiveAt: number;
  readonly identity: { sourceIp: string; userAgent: string | undefined };
  readonly authorizer: Record<string, unknown>;
  /** Set by whoever closes it (DeleteConnection, a limit): the $disconnect's status and reason. */
  closing?: { code: number; reason: string };
  idleTimer?: NodeJS.Timeout;
  readonly lifeTimer: NodeJS.Timeout;
}

/** Starts the WebSocket server and the management API on 127.0.0.1. */
export async function startLocalWebSocketApi(options: LocalWebSocketOptions): Promise<LocalWebSocketApi> {
  const limits = { ...WEBSOCKET_LIMITS, ...options.limits };
  const log = options.log ?? (() => undefined);
  const connections = new Map<string, Connection>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes });
  const server = createServer((_, res) => {
    res.writeHead(426, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Upgrade Required' }));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrade(req, socket, head).catch((error: Error) => {
      log(`websocket: ${error.stack ?? error.message}`);
      refuse(socket, 500, 'Internal server error');
    });
  });

  const domainName = () => `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const context = (connectionId: string, routeKey: string, eventType: string, extra: Record<string, unknown> = {}) => {
    const now = Date.now();
    return {
      routeKey,
      eventType,
      extendedRequestId: randomUUID(),
      requestTime: new Date(now).toUTCString(),
      messageDirection: 'IN',
      stage: options.stage,
      requestTimeEpoch: now,
      requestId: randomUUID(),
      domainName: domainName(),
      connectionId,
      apiId: options.apiId,
      ...extra,
    };
  };

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname !== `/${options.stage}` && url.pathname !== `/${options.stage}/`) {
      return refuse(socket, 404, 'Not Found');
    }
    const { single, multi } = queryParameters(url);
    const headers = singleHeaders(req.headers);
    const identity = { sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] };
    const connectionId = newConnectionId();
    const connectedAt = Date.now();
    const base = {
      headers,
      multiValueHeaders: multiHeaders(req.headers),
      queryStringParameters: single,
      multiValueQueryStringParameters: multi,
    };
    // The identity source is required: API Gateway answers 401 without calling the authorizer.
    if (!single[options.identityQueryParameter]) return refuse(socket, 401, 'Unauthorized');
    const started = Date.now();
    let result: AuthorizerResult;
    try {
      result = (await options.authorize({
        type: 'REQUEST',
        methodArn: `arn:aws:execute-api:${options.region}:${options.accountId}:${options.apiId}/${options.stage}/$connect`,
        ...base,
        stageVariables: {},
        requestContext: context(connectionId, '$connect', 'CONNECT', { connectedAt, identity }),
      })) as AuthorizerResult;
    } catch (error) {
      if ((error as Error).message === 'Unauthorized') return refuse(socket, 401, 'Unauthorized');
      log(`websocket: the authorizer failed: ${(error as Error).message}`);
      return refuse(socket, 500, 'Internal server error');
    }
    const methodArn = `arn:aws:execute-api:${options.region}:${options.accountId}:${options.apiId}/${options.stage}/$connect`;
    if (!allows(result, methodArn)) return refuse(socket, 403, 'Forbidden');
    const authorizer = { ...result.context, principalId: result.principalId, integrationLatency: Date.now() - started };

    let connected: APIGatewayProxyResultV2 | undefined;
    try {
      connected = await options.route('$connect', {
        ...base,
        requestContext: context(connectionId, '$connect', 'CONNECT', { connectedAt, identity, authorizer }),
        isBase64Encoded: false,
      });
    } catch (error) {
      log(`websocket: $connect failed: ${(error as Error).message}`);
      return refuse(socket, 500, 'Internal server error');
    }
    const status = statusOf(connected);
    if (status < 200 || status > 299) return refuse(socket, status, 'Forbidden');

    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection: Connection = {
        id: connectionId,
        socket: ws,
        connectedAt,
        lastActiveAt: Date.now(),
        identity,
        authorizer,
        lifeTimer: setTimeout(() => close(connection, 1001, 'Going away'), limits.maxConnectionMs).unref(),
      };
      connections.set(connectionId, connection);
      touch(connection);
      ws.on('message', (data: RawData, isBinary: boolean) => {
        touch(connection);
        const body = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
        void message(connection, isBinary ? body.toString('base64') : body.toString('utf8'), isBinary);
      });
      ws.on('close', (code, reason) => void disconnected(connection, code, reason.toString('utf8')));
      ws.on('error', (error) => log(`websocket ${connectionId}: ${error.message}`));
    });
  }

  function touch(connection: Connection): void {
    connection.lastActiveAt = Date.now();
    if (connection.idleTimer) clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(() => close(connection, 1001, 'Going away'), limits.idleMs).unref();
  }

  function close(connection: Connection, code: number, reason: string): void {
    connection.closing ??= { code, reason };
    connection.socket.close(code, reason);
  }

  async function message(connection: Connection, body: string, isBase64Encoded: boolean): Promise<void> {
    const event = {
      requestContext: context(connection.id, '$default', 'MESSAGE', {
        messageId: randomBytes(12).toString('base64'),
        connectedAt: connection.connectedAt,
        identity: connection.identity,
        authorizer: connection.authorizer,
      }),
      body,
      isBase64Encoded,
    };
    try {
      const result = await options.route('$default', event);
      // The $default route has a route response: the integration's body goes back to the client.
      const reply = typeof result === 'string' ? result : result?.body;
      if (reply !== undefined && connection.socket.readyState === WebSocket.OPEN) connection.socket.send(reply);
    } catch (error) {
      log(`websocket: $default failed: ${(error as Error).message}`);
      if (connection.socket.readyState === WebSocket.OPEN) {
        connection.socket.send(
          JSON.stringify({ message: 'Internal server error', connectionId: connection.id, requestId: randomUUID() }),
        );
      }
    }
  }

  async function disconnected(connection: Connection, code: number, reason: string): Promise<void> {
    if (!connections.delete(connection.id)) return;
    clearTimeout(connection.lifeTimer);
    if (connection.idleTimer) clearTimeout(connection.idleTimer);
    const status = connection.closing ?? { code, reason };
    try {
      await options.route('$disconnect', {
        headers: {},
        multiValueHeaders: {},
        requestContext: context(connection.id, '$disconnect', 'DISCONNECT', {
          connectedAt: connection.connectedAt,
          identity: connection.identity,
          authorizer: connection.authorizer,
          disconnectStatusCode: status.code,
          disconnectReason: status.reason,
        }),
        isBase64Encoded: false,
      });
    } catch (error) {
      log(`websocket: $disconnect failed: ${(error as Error).message}`);
    }
  }

  // ---- the management API ---------------------------------------------------------------------
  const management = createServer((req, res) => {
    manage(req, res).catch((error: Error) => {
      log(`websocket management: ${error.stack ?? error.message}`);
      if (!res.headersSent) answer(res, 500, 'InternalServerErrorException', error.message);
      else res.end();
    });
  });

  async function manage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    const match = /^\/([^/]+)\/([^/]+)\/@connections\/([^/]+)$/.exec(path);
    if (!match || match[1] !== options.apiId || match[2] !== options.stage) {
      return answer(res, 404, 'NotFoundException', `No API at ${path}`);
    }
    const connection = connections.get(decodeURIComponent(match[3]!));
    if (!connection || connection.socket.readyState !== WebSocket.OPEN) return answer(res, 410, 'GoneException', '');
    switch (req.method) {
      case 'POST':
        if (body.length > limits.maxMessageBytes) {
          return answer(res, 413, 'PayloadTooLargeException', 'Message too long');
        }
        await new Promise<void>((resolve, reject) =>
          connection.socket.send(body.toString('utf8'), (error) => (error ? reject(error) : resolve())),
        );
        return answer(res, 200);
      case 'GET':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          // The wire names are lower camel case (the SDK maps them to ConnectedAt...).
          JSON.stringify({
            connectedAt: new Date(connection.connectedAt).toISOString(),
            identity: { sourceIp: connection.identity.sourceIp, userAgent: connection.identity.userAgent },
            lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
          }),
        );
        return;
      case 'DELETE':
        close(connection, 1000, '');
        return answer(res, 204);
      default:
        return answer(res, 405, 'MethodNotAllowedException', `${req.method} is not allowed on a connection`);
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => management.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let stopped = false;
  return {
    url: `ws://127.0.0.1:${port}/${options.stage}`,
    managementEndpoint: `http://127.0.0.1:${(management.address() as AddressInfo).port}`,
    connections,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const connection of connections.values()) close(connection, 1001, 'Going away');
      // Each close runs its $disconnect (the functions are still up: stops run last pushed first).
      const deadline = Date.now() + 2_000;
      while (connections.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      for (const connection of connections.values()) connection.socket.terminate();
      wss.close();
      await Promise.all(
        [server, management].map(
          (s: Server) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}

interface AuthorizerResult {
  principalId?: string;
  policyDocument?: { Statement?: { Action?: string | string[]; Effect?: string; Resource?: string | string[] }[] };
  context?: Record<string, unknown>;
}

/** Whether the authorizer's policy allows execute-api:Invoke on the $connect method (no Deny on it). */
function allows(result: AuthorizerResult | undefined, methodArn: string): boolean {
  const statements = result?.policyDocument?.Statement ?? [];
  const matches = (statement: (typeof statements)[number]) =>
    [statement.Action ?? []].flat().some((a) => glob(a, 'execute-api:Invoke')) &&
    [statement.Resource ?? []].flat().some((r) => glob(r, methodArn));
  if (statements.some((s) => s.Effect === 'Deny' && matches(s))) return false;
  return statements.some((s) => s.Effect === 'Allow' && matches(s));
}

function glob(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 'i').test(value);
}

function statusOf(result: APIGatewayProxyResultV2 | undefined): number {
  if (result === undefined || typeof result === 'string') return 200;
  return result.statusCode ?? 200;
}

/** Shaped as API Gateway's connection ids: 16 characters of base64 (e.g. "L0SM9cOFvHcCIhw="). */
function newConnectionId(): string {
  return randomBytes(11).toString('base64');
}

function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${message}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function answer(res: ServerResponse, status: number, errorType?: string, message?: string): void {
  if (!errorType) {
    res.writeHead(status).end();
    return;
  }
  const body = JSON.stringify({ message });
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': errorType, 'x-amzn-requestid': randomUUID() });
  res.end(body);
}

function queryParameters(url: URL): { single: Record<string, string>; multi: Record<string, string[]> } {
  const multi: Record<string, string[]> = {};
  for (const [key, value] of url.searchParams) (multi[key] ??= []).push(value);
  return { single: Object.fromEntries(Object.entries(multi).map(([k, v]) => [k, v.at(-1)!])), multi };
}

function singleHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]),
  );
}

function multiHeaders(headers: IncomingHttpHeaders): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, Array.isArray(v) ? v : [String(v)]]),
  );
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
