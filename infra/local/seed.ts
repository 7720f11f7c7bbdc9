import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Role } from '#shared/kernel/roles.ts';
import { runtimeClock, runtimeIds } from '#shared/platform/runtime.ts';
import { identityAdapters } from '#shared/identity/runtime.ts';
import { callContext } from '#shared/kernel/ports.ts';
import { createTeam } from '#shared/identity/teams.ts';
import { createUser } from '#shared/identity/use-cases.ts';
import { seedSalesDefaults } from '#shared/pipelines/sales-defaults.ts';
import { pipelineAdapters } from '#shared/pipelines/runtime.ts';
import type { CrmConfig } from '../config/schema.ts';
import type { LocalCloud } from './cloud.ts';

// Local users: seeded once on a fresh data folder through the same use cases the API runs
// (so counters and events are right), then a fresh token for each at every start.

export interface DevUser {
  email: string;
  role: Role;
  user_id: string;
  token: string;
}

export interface SeedReport {
  file: string;
  users: DevUser[];
}

export const DEV_USERS_FILE = 'dev-users.json';

const SYSTEM = { user_id: 'system', email: '', role: 'admin' as const, direct_reports: [] };

export async function seedLocalData(
  cloud: LocalCloud,
  config: CrmConfig,
  options: { tokensOnly?: boolean } = {},
): Promise<SeedReport> {
  const file = join(cloud.dataDir ?? '.', DEV_USERS_FILE);
  const fresh = !(options.tokensOnly && existsSync(file));
  const known = fresh ? await seedUsers() : (JSON.parse(readFileSync(file, 'utf8')) as DevUser[]);
  // The default pipeline, reasons and sources, as the deploy bootstrap makes them in AWS.
  if (fresh) await seedSalesDefaults(pipelineAdapters(), callContext(SYSTEM, 'seed', runtimeClock, runtimeIds), config);
  const users = known.map((u) => ({
    email: u.email,
    role: u.role,
    user_id: u.user_id,
    token: cloud.auth.token({ sub: u.user_id, email: u.email, role: u.role }),
  }));
  if (cloud.dataDir) writeFileSync(file, JSON.stringify(users, null, 2));
  return { file, users };
}

/** An admin, a manager with two reps, and a rep reporting to nobody, in two teams. */
async function seedUsers(): Promise<Omit<DevUser, 'token'>[]> {
  const deps = identityAdapters();
  const call = callContext(SYSTEM, 'seed', runtimeClock, runtimeIds);
  const east = await createTeam(deps, call, { name: 'Sales East' });
  const west = await createTeam(deps, call, { name: 'Sales West' });
  const admin = await createUser(deps, call, { name: 'Ada Admin', email: 'admin@example.com', role: 'admin' });
  const manager = await createUser(deps, call, {
    name: 'Max Manager',
    email: 'manager@example.com',
    role: 'manager',
    team_id: east.id,
  });
  const reps = [
    await createUser(deps, call, {
      name: 'Rita Rep',
      email: 'rep1@example.com',
      role: 'user',
      reports_to: manager.id,
      team_id: east.id,
    }),
    await createUser(deps, call, {
      name: 'Ravi Rep',
      email: 'rep2@example.com',
      role: 'user',
      reports_to: manager.id,
      team_id: east.id,
    }),
    await createUser(deps, call, { name: 'Sol Solo', email: 'solo@example.com', role: 'user', team_id: west.id }),
  ];
  return [admin, manager, ...reps].map((u) => ({ email: u.email, role: u.role, user_id: u.id }));
}
