import { identityAdapters } from '#shared/identity/runtime.ts';
import { DynamoRecordOwners } from '#shared/platform/dynamodb/record-owners.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { DynamoActivityStore, DynamoRecordStates } from './dynamodb.ts';
import type { ActivitiesDeps } from './use-cases.ts';

// The feed's adapters, built once per container.

let deps: ActivitiesDeps | undefined;

export function activityAdapters(): ActivitiesDeps {
  if (deps) return deps;
  const table = crmTable();
  deps = {
    store: new DynamoActivityStore(table),
    records: new DynamoRecordOwners(table),
    states: new DynamoRecordStates(table),
    teamMemberIds: async (teamId) =>
      (await identityAdapters().users.list({ team_id: teamId, limit: 100 })).items.map((u) => u.id),
  };
  return deps;
}

/** What the feed consumer needs: no identity, no cursor key. */
export function activityWriterAdapters(): Pick<ActivitiesDeps, 'store' | 'states'> {
  const table = crmTable();
  return { store: new DynamoActivityStore(table), states: new DynamoRecordStates(table) };
}
