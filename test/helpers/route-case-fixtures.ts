import type { LocalCloud } from '#infra/local/cloud.ts';
import { apiClient, startTestCloud } from './local-cloud.ts';
import type { Fixtures } from './route-case-types.ts';

/**
 * The local cloud and the fixtures every route case is called with (the authorization matrix
 * and the bad-input sweep share them): the five seeded users by role, a unique-suffix source,
 * and the admin's API for setting up targets (which throws on any answer ≥ 300).
 */
export async function startRouteCaseCloud(): Promise<{ cloud: LocalCloud; fixtures: Fixtures }> {
  const started = await startTestCloud();
  const { cloud } = started;
  const api = apiClient(cloud.url);
  const byEmail = (email: string) => {
    const user = started.users.find((u) => u.email === email);
    if (!user) throw new Error(`the seed has no ${email}`);
    return user;
  };
  const users = {
    admin: byEmail('admin@example.com'),
    manager: byEmail('manager@example.com'),
    rep1: byEmail('rep1@example.com'),
    rep2: byEmail('rep2@example.com'),
    solo: byEmail('solo@example.com'),
  };
  let counter = 0;
  const fixtures: Fixtures = {
    api,
    users,
    unique: () => `${Date.now().toString(36)}${(counter++).toString(36)}`,
    sesUrl: cloud.sesUrl,
    apiUrl: cloud.url,
    asAdmin: async (method, path, body) => {
      const res = await api(method, path, { token: users.admin.token, body });
      if (res.status >= 300) throw new Error(`setup ${method} ${path} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
  };
  return { cloud, fixtures };
}
