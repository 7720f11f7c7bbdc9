import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { tableKeys, tablePartitions } from '#shared/platform/dynamodb/partitions.ts';
import { tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import type { Key, Table } from '#shared/platform/dynamodb/table.ts';
import type { LiveConnections, LiveTickets } from './ports.ts';

// Tickets are items "live_ticket#<sha-256 of the ticket>" / "ticket" holding their user and
// expiry (the table's TTL attribute, in epoch seconds); redeeming one is a conditional delete,
// so it works once. A user's connections are one partition "live_connections#<user>", one item
// per connection (sk "c#<connection id>"), expiring with API Gateway's 2-hour limit. DynamoDB
// deletes expired items late (within days), so every read checks the expiry itself.

/** A ticket's item, by its hash. */
export const liveTicketKey = tableKeys<[hash: string]>('live_ticket', 'ticket');
/** A user's open connections. */
export const liveConnectionsPartition = tablePartitions<[userId: string]>('live_connections');

const CONNECTION_PREFIX = 'c#';
/** More connections than this for one user are left out of a push (tabs are few; this bounds a Query). */
const MAX_CONNECTIONS = 100;

const epochSeconds = (at: Date) => Math.floor(at.getTime() / 1000);
const connectionKey = (userId: string, connectionId: string): Key => ({
  pk: liveConnectionsPartition(userId),
  sk: `${CONNECTION_PREFIX}${connectionId}`,
});

export class DynamoLiveTickets implements LiveTickets {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async issue(hash: string, userId: string, expiresAt: Date): Promise<void> {
    await this.#table.client.send(
      new PutCommand({
        TableName: this.#table.name,
        Item: {
          ...liveTicketKey(hash),
          [tableSpec.kindAttribute]: 'live_ticket',
          user_id: userId,
          [tableSpec.timeToLiveAttribute]: epochSeconds(expiresAt),
        },
        // 256 random bits never collide; a clash would be a bug, never a reason to overwrite.
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async consume(hash: string, now: Date): Promise<string | undefined> {
    try {
      const out = await this.#table.client.send(
        new DeleteCommand({
          TableName: this.#table.name,
          Key: liveTicketKey(hash),
          ConditionExpression: 'attribute_exists(pk) AND #expires > :now',
          ExpressionAttributeNames: { '#expires': tableSpec.timeToLiveAttribute },
          ExpressionAttributeValues: { ':now': epochSeconds(now) },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return out.Attributes?.user_id as string | undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}

export class DynamoLiveConnections implements LiveConnections {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async add(userId: string, connectionId: string, expiresAt: Date): Promise<void> {
    await this.#table.client.send(
      new PutCommand({
        TableName: this.#table.name,
        Item: {
          ...connectionKey(userId, connectionId),
          [tableSpec.kindAttribute]: 'live_connection',
          connection_id: connectionId,
          [tableSpec.timeToLiveAttribute]: epochSeconds(expiresAt),
        },
      }),
    );
  }

  async remove(userId: string, connectionId: string): Promise<void> {
    await this.#table.client.send(new DeleteCommand({ TableName: this.#table.name, Key: connectionKey(userId, connectionId) }));
  }

  async of(userId: string, now: Date): Promise<string[]> {
    const out = await this.#table.client.send(
      new QueryCommand({
        TableName: this.#table.name,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': liveConnectionsPartition(userId), ':prefix': CONNECTION_PREFIX },
        ConsistentRead: true,
        Limit: MAX_CONNECTIONS,
      }),
    );
    const at = epochSeconds(now);
    return (out.Items ?? [])
      .filter((item) => Number(item[tableSpec.timeToLiveAttribute]) > at)
      .map((item) => String(item.connection_id));
  }
}
