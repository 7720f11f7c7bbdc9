import { systemClock } from '#shared/kernel/ports.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import type { Account } from './account.ts';
import { DynamoAccountRepository, DynamoTeamRepository, DynamoUserRepository } from './dynamodb.ts';
import { principalResolver, type MfaStatus } from './principals.ts';

// Identity's wiring: built lazily once per container. Every authenticated HTTP function resolves
// its caller through these (see shared/app.ts).

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
      principals: principalResolver(users, systemClock, undefined, { adminMfa }),
    };
  }
  return identity;
}

let mfaStatus: MfaStatus | undefined;

/**
 * The MFA check of admins, when the config requires it (CRM_ADMIN_MFA_REQUIRED): read on an
 * admin's first request, so a function that serves no admin needs neither it nor USER_POOL_ID.
 */
function adminMfa(): MfaStatus | undefined {
  if (requireEnv(RUNTIME_ENV.adminMfaRequired) !== 'true') return undefined;
  if (!mfaStatus) {
    const userPoolId = requireEnv(RUNTIME_ENV.userPoolId);
    // The Cognito SDK is imported on an admin's first request, not at init: deployments that
    // do not require admin MFA never load it (a split chunk of the bundle).
    const loaded = Promise.all([import('@aws-sdk/client-cognito-identity-provider'), import('./cognito.ts')]).then(
      ([sdk, cognito]) =>
        new cognito.CognitoMfaStatus({ client: new sdk.CognitoIdentityProviderClient({}), userPoolId, clock: systemClock }),
    );
    mfaStatus = { hasMfa: async (email) => (await loaded).hasMfa(email) };
  }
  return mfaStatus;
}

/**
 * The account as the deployment config sets it, before any admin change. Throws when
 * CRM_ACCOUNT_DEFAULTS is not set: a function without it would show another company's defaults.
 */
export function accountDefaults(): Omit<Account, 'updated_at' | 'version'> {
  const raw = JSON.parse(requireEnv(RUNTIME_ENV.accountDefaults)) as Record<string, string | undefined>;
  return {
    name: raw.company_name ?? 'My company',
    currency: raw.currency ?? 'USD',
    timezone: raw.time_zone ?? 'Etc/UTC',
    time_format: raw.time_format === '12h' ? '12h' : '24h',
    logo_url: raw.logo_url ?? null,
  };
}
