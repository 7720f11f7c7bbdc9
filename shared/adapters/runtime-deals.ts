import { getAccount } from '#shared/application/account.ts';
import type { DealsDeps } from '#shared/application/deals.ts';
import { DynamoDealRepository } from './dynamodb/deal-repository.ts';
import { customFieldAdapters } from './runtime-custom-fields.ts';
import { pipelineAdapters } from './runtime-pipelines.ts';
import { accountDefaults, crmTable, identityAdapters } from './runtime.ts';

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
