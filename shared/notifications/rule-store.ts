import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '#shared/kernel/errors.ts';
import { indexKeys, indexPartitions, tablePartitions } from '#shared/platform/dynamodb/partitions.ts';
import { INDEX, indexAttributes, tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import type { Item, Key, Table } from '#shared/platform/dynamodb/table.ts';
import type { NotificationRuleStore, OwnedRule } from './rule-use-cases.ts';
import type { NotificationRule, RuleResource } from './rules.ts';

// Users' notification rules. A user's rules sit in one partition "notification_rule#<user>"
// (sk "rule#<id>", and sk "count": how many they hold, kept in each create's and delete's
// transaction so the limit holds under concurrent creates). Each rule also projects into its
// resource type's partition of the relation index, "notification_rule_resource#<type>" (sort
// key "<user>#<id>"), which holds every user's rules of that type: the notifications consumer
// reads it with one paged Query per event. Nothing is cached: a rule changed or deleted
// applies to the next event.

/** A user's rules partition. */
export const notificationRulePartition = tablePartitions<[userId: string]>('notification_rule');

/** Every user's rules of one resource type. */
export const notificationRuleIndex = {
  byResource: indexPartitions<[resource: RuleResource]>(INDEX.relation, 'notification_rule_resource'),
};

const RULE_PREFIX = 'rule#';
const CREATE_ATTEMPTS = 10;
const ruleKey = (userId: string, id: string): Key => ({ pk: notificationRulePartition(userId), sk: `${RULE_PREFIX}${id}` });
const countKey = (userId: string): Key => ({ pk: notificationRulePartition(userId), sk: 'count' });

/** The stored item of a rule (the rule under `body`, its owner beside it). */
export function ruleItem(userId: string, rule: NotificationRule): Item {
  return {
    ...ruleKey(userId, rule.id),
    ...indexKeys(`${userId}#${rule.id}`, notificationRuleIndex.byResource(rule.resource)),
    [tableSpec.kindAttribute]: 'notification_rule',
    user_id: userId,
    version: rule.version,
    body: rule,
  };
}

const cancelled = (error: unknown): (string | undefined)[] | undefined =>
  error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []).map((r) => r.Code) : undefined;

export class DynamoNotificationRuleStore implements NotificationRuleStore {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async list(userId: string): Promise<NotificationRule[]> {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.#table.client.send(
        new QueryCommand({
          TableName: this.#table.name,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': notificationRulePartition(userId), ':prefix': RULE_PREFIX },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    // Ids are ULIDs: creation order.
    return items.map((i) => i.body as NotificationRule);
  }

  async get(userId: string, id: string): Promise<NotificationRule | undefined> {
    const item = await this.#table.get(ruleKey(userId, id));
    return item ? (item.body as NotificationRule) : undefined;
  }

  async create(userId: string, rule: NotificationRule, max: number): Promise<void> {
    const writes = new TransactWriteCommand({
      TransactItems: [
        {
          Update: {
            TableName: this.#table.name,
            Key: countKey(userId),
            UpdateExpression: 'ADD #n :one SET #kind = :kind',
            ConditionExpression: 'attribute_not_exists(#n) OR #n < :max',
            ExpressionAttributeNames: { '#n': 'rules', '#kind': tableSpec.kindAttribute },
            ExpressionAttributeValues: { ':one': 1, ':max': max, ':kind': 'notification_rule_count' },
          },
        },
        { Put: { TableName: this.#table.name, Item: ruleItem(userId, rule), ConditionExpression: 'attribute_not_exists(pk)' } },
      ],
    });
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#table.client.send(writes);
        return;
      } catch (error) {
        const reasons = cancelled(error);
        if (reasons?.[0] === 'ConditionalCheckFailed') {
          throw ValidationError.field('body', `a user holds at most ${max} notification rules; delete one first`, {
            code: 'notification_rule.limit_reached',
          });
        }
        // Concurrent creates of one user race on the count: try again, a few times.
        if (!reasons?.includes('TransactionConflict') || attempt >= CREATE_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
      }
    }
  }

  async replace(userId: string, before: NotificationRule, after: NotificationRule): Promise<boolean> {
    try {
      await this.#table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#table.name,
                Item: ruleItem(userId, after),
                ConditionExpression: '#v = :v',
                ExpressionAttributeNames: { '#v': 'version' },
                ExpressionAttributeValues: { ':v': before.version },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (cancelled(error)) return false;
      throw error;
    }
  }

  async delete(userId: string, id: string): Promise<boolean> {
    try {
      await this.#table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: { TableName: this.#table.name, Key: ruleKey(userId, id), ConditionExpression: 'attribute_exists(pk)' },
            },
            {
              Update: {
                TableName: this.#table.name,
                Key: countKey(userId),
                UpdateExpression: 'ADD #n :minus',
                ExpressionAttributeNames: { '#n': 'rules' },
                ExpressionAttributeValues: { ':minus': -1 },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (cancelled(error)?.[0] === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  async forResource(resource: RuleResource): Promise<OwnedRule[]> {
    const partition = notificationRuleIndex.byResource(resource);
    const { partitionKey } = indexAttributes(partition.index);
    const rules: OwnedRule[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.#table.client.send(
        new QueryCommand({
          TableName: this.#table.name,
          IndexName: partition.index,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': partitionKey },
          ExpressionAttributeValues: { ':pk': partition.pk },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) rules.push({ user_id: String(item.user_id), rule: item.body as NotificationRule });
      start = out.LastEvaluatedKey;
    } while (start);
    return rules;
  }
}
