import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LAST_USED_RESOLUTION_MS, MAX_TOKENS_PER_USER, type StoredAccessToken } from './domain.ts';
import type { AccessTokenRepository, TokenOwner } from './ports.ts';
import { indexKeys, indexPartitions, tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import { INDEX } from '#shared/platform/dynamodb/table-spec.ts';
import { fromItem, type Item, type Table } from '#shared/platform/dynamodb/table.ts';

// Personal access tokens on the single table: the token ("access_token#<id>" / "access_token",
// listed per user in gsi1 "access_token#<user>") and its hash item ("access_token_hash#<sha256>"
// / "unique": the owner), written and deleted in one transaction, so a revoked token's hash
// stops resolving at once. The authorizer reads the hash item only.

export const accessTokenKey = tableKeys<[id: string]>('access_token', 'access_token');
export const accessTokenHashKey = tableKeys<[hash: string]>('access_token_hash', 'unique');
export const accessTokenIndex = {
  byUser: indexPartitions<[userId: string]>(INDEX.owner, 'access_token'),
};

export class DynamoAccessTokenRepository implements AccessTokenRepository {
  readonly #table: Table;

  constructor(table: Table) {
    this.#table = table;
  }

  async create(token: StoredAccessToken): Promise<void> {
    await this.#table.write([
      {
        type: 'create',
        item: {
          ...accessTokenKey(token.id),
          ...indexKeys(token.id, accessTokenIndex.byUser(token.user_id)),
          kind: 'access_token',
          ...token,
        },
      },
      {
        type: 'create',
        item: { ...accessTokenHashKey(token.hash), kind: 'unique', token_id: token.id, user_id: token.user_id },
      },
    ]);
  }

  async listByUser(userId: string): Promise<StoredAccessToken[]> {
    const { items } = await this.#table.collect(
      { partitions: [accessTokenIndex.byUser(userId)], order: 'asc' },
      MAX_TOKENS_PER_USER + 1,
    );
    return items.map(read);
  }

  async get(id: string): Promise<StoredAccessToken | undefined> {
    const item = await this.#table.get(accessTokenKey(id));
    return item ? read(item) : undefined;
  }

  async delete(token: StoredAccessToken): Promise<void> {
    await this.#table.write([
      { type: 'remove', key: accessTokenKey(token.id) },
      { type: 'remove', key: accessTokenHashKey(token.hash) },
    ]);
  }

  async findByHash(hash: string): Promise<TokenOwner | undefined> {
    const item = await this.#table.get(accessTokenHashKey(hash));
    return item ? { token_id: String(item.token_id), user_id: String(item.user_id) } : undefined;
  }

  async touch(id: string, at: Date): Promise<void> {
    const before = new Date(at.getTime() - LAST_USED_RESOLUTION_MS).toISOString();
    try {
      await this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.name,
          Key: accessTokenKey(id),
          UpdateExpression: 'SET last_used_at = :now',
          // Only a live token, and at most once a minute: a busy integration costs one write a minute.
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(last_used_at) OR last_used_at = :null OR last_used_at <= :before)',
          ExpressionAttributeValues: { ':now': at.toISOString(), ':before': before, ':null': null },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

function read(item: Item): StoredAccessToken {
  const { id, user_id, name, prefix, created_at, last_used_at, hash } = fromItem<StoredAccessToken>(item);
  return { id, user_id, name, prefix, created_at, last_used_at: last_used_at ?? null, hash };
}
