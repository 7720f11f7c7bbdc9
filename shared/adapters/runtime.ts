import type { Account } from '#shared/domain/account.ts';
import { newId } from '#shared/domain/ids.ts';
import { principalResolver } from '#shared/application/principal.ts';
import { systemClock } from '#shared/application/ports.ts';
import { dynamoDocumentClient } from './dynamodb/client.ts';
import { CursorCodec } from './dynamodb/cursor.ts';
import { DynamoAccountRepository, DynamoTeamRepository, DynamoUserRepository } from './dynamodb/identity-repositories.ts';
import { Table } from './dynamodb/table.ts';
import { RUNTIME_ENV, requireEnv } from './runtime-env.ts';

// The composition root's parts: built lazily once per container from the runtime
// environment, and shared by every handler of the container.

let table: Table | undefined;

export function crmTable(): Table {
  table ??= new Table({
    client: dynamoDocumentClient(),
    name: requireEnv(RUNTIME_ENV.tableName),
    cursors: new CursorCodec(requireEnv(RUNTIME_ENV.cursorSecret)),
  });
  return table;
}

let identity:
  | {
      users: DynamoUserRepository;
      teams: DynamoTeamRepository;
      account: DynamoAccountRepository;
      principals: ReturnType<typeof principalResolver>;
    }
  | undefined;

export function identityAdapters() {
  if (!identity) {
    const users = new DynamoUserRepository(crmTable());
    identity = {
      users,
      teams: new DynamoTeamRepository(crmTable()),
      account: new DynamoAccountRepository(crmTable()),
      principals: principalResolver(users, systemClock),
    };
  }
  return identity;
}

/** The account as the deployment config sets it, before any admin change. */
export function accountDefaults(): Omit<Account, 'updated_at' | 'version'> {
  const raw = JSON.parse(process.env[RUNTIME_ENV.accountDefaults] ?? '{}') as Record<string, string | undefined>;
  return {
    name: raw.company_name ?? 'My company',
    currency: raw.currency ?? 'USD',
    timezone: raw.time_zone ?? 'Etc/UTC',
    time_format: raw.time_format === '12h' ? '12h' : '24h',
    logo_url: raw.logo_url ?? null,
  };
}

export const runtimeClock = systemClock;
export const runtimeIds = () => newId();
