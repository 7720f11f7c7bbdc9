import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dealIndex } from '#shared/deals/dynamodb.ts';
import { leadIndex } from '#shared/leads/dynamodb.ts';
import { stageKey } from '#shared/pipelines/dynamodb.ts';
import { userKey } from '#shared/platform/dynamodb/keys.ts';
import { tableKeys, tablePartitions } from '#shared/platform/dynamodb/partitions.ts';
import { tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import { fromItem, type Table } from '#shared/platform/dynamodb/table.ts';
import { RECORDS_ATTRIBUTE, type BucketDelta, type OutcomeContribution, type OutcomeHead, type WindowPlan } from './domain.ts';
import type { OutcomeDirectory, OutcomeRecordRef, OutcomeSource, OutcomeStore } from './ports.ts';

// The outcome read model in the CRM table:
//   pk "outcomes#<scope>" (scope: "user#<id>", "team#<id>", "company"), sk "day#YYYY-MM-DD" or
//   "month#YYYY-MM": a bucket; attributes c_<kind>_<currency> (count), v_<kind>_<currency>
//   (minor units) and `records` (contributions held, all kinds).
//   pk "outcome#<deal|lead>#<id>", sk "outcome_head": a record's head (version applied,
//   tombstone, the contribution it counts with its scopes).
// One transaction per change: the head, conditional on being as read, and the bucket updates.
// A bucket attribute brought to 0 is removed and a bucket left with no contribution is deleted
// (conditional on the values read), so the items are a function of the heads alone: replaying
// events in any order, skipping any, writes the same items. No item holds a write time.

/** The buckets of one scope (scopeKey of the domain). */
export const outcomeBuckets = tablePartitions<[scope: string]>('outcomes');
/** A deal's or lead's head. */
export const outcomeHeadKey = tableKeys<[type: string, id: string]>('outcome', 'outcome_head');

export const OUTCOME_BUCKET_KIND = 'outcome_bucket';
export const OUTCOME_HEAD_KIND = 'outcome_head';

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

export class DynamoOutcomeStore implements OutcomeStore {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async head(record: OutcomeRecordRef): Promise<OutcomeHead | undefined> {
    const item = await this.#table.get(outcomeHeadKey(record.type, record.id), { consistent: true });
    if (!item) return undefined;
    return {
      version: Number(item.version),
      deleted: item.deleted === true,
      contribution: (item.contribution ?? null) as OutcomeContribution | null,
    };
  }

  async advance(
    record: OutcomeRecordRef,
    expected: OutcomeHead | undefined,
    next: OutcomeHead,
    deltas: readonly BucketDelta[],
  ): Promise<boolean> {
    if (deltas.length > 24) throw new Error(`a change moves at most 24 buckets, got ${deltas.length}`);
    const TableName = this.#table.name;
    const headPut = {
      TableName,
      Item: {
        ...outcomeHeadKey(record.type, record.id),
        [tableSpec.kindAttribute]: OUTCOME_HEAD_KIND,
        record_type: record.type,
        record_id: record.id,
        version: next.version,
        deleted: next.deleted,
        contribution: next.contribution,
      },
      ...(expected === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: '#version = :version AND #deleted = :deleted',
            ExpressionAttributeNames: { '#version': 'version', '#deleted': 'deleted' },
            ExpressionAttributeValues: { ':version': expected.version, ':deleted': expected.deleted },
          }),
    };
    try {
      if (deltas.length === 0) {
        await this.#table.client.send(new PutCommand(headPut));
        return true;
      }
      const buckets = await Promise.all(deltas.map((delta) => this.#bucketWrite(delta)));
      await this.#table.client.send(
        new TransactWriteCommand({ TransactItems: [{ Put: headPut }, ...buckets], ReturnConsumedCapacity: 'TOTAL' }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      if (
        error instanceof TransactionCanceledException &&
        (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict')
      ) {
        return false;
      }
      throw error;
    }
  }

  /**
   * One bucket's write: an ADD; or, where the delta takes something away, the same conditional
   * on the attributes it touches being as read (consistent), the ones it brings to 0 removed,
   * or the whole item deleted when it would hold no contribution (conditional on `records`).
   */
  async #bucketWrite(delta: BucketDelta): Promise<TransactItem> {
    const TableName = this.#table.name;
    const Key = { pk: outcomeBuckets(delta.scope), sk: delta.period };
    const subtracts = Object.values(delta.add).some((d) => d < 0);
    const current = subtracts
      ? ((await this.#table.client.send(new GetCommand({ TableName, Key, ConsistentRead: true }))).Item ?? {})
      : {};
    const after = (name: string) => Number(current[name] ?? 0) + (delta.add[name] ?? 0);
    if (subtracts && after(RECORDS_ATTRIBUTE) === 0) {
      return {
        Delete: {
          TableName,
          Key,
          ConditionExpression: '#records = :records',
          ExpressionAttributeNames: { '#records': RECORDS_ATTRIBUTE },
          ExpressionAttributeValues: { ':records': current[RECORDS_ATTRIBUTE] },
        },
      };
    }
    const names: Record<string, string> = { '#kind': tableSpec.kindAttribute, '#scope': 'scope', '#period': 'period' };
    const values: Record<string, unknown> = { ':kind': OUTCOME_BUCKET_KIND, ':scope': delta.scope, ':period': delta.period };
    const adds: string[] = [];
    const removes: string[] = [];
    const conditions: string[] = [];
    Object.entries(delta.add).forEach(([name, d], i) => {
      names[`#a${i}`] = name;
      // A write that takes away must know its results exactly (to remove what reaches 0), so
      // it holds only if what it touches is still as read; another writer's change retries it.
      if (subtracts && current[name] === undefined) conditions.push(`attribute_not_exists(#a${i})`);
      else if (subtracts) {
        conditions.push(`#a${i} = :was${i}`);
        values[`:was${i}`] = current[name];
      }
      if (after(name) === 0) removes.push(`#a${i}`);
      else {
        adds.push(`#a${i} :a${i}`);
        values[`:a${i}`] = d;
      }
    });
    return {
      Update: {
        TableName,
        Key,
        UpdateExpression: [
          'SET #kind = :kind, #scope = :scope, #period = :period',
          ...(adds.length > 0 ? [`ADD ${adds.join(', ')}`] : []),
          ...(removes.length > 0 ? [`REMOVE ${removes.join(', ')}`] : []),
        ].join(' '),
        ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
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

const COLLECTIONS = { deal: dealIndex.all, lead: leadIndex.all } as const;

/**
 * The backfill's records: deals' or leads' "all" collection (gsi2) in key order, a page a
 * Query. Positions are the Query's LastEvaluatedKey as JSON (the migration's checkpoint).
 */
export class DynamoOutcomeSource implements OutcomeSource {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async page(
    type: keyof typeof COLLECTIONS,
    after: string | null,
    limit: number,
  ): Promise<{ records: Record<string, unknown>[]; next: string | null }> {
    const chunk = await this.#table.chunk(COLLECTIONS[type](), after, limit);
    return { records: chunk.items.map((item) => fromItem<Record<string, unknown>>(item)), next: chunk.next };
  }
}
