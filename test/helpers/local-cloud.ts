import { afterAll, beforeAll, expect } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_ADMIN_ACCESS_KEY_ID } from '#infra/local/iam/gate.ts';
import { loadConfig } from '#infra/config/load.ts';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '#infra/local/cloud.ts';
import { seedLocalData, type DevUser } from '#infra/local/seed.ts';
import type { AnyRoute } from '#shared/platform/http/contract.ts';
import {
  routeClient,
  type ResponseBody,
  type RouteAnswer,
  type RouteFailure,
  type RouteInput,
  type RouteSuccess,
} from '#shared/platform/http/client.ts';

/**
 * The local cloud as `npm start` runs it, in memory on free ports, seeded. Its functions run
 * in their own workers with their registry environment and their own access key, each AWS call
 * checked against the function's synthesized policy; this file's process gets only the
 * operator's (the table, through the gates with the admin key, for tests that read or write
 * items directly).
 */
export async function startTestCloud(options: Partial<LocalCloudOptions> = {}): Promise<{ cloud: LocalCloud; users: DevUser[] }> {
  const config = loadConfig();
  let users: DevUser[] = [];
  const cloud = await startLocalCloud({
    config,
    port: 0,
    sesPort: 0,
    // Every 2xx body checked against its contract; only errors logged.
    functionSettings: { logLevel: 'ERROR', validateResponses: true },
    ...options,
    onFreshTable: async (c) => {
      users = (await seedLocalData(c, config)).users;
    },
  });
  return { cloud, users };
}

export interface ApiAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * A raw client for the API: JSON in, JSON (or problem+json) out, untyped. For requests no
 * contract describes: bad JSON, bad tokens, unknown paths, fields the contract refuses.
 */
export function apiClient(baseUrl: string) {
  return async function call<T = any>(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined || options.rawBody !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(options.rawBody !== undefined
        ? { body: options.rawBody }
        : options.body !== undefined
          ? { body: JSON.stringify(options.body) }
          : {}),
    });
    const text = await response.text();
    // JSON answers parsed; others (a form's embed script, a calendar feed) as the text they are.
    const json = /json/.test(response.headers.get('content-type') ?? 'application/json');
    return {
      status: response.status,
      headers: response.headers,
      body: (text ? (json ? JSON.parse(text) : text) : undefined) as T,
    };
  };
}

/** What `session.call` takes: the route's typed input, plus who calls (a seeded user) or a raw token. */
export type SessionCallInput<R extends AnyRoute> = RouteInput<R> & {
  /** A seeded user by the part of their e-mail before "@"; no token when neither this nor `token` is given. */
  readonly as?: string;
  readonly token?: string;
};

/** Calls a route through the typed client (`#shared/platform/http/client.ts`) as a seeded user. */
export type SessionCall = <R extends AnyRoute>(route: R, input: SessionCallInput<R>) => Promise<RouteAnswer<R>>;

type SuccessStatus = 200 | 201 | 202 | 203 | 204 | 206;
/** The answer `expectStatus` leaves: a success for a 2xx literal, a problem for any other. */
export type AnswerWith<R extends AnyRoute, S extends number> = number extends S
  ? RouteAnswer<R>
  : S extends SuccessStatus
    ? RouteSuccess<R>
    : RouteFailure;

/**
 * Expects the answer's status (the body is the message when it differs) and narrows the
 * answer's type: a 2xx status leaves a typed success, any other a problem.
 */
export function expectStatus<R extends AnyRoute, S extends number>(
  answer: RouteAnswer<R>,
  status: S,
): asserts answer is AnswerWith<R, S> {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
}

/** The body of a success: expects a 2xx answer (or exactly `status`), the problem as the message if not. */
export function bodyOf<R extends AnyRoute>(answer: RouteAnswer<R>, status?: number): ResponseBody<R> {
  if (status !== undefined) expectStatus(answer, status);
  expect(answer.ok, `${answer.status} ${JSON.stringify(answer.body)}`).toBe(true);
  return answer.body as ResponseBody<R>;
}

export interface TestCloudSession {
  /** The API as any user, untyped; delegates to the client made once the cloud is up. */
  api: ReturnType<typeof apiClient>;
  /** The API through the route contracts: `call(route, { as: 'rep1', params, query, body, headers })`. */
  call: SessionCall;
  /** Seeded users by the part of their e-mail before "@": admin, manager, rep1, rep2, solo. */
  users: Record<string, DevUser>;
  as(who: string): string;
  id(who: string): string;
  readonly cloud: LocalCloud;
  /**
   * A document client on DynamoDB Local itself (no IAM gate, the cloud's own key), for tests
   * that shape stored items the API cannot (items written before a change, a raced write).
   * Made on first use, destroyed with the cloud.
   */
  table(): DynamoDBDocumentClient;
}

/** A test file's local cloud: started before its tests, stopped after them. */
export function useTestCloud(options: Partial<LocalCloudOptions> = {}): TestCloudSession {
  let cloud: LocalCloud | undefined;
  let client: ReturnType<typeof apiClient> | undefined;
  let tableClient: DynamoDBDocumentClient | undefined;
  const users: Record<string, DevUser> = {};
  beforeAll(async () => {
    const started = await startTestCloud(options);
    cloud = started.cloud;
    client = apiClient(cloud.url);
    for (const user of started.users) users[user.email.split('@')[0]!] = user;
  });
  afterAll(async () => {
    tableClient?.destroy();
    await cloud?.stop();
  });
  const api = ((method, path, callOptions) => {
    if (!client) throw new Error('the local cloud is not up yet: call the API inside a test or hook');
    return client(method, path, callOptions);
  }) as ReturnType<typeof apiClient>;
  const call: SessionCall = (route, { as: who, token, ...input }) => {
    if (!cloud) throw new Error('the local cloud is not up yet: call the API inside a test or hook');
    const bearer = token ?? (who === undefined ? undefined : users[who]?.token);
    if (who !== undefined && bearer === undefined) throw new Error(`no seeded user "${who}"`);
    // `input` is the route's input without `as` and `token`, which TypeScript cannot see through the rest.
    const callRoute = routeClient({ baseUrl: cloud.url, token: bearer }) as (r: AnyRoute, i: unknown) => Promise<never>;
    return callRoute(route, input);
  };
  const table = (): DynamoDBDocumentClient => {
    if (!cloud) throw new Error('the local cloud is not up yet: use the table inside a test or hook');
    tableClient ??= DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: cloud.dynamoEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: LOCAL_ADMIN_ACCESS_KEY_ID, secretAccessKey: 'local' },
      }),
    );
    return tableClient;
  };
  return {
    api,
    call,
    table,
    users,
    as: (who) => users[who]!.token,
    id: (who) => users[who]!.user_id,
    get cloud() {
      if (!cloud) throw new Error('the local cloud is not up yet');
      return cloud;
    },
  };
}
