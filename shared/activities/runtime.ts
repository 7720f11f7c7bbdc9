import { identityAdapters } from '#shared/identity/runtime.ts';
import { DynamoRecordOwners } from '#shared/platform/dynamodb/record-owners.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import type { Migration } from '#shared/platform/migrations/runner.ts';
import { DynamoActivityStore, DynamoBackfillSource, DynamoRecordStates } from './dynamodb.ts';
import { backfillStep, type ActivitiesDeps } from './use-cases.ts';

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

/** The migration that gives a live deployment's feed its starting state (one "created" entry per record). */
export function activityFeedBackfill(): Migration {
  const table = crmTable();
  const source = new DynamoBackfillSource(table);
  return {
    id: '2026-12-activity-feed',
    description: 'Activity feed: a "created" entry for every existing lead, contact, deal, note and task',
    step: (checkpoint) => backfillStep(activityWriterAdapters(), source, checkpoint),
  };
}
