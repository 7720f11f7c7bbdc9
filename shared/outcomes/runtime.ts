import { accountDefaults, identityAdapters } from '#shared/identity/runtime.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import type { Migration } from '#shared/platform/migrations/runner.ts';
import { DynamoOutcomeDirectory, DynamoOutcomeSource, DynamoOutcomeStore } from './dynamodb.ts';
import { backfillOutcomesStep, type OutcomeConsumerDeps, type OutcomeReadDeps } from './use-cases.ts';

// The outcome window's adapters, built once per container. Days are counted in the company's
// time zone from the deployment config (account defaults), fixed at deploy: an admin's later
// change of the account's time zone does not move counted days.

let consumer: OutcomeConsumerDeps | undefined;
let reader: OutcomeReadDeps | undefined;

/** The bus consumer's adapters (deal-outcomes). */
export function outcomeConsumerAdapters(): OutcomeConsumerDeps {
  consumer ??= {
    store: new DynamoOutcomeStore(crmTable()),
    directory: new DynamoOutcomeDirectory(crmTable()),
    timeZone: accountDefaults().timezone,
  };
  return consumer;
}

/** The read side's adapters (GET /stats/outcomes, the dashboard). */
export function outcomeReadAdapters(): OutcomeReadDeps {
  reader ??= {
    store: new DynamoOutcomeStore(crmTable()),
    timeZone: accountDefaults().timezone,
    teamMemberIds: async (teamId) =>
      (await identityAdapters().users.list({ team_id: teamId, limit: 100 })).items.map((u) => u.id),
  };
  return reader;
}

/**
 * The migration that gives a live deployment's counters their starting state: every existing
 * deal and lead applied at its version, as the consumer applies events (exact and idempotent).
 */
export function outcomeCountersBackfill(): Migration {
  const source = new DynamoOutcomeSource(crmTable());
  return {
    id: '2026-12-outcome-counters',
    description: 'Won, lost and unqualified counters: every existing deal and lead counted at its current version',
    step: (checkpoint) => backfillOutcomesStep(outcomeConsumerAdapters(), source, checkpoint),
  };
}
