import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CaptureFormsDeps } from './use-cases.ts';
import { DynamoCaptureFormRepository } from './dynamodb.ts';
import { formTokenKey } from './domain.ts';
import type { FormTokenKeys, TeamMembers } from './ports.ts';
import { identityAdapters } from '#shared/identity/runtime.ts';
import { leadAdapters } from '#shared/leads/runtime.ts';
import { secretsManagerCursorKeys } from '#shared/platform/cursor-keys.ts';
import { crmTable, runtimeClock, runtimeIds } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';

// The capture forms module's adapters, built once per container. Form tokens are signed with
// a key derived from the cursor secret (read at run time from Secrets Manager, never from the
// function's configuration): its rotation rotates the form key too, the previous one still
// verifying tokens issued just before.

let deps: CaptureFormsDeps | undefined;

function tokenKeys(): FormTokenKeys {
  let client: Promise<SecretsManagerClient> | undefined;
  const source = secretsManagerCursorKeys({
    client: () => (client ??= import('@aws-sdk/client-secrets-manager').then((sdk) => new sdk.SecretsManagerClient({}))),
    secretId: () => requireEnv(RUNTIME_ENV.cursorSecret),
    clock: runtimeClock,
  });
  return {
    async keys() {
      const { current, previous } = await source.load();
      const key = formTokenKey(current);
      return { current: key, all: previous === undefined ? [key] : [key, formTokenKey(previous)] };
    },
  };
}

function teamMembers(): TeamMembers {
  const { users, teams } = identityAdapters();
  return {
    async activeMemberIds(teamId) {
      return (await teams.members(teamId, 500)).filter((u) => u.status === 'active').map((u) => u.id);
    },
    async isActiveUser(userId) {
      return (await users.get(userId))?.status === 'active';
    },
    async teamExists(teamId) {
      return (await teams.get(teamId)) !== undefined;
    },
  };
}

export function captureFormAdapters(): CaptureFormsDeps {
  deps ??= {
    forms: new DynamoCaptureFormRepository(crmTable()),
    tokenKeys: tokenKeys(),
    members: teamMembers(),
    leads: leadAdapters(),
    clock: runtimeClock,
    newId: runtimeIds,
  };
  return deps;
}
