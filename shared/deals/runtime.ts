import { getAccount } from '#shared/identity/account-use-cases.ts';
import type { DealsDeps } from './use-cases.ts';
import { DynamoDealRepository } from './dynamodb.ts';
import { customFieldAdapters } from '#shared/custom-fields/runtime.ts';
import { pipelineAdapters } from '#shared/pipelines/runtime.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { accountDefaults, identityAdapters } from '#shared/identity/runtime.ts';

// The deals module's adapters, built once per container.

let deps: DealsDeps | undefined;

export function dealAdapters(): DealsDeps {
  if (deps) return deps;
  const pipelines = pipelineAdapters().pipelines;
  const identity = identityAdapters();
  deps = {
    deals: new DynamoDealRepository(crmTable()),
    stages: pipelines,
    customFields: customFieldAdapters().catalog,
    defaultPipelineId: async () => (await pipelines.listPipelines({ limit: 1 })).items[0]?.id,
    defaultCurrency: async () => (await getAccount({ account: identity.account, defaults: accountDefaults() })).currency,
    teamMemberIds: async (teamId) => (await identity.users.list({ team_id: teamId, limit: 100 })).items.map((u) => u.id),
  };
  return deps;
}
