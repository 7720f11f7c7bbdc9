import type { Migration } from '#shared/platform/migrations/runner.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { callSellIdBackfillStep, DynamoSellIds, DynamoTagRegistry, sellIdBackfillStep } from './dynamodb.ts';
import type { SellIdLookup, TagRegistry } from './ports.ts';

// The facade's wiring: Sell id lookups on the table (the native API is wired by its function).

let ids: SellIdLookup | undefined;

export function sellIdAdapters(): SellIdLookup {
  ids ??= new DynamoSellIds(crmTable());
  return ids;
}

let tags: TagRegistry | undefined;

/** The facade's tag registry on the table. */
export function tagRegistry(): TagRegistry {
  tags ??= new DynamoTagRegistry(crmTable());
  return tags;
}

/** The migration that numbers records created before Sell ids existed (issue 17 item 2). */
export function sellIdsBackfill(): Migration {
  const table = crmTable();
  return {
    id: '2026-12-sell-ids',
    description:
      'Sell ids: a number for every existing user, pipeline, stage, reason, source, custom field, lead, contact, deal, note and task',
    step: (checkpoint) => sellIdBackfillStep(table, checkpoint),
  };
}

/** The migration that numbers the call outcomes, calls and texts written before they had Sell ids. */
export function callSellIdsBackfill(): Migration {
  const table = crmTable();
  return {
    id: '2026-12-sell-ids-calls',
    description: 'Sell ids: a number for every existing call outcome, call and text message',
    step: (checkpoint) => callSellIdBackfillStep(table, checkpoint),
  };
}
