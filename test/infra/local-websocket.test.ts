import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { WebSocket } from 'ws';
import { startLocalWebSocketApi, type LocalWebSocketApi } from '#infra/local/websocket.ts';

// The local WebSocket API on its own: API Gateway's event shapes for the authorizer and each
// route, its refusals (no identity source, "Unauthorized", a Deny, a failing $connect), the
// $default route response, the idle limit, and the management API as the real SDK client
// sees it (PostToConnection, GetConnection, DeleteConnection, GoneException).

type Event = { requestContext: Record<string, any>; [key: string]: any };
const authorized: Event[] = [];
const routed: Event[] = [];
let api: LocalWebSocketApi;
let management: ApiGatewayManagementApiClient;

beforeAll(async () => {
  api = await startLocalWebSocketApi({
    region: 'eu-west-1',
    accountId: '000000000000',
    apiId: 'abc123def0',
    stage: 'live',
    identityQueryParameter: 'ticket',
    limits: { idleMs: 400 },
    authorize: async (event) => {
      authorized.push(event as Event);
      const ticket = (event as Event).queryStringParameters.ticket as string;
      if (ticket === 'bad') throw new Error('Unauthorized');
      const effect = ticket === 'deny' ? 'Deny' : 'Allow';
      return {
        principalId: 'U1',
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: (event as Event).methodArn }],
        },
        context: { user_id: 'U1' },
      };
    },
    route: async (routeKey, event) => {
      routed.push(event as Event);
      if (routeKey === '$connect' && (event as Event).queryStringParameters?.ticket === 'refused-by-connect') {
        return { statusCode: 403 };
      }
      if (routeKey === '$default') return { statusCode: 200, body: `echo ${(event as Event).body}` };
      return { statusCode: 200 };
    },
  });
  management = new ApiGatewayManagementApiClient({
    endpoint: `${api.managementEndpoint}/abc123def0/live`,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  management?.destroy();
  await api?.stop();
});

function open(query: string): Promise<{ ws: WebSocket; messages: string[] }> {
  const ws = new WebSocket(`${api.url}${query}`);
  const messages: string[] = [];
  ws.on('message', (data) => messages.push(String(data)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('error', reject);
  });
}

async function until<T>(read: () => T | undefined, ms = 3_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the local WebSocket API', () => {
  it("runs the authorizer, then $connect, $default per message (its answer sent back), $disconnect on close, in API Gateway's shapes", async () => {
    const { ws, messages } = await open('?ticket=good');
    const id = [...api.connections.keys()].at(-1)!;
    const auth = authorized.at(-1)!;
    expect(auth).toMatchObject({
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:eu-west-1:000000000000:abc123def0/live/$connect',
      queryStringParameters: { ticket: 'good' },
      requestContext: { routeKey: '$connect', eventType: 'CONNECT', connectionId: id, apiId: 'abc123def0', stage: 'live' },
    });
    expect(id).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    const connect = routed.at(-1)!;
    expect(connect.requestContext).toMatchObject({
      routeKey: '$connect',
      eventType: 'CONNECT',
      connectionId: id,
      authorizer: { user_id: 'U1', principalId: 'U1' },
    });
    ws.send('{"action":"ping"}');
    expect(await until(() => messages[0])).toBe('echo {"action":"ping"}');
    expect(routed.at(-1)).toMatchObject({
      body: '{"action":"ping"}',
      isBase64Encoded: false,
      requestContext: { routeKey: '$default', eventType: 'MESSAGE', connectionId: id, authorizer: { user_id: 'U1' } },
    });
    ws.close(1000, 'bye');
    const disconnect = await until(() => routed.find((e) => e.requestContext.routeKey === '$disconnect'));
    expect(disconnect.requestContext).toMatchObject({
      eventType: 'DISCONNECT',
      connectionId: id,
      disconnectStatusCode: 1000,
      disconnectReason: 'bye',
      authorizer: { user_id: 'U1' },
    });
  });

  it('refuses the upgrade: 401 without the identity source or when the authorizer says Unauthorized, 403 on a Deny or a refusing $connect', async () => {
    const before = authorized.length;
    await expect(open('')).rejects.toThrow(/401/);
    expect(authorized.length).toBe(before);
    await expect(open('?ticket=bad')).rejects.toThrow(/401/);
    await expect(open('?ticket=deny')).rejects.toThrow(/403/);
    await expect(open('?ticket=refused-by-connect')).rejects.toThrow(/403/);
    expect(api.connections.size).toBe(0);
  });

  it('serves the management API to the real SDK client; a closed connection is GoneException', async () => {
    const { ws, messages } = await open('?ticket=good');
    const ConnectionId = [...api.connections.keys()].at(-1)!;
    await management.send(new PostToConnectionCommand({ ConnectionId, Data: new TextEncoder().encode('{"hello":1}') }));
    expect(await until(() => messages[0])).toBe('{"hello":1}');
    const described = await management.send(new GetConnectionCommand({ ConnectionId }));
    expect(described.ConnectedAt).toBeInstanceOf(Date);
    expect(described.Identity?.SourceIp).toBe('127.0.0.1');
    const closed = new Promise((resolve) => ws.once('close', resolve));
    await management.send(new DeleteConnectionCommand({ ConnectionId }));
    await closed;
    const error = await management
      .send(new PostToConnectionCommand({ ConnectionId, Data: new TextEncoder().encode('{}') }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GoneException);
  });

  it('closes a connection idle past the limit (10 minutes in AWS; shortened here)', async () => {
    const { ws } = await open('?ticket=good');
    const code = await new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    expect(code).toBe(1001);
  });
});
