import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { stageKey } from '#shared/pipelines/dynamodb.ts';
import { userKey } from '#shared/platform/dynamodb/keys.ts';
import { tableKeys, tablePartitions } from '#shared/platform/dynamodb/partitions.ts';
import { tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import type { BucketDelta, WindowPlan } from './domain.ts';
import type { ApplyOutcome, OutcomeDirectory, OutcomeStore } from './ports.ts';

// The outcome buckets in the CRM table:
//   pk "outcomes#<scope>" (scope: "user#<id>", "team#<id>", "company"), sk "day#YYYY-MM-DD" or
//   "month#YYYY-MM"; attributes c_<kind>_<currency> (count) and v_<kind>_<currency> (minor units).
//   pk "outcome_mark#<event_id>", sk "outcome_mark": an event applied to the buckets.
// One transaction per event: Put the marker if absent, ADD to each bucket. A redelivery fails
// on the marker and changes nothing, so ADD (not idempotent alone) runs once per event. No
// item holds a write time: replaying the same events in any order writes the same items.
// Markers are kept (no TTL): only events that move a bucket write one, and a replay of an
// old archive must still find them.

/** The buckets of one scope (scopeKey of the domain). */
export const outcomeBuckets = tablePartitions<[scope: string]>('outcomes');
/** The marker of an event applied to the buckets. */
export const outcomeMarkerKey = tableKeys<[eventId: string]>('outcome_mark', 'outcome_mark');

export const OUTCOME_BUCKET_KIND = 'outcome_bucket';
export const OUTCOME_MARKER_KIND = 'outcome_mark';

export class DynamoOutcomeStore implements OutcomeStore {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async apply(eventId: string, eventType: string, deltas: readonly BucketDelta[]): Promise<ApplyOutcome> {
    if (deltas.length === 0) throw new Error('no deltas to apply');
    if (deltas.length > 99) throw new Error(`an event moves at most 99 buckets, got ${deltas.length}`);
    const TableName = this.#table.name;
    const kind = tableSpec.kindAttribute;
    const marker = { ...outcomeMarkerKey(eventId), [kind]: OUTCOME_MARKER_KIND, event_type: eventType };
    const updates = deltas.map((delta) => {
      const names: Record<string, string> = { '#kind': kind, '#scope': 'scope', '#period': 'period' };
      const values: Record<string, unknown> = { ':kind': OUTCOME_BUCKET_KIND, ':scope': delta.scope, ':period': delta.period };
      const adds = Object.entries(delta.add).map(([name, d], i) => {
        names[`#a${i}`] = name;
        values[`:a${i}`] = d;
        return `#a${i} :a${i}`;
      });
      return {
        Update: {
          TableName,
          Key: { pk: outcomeBuckets(delta.scope), sk: delta.period },
          UpdateExpression: `SET #kind = :kind, #scope = :scope, #period = :period ADD ${adds.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      };
    });
    const command = new TransactWriteCommand({
      TransactItems: [{ Put: { TableName, Item: marker, ConditionExpression: 'attribute_not_exists(pk)' } }, ...updates],
      ReturnConsumedCapacity: 'TOTAL',
    });
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#table.client.send(command);
        return 'applied';
      } catch (error) {
        if (error instanceof TransactionCanceledException) {
          const reasons = error.CancellationReasons ?? [];
          if (reasons[0]?.Code === 'ConditionalCheckFailed') return 'duplicate';
          // Another event's transaction held a bucket (the company's day, say): try again.
          if (reasons.some((r) => r.Code === 'TransactionConflict') && attempt < 8) {
            await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 20 * attempt));
            continue;
          }
        }
        throw error;
      }
    }
  }

  async read(scopes: readonly string[], plan: WindowPlan): Promise<Record<string, unknown>[]> {
    const reads = scopes.flatMap((scope) => plan.ranges.map((range) => this.#range(scope, range)));
    return (await Promise.all(reads)).flat();
  }

  async #range(scope: string, [from, to]: readonly [string, string]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    // ≤ 31 day items or ≤ 12 month items: one page, in practice.
    do {
      const out = await this.#table.client.send(
        new QueryCommand({
          TableName: this.#table.name,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': outcomeBuckets(scope), ':from': from, ':to': to },
          ConsistentRead: false,
          ReturnConsumedCapacity: 'TOTAL',
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}

/** Stage categories never change (closed stages are fixed, F4.2): cached for the container's life. */
export class DynamoOutcomeDirectory implements OutcomeDirectory {
  readonly #table: Table;
  readonly #categories = new Map<string, string | undefined>();
  constructor(table: Table) {
    this.#table = table;
  }

  async stageCategory(stageId: string): Promise<string | undefined> {
    if (this.#categories.has(stageId)) return this.#categories.get(stageId);
    const item = await this.#table.get(stageKey(stageId), { consistent: false });
    const category = item?.category === undefined ? undefined : String(item.category);
    if (category !== undefined) this.#categories.set(stageId, category);
    return category;
  }

  async teamOf(userId: string): Promise<string | null> {
    const item = await this.#table.get(userKey(userId), { consistent: false });
    return typeof item?.team_id === 'string' ? item.team_id : null;
  }
}
