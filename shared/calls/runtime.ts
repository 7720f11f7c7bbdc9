import type { Migration } from '#shared/platform/migrations/runner.ts';
import { phoneIndexBackfillStep } from './backfill.ts';
import { DynamoNamedListRepository } from '#shared/pipelines/dynamodb.ts';
import { DynamoRecordOwners } from '#shared/platform/dynamodb/record-owners.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { DynamoCallRepository, DynamoPhoneIndex, DynamoTextMessageRepository } from './dynamodb.ts';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import { configuredAgents, SdkConnectContacts } from './connect-client.ts';
import type { ConnectDeps } from './connect.ts';
import type { CallsDeps, ProviderDeps } from './use-cases.ts';

// The calls module's adapters, built once per container.

let deps: CallsDeps | undefined;
let provider: ProviderDeps | undefined;

/** The HTTP routes' adapters. */
export function callAdapters(): CallsDeps {
  const table = crmTable();
  const outcomes = new DynamoNamedListRepository(table);
  deps ??= {
    calls: new DynamoCallRepository(table),
    texts: new DynamoTextMessageRepository(table),
    records: new DynamoRecordOwners(table),
    outcomes: {
      exists: async (id) => {
        const entry = await outcomes.get('call_outcome', id);
        return entry !== undefined && entry.deleted_at === undefined;
      },
    },
  };
  return deps;
}

/** What a voice provider's webhook or events log with: calls, texts and the phone index. */
export function providerAdapters(): ProviderDeps {
  const table = crmTable();
  provider ??= {
    calls: new DynamoCallRepository(table),
    texts: new DynamoTextMessageRepository(table),
    phones: new DynamoPhoneIndex(table),
  };
  return provider;
}

/**
 * What the Connect consumer logs with: the provider's adapters, DescribeContact, and the agents'
 * users. Fails at once, naming the variable, without CONNECT_INSTANCE_ID or CRM_CONNECT_AGENTS.
 */
export function connectAdapters(): ConnectDeps {
  const instanceId = requireEnv(RUNTIME_ENV.connectInstanceId);
  const agents = JSON.parse(requireEnv(RUNTIME_ENV.connectAgents)) as Record<string, string>;
  const users = new DynamoUserRepository(crmTable());
  return {
    ...providerAdapters(),
    contacts: new SdkConnectContacts(),
    agents: configuredAgents(agents, (email) => users.findIdByEmail(email)),
    instanceId,
  };
}

let token: { at: number; value: Promise<string> } | undefined;
/** A container trusts the auth token it read this long (a changed token shows within it). */
const TOKEN_TTL_MS = 5 * 60_000;

/**
 * The voice provider's auth token, read at run time from the secret VOICE_SECRET_ID names
 * (never from the function's configuration), cached per container for TOKEN_TTL_MS.
 */
export function voiceAuthToken(): Promise<string> {
  if (!token || Date.now() - token.at > TOKEN_TTL_MS) {
    const value = (async () => {
      const sdk = await import('@aws-sdk/client-secrets-manager');
      const out = await new sdk.SecretsManagerClient({}).send(
        new sdk.GetSecretValueCommand({ SecretId: requireEnv(RUNTIME_ENV.voiceSecret) }),
      );
      if (!out.SecretString) throw new Error('the voice auth token secret has no value');
      return out.SecretString;
    })();
    // A failed read is not cached: the next request tries again.
    value.catch(() => (token = undefined));
    token = { at: Date.now(), value };
  }
  return token.value;
}

/** The migration that indexes the numbers of leads and contacts written before the phone index. */
export function phoneIndexBackfill(): Migration {
  const table = crmTable();
  return {
    id: '2026-12-phone-index',
    description: 'Phone index: the E.164 numbers of every existing lead and contact',
    step: (checkpoint) => phoneIndexBackfillStep(table, checkpoint),
  };
}
