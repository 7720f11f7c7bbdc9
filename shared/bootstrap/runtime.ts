import { activityFeedBackfill } from '#shared/activities/runtime.ts';
import { outcomeCountersBackfill } from '#shared/outcomes/runtime.ts';
import { appointmentRemindersBackfill, taskRemindersBackfill } from '#shared/reminders/runtime.ts';
import {
  callSellIdsBackfill,
  conversionSellIdsBackfill,
  sellIdsBackfill,
  tagRegistryBackfill,
} from '#shared/sell-facade/runtime.ts';
import { phoneIndexBackfill } from '#shared/calls/runtime.ts';
import { DynamoMigrationStore } from '#shared/platform/migrations/dynamodb.ts';
import { runMigrations, type Migration, type MigrationReport } from '#shared/platform/migrations/runner.ts';
import { crmTable } from '#shared/platform/runtime.ts';

// The registry of migrations: every backfill of a read model, in the order they run. Run at
// deploy (the bootstrap custom resource, continued by the `migrate` function when a run stops
// at its deadline) and by `npm start`. Append only; a migration's id is its marker forever.

/** Every migration, oldest first. */
export function migrations(): Migration[] {
  return [
    activityFeedBackfill(),
    outcomeCountersBackfill(),
    taskRemindersBackfill(),
    appointmentRemindersBackfill(),
    sellIdsBackfill(),
    phoneIndexBackfill(),
    callSellIdsBackfill(),
    tagRegistryBackfill(),
    conversionSellIdsBackfill(),
  ];
}

/**
 * Runs the registry until done or `deadline` (epoch ms; then a continuation is requested
 * through the bus). `holder` names this run in the lease; `leaseMs` is how long a crashed
 * run keeps others out.
 */
export function runRegisteredMigrations(options: {
  holder: string;
  leaseMs: number;
  deadline?: number;
}): Promise<MigrationReport[]> {
  return runMigrations(new DynamoMigrationStore(crmTable()), migrations(), options);
}
