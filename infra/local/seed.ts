import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Role } from '#shared/domain/roles.ts';
import { newId } from '#shared/domain/ids.ts';
import type { CrmConfig } from '../config/schema.ts';
import type { LocalCloud } from './cloud.ts';

// Local users: seeded once on a fresh data folder, then a fresh token for each at every start.

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

export async function seedLocalData(cloud: LocalCloud, _config: CrmConfig, options: { tokensOnly?: boolean } = {}): Promise<SeedReport> {
  const file = join(cloud.dataDir ?? '.', DEV_USERS_FILE);
  const known: Omit<DevUser, 'token'>[] =
    options.tokensOnly && existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as DevUser[])
      : [
          { email: 'admin@example.com', role: 'admin', user_id: newId() },
          { email: 'manager@example.com', role: 'manager', user_id: newId() },
          { email: 'rep1@example.com', role: 'user', user_id: newId() },
          { email: 'rep2@example.com', role: 'user', user_id: newId() },
          { email: 'solo@example.com', role: 'user', user_id: newId() },
        ];
  const users = known.map((u) => ({
    email: u.email,
    role: u.role,
    user_id: u.user_id,
    token: cloud.auth.token({ sub: u.user_id, email: u.email, role: u.role }),
  }));
  if (cloud.dataDir) writeFileSync(file, JSON.stringify(users, null, 2));
  return { file, users };
}
