import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '#infra/config/load.ts';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '#infra/local/cloud.ts';
import { seedLocalData, type DevUser } from '#infra/local/seed.ts';

/** The local cloud as `npm start` runs it, in memory on free ports, seeded. */
export async function startTestCloud(options: Partial<LocalCloudOptions> = {}): Promise<{ cloud: LocalCloud; users: DevUser[] }> {
  process.env.CRM_VALIDATE_RESPONSES = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  const config = loadConfig();
  let users: DevUser[] = [];
  const cloud = await startLocalCloud({
    config,
    port: 0,
    sesPort: 0,
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

/** A small client for the API: JSON in, JSON (or problem+json) out. */
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
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
  };
}

export interface TestCloudSession {
  /** The API as any user; delegates to the client made once the cloud is up. */
  api: ReturnType<typeof apiClient>;
  /** Seeded users by the part of their e-mail before "@": admin, manager, rep1, rep2, solo. */
  users: Record<string, DevUser>;
  as(who: string): string;
  id(who: string): string;
  readonly cloud: LocalCloud;
}

/** A test file's local cloud: started before its tests, stopped after them. */
export function useTestCloud(options: Partial<LocalCloudOptions> = {}): TestCloudSession {
  let cloud: LocalCloud | undefined;
  let client: ReturnType<typeof apiClient> | undefined;
  const users: Record<string, DevUser> = {};
  beforeAll(async () => {
    const started = await startTestCloud(options);
    cloud = started.cloud;
    client = apiClient(cloud.url);
    for (const user of started.users) users[user.email.split('@')[0]!] = user;
  });
  afterAll(async () => {
    await cloud?.stop();
  });
  const api = ((method, path, callOptions) => {
    if (!client) throw new Error('the local cloud is not up yet: call the API inside a test or hook');
    return client(method, path, callOptions);
  }) as ReturnType<typeof apiClient>;
  return {
    api,
    users,
    as: (who) => users[who]!.token,
    id: (who) => users[who]!.user_id,
    get cloud() {
      if (!cloud) throw new Error('the local cloud is not up yet');
      return cloud;
    },
  };
}
