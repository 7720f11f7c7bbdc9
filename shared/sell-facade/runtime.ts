import type { Migration } from '#shared/platform/migrations/runner.ts';
import { crmTable, runtimeClock } from '#shared/platform/runtime.ts';
import {
  callSellIdBackfillStep,
  conversionSellIdStep,
  DynamoSellIds,
  DynamoTagRegistry,
  sellIdBackfillStep,
  taggedRecordsChunk,
} from './dynamodb.ts';
import type { SellIdLookup, TagRegistry } from './ports.ts';
import { registerTagNames } from './use-cases.ts';

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

/**
 * The migration that registers the tags records carried before the tag registry existed
 * (the registry's consumer sees only writes that add a tag): a page of leads, contacts or
 * deals a chunk, each new name registered with the record's owner as its creator. A chunk run
 * again registers nothing twice (names already registered are left alone).
 */
export function tagRegistryBackfill(): Migration {
  const table = crmTable();
  return {
    id: '2026-12-tag-registry',
    description: 'Tag registry: every tag name existing leads, contacts and deals carry, once per resource type',
    step: async (checkpoint) => {
      const { records, next } = await taggedRecordsChunk(table, checkpoint);
      const now = runtimeClock.now().toISOString();
      for (const record of records) {
        await registerTagNames(tagRegistry(), record.type, record.tags, () => Promise.resolve(record.owner_id), now);
      }
      return next;
    },
  };
}

/**
 * The migration that gives lead conversions made before conversions took their own Sell ids
 * one: their lead's number, which /v2 showed them under, unless a conversion (an imported one)
 * holds it; then the next of the conversions' sequence (shared/sell-facade/dynamodb.ts).
 */
export function conversionSellIdsBackfill(): Migration {
  const table = crmTable();
  return {
    id: '2026-12-conversion-sell-ids',
    description: "Sell ids: a number of its own for every existing lead conversion (its lead's when free)",
    step: (checkpoint) => conversionSellIdStep(table, checkpoint),
  };
}
