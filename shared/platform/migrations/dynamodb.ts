import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { domainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { MIGRATION_CONTINUE_EVENT, type MigrationMarker, type MigrationStore } from './runner.ts';

// Migration markers on the single table: "migration#<id>" / "migration", with the status, the
// checkpoint, and the lease (holder, until: epoch ms). A lease is taken with a conditional
// update (free, expired, or already ours), and every checkpoint is conditional on still
// holding it, so two runs never both write past the same checkpoint.

export const migrationKey = tableKeys<[id: string]>('migration', 'migration');

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed'));

export class DynamoMigrationStore implements MigrationStore {
  readonly #table: Table;
  readonly #now: () => number;
  constructor(table: Table, now: () => number = Date.now) {
    this.#table = table;
    this.#now = now;
  }

  async get(id: string): Promise<MigrationMarker | undefined> {
    const item = await this.#table.get(migrationKey(id));
    if (!item) return undefined;
    return {
      id,
      status: item.status === 'done' ? 'done' : 'running',
      checkpoint: typeof item.checkpoint === 'string' ? item.checkpoint : null,
      chunks: Number(item.chunks ?? 0),
    };
  }

  async acquire(id: string, holder: string, leaseUntil: number): Promise<MigrationMarker | undefined> {
    const out = await this.#update(id, {
      UpdateExpression:
        'SET #holder = :holder, #until = :until, #status = if_not_exists(#status, :running), #chunks = if_not_exists(#chunks, :zero), #kind = :kind',
      ConditionExpression:
        'attribute_not_exists(pk) OR (#status <> :done AND (attribute_not_exists(#until) OR #until < :now OR #holder = :holder))',
      values: {
        ':holder': holder,
        ':until': leaseUntil,
        ':running': 'running',
        ':zero': 0,
        ':done': 'done',
        ':now': this.#now(),
        ':kind': 'migration',
      },
      names: { '#kind': 'kind' },
    });
    if (!out) return undefined;
    return {
      id,
      status: 'running',
      checkpoint: typeof out.checkpoint === 'string' ? out.checkpoint : null,
      chunks: Number(out.chunks ?? 0),
    };
  }

  async checkpoint(id: string, holder: string, checkpoint: string, chunks: number, leaseUntil: number): Promise<boolean> {
    return (
      (await this.#update(id, {
        UpdateExpression: 'SET #checkpoint = :checkpoint, #chunks = :chunks, #until = :until',
        ConditionExpression: '#holder = :holder AND #status <> :done',
        values: { ':checkpoint': checkpoint, ':chunks': chunks, ':until': leaseUntil, ':holder': holder, ':done': 'done' },
      })) !== undefined
    );
  }

  async finish(id: string, holder: string, chunks: number): Promise<boolean> {
    return (
      (await this.#update(id, {
        UpdateExpression: 'SET #status = :done, #chunks = :chunks REMOVE #holder, #until, #checkpoint',
        ConditionExpression: '#holder = :holder',
        values: { ':done': 'done', ':chunks': chunks, ':holder': holder },
      })) !== undefined
    );
  }

  async pause(id: string, holder: string): Promise<boolean> {
    const now = new Date(this.#now());
    const event = domainEvent(
      { actor_id: 'system', correlation_id: `migration-${id}`, now, newId: () => newId(now.getTime()) },
      MIGRATION_CONTINUE_EVENT,
      { resource_type: 'migration', resource_id: id },
      { migration_id: id },
    );
    try {
      await this.#table.write(
        [
          {
            type: 'update',
            key: migrationKey(id),
            update: 'SET #until = :zero',
            condition: '#holder = :holder',
            names: { '#until': 'lease_until', '#holder': 'lease_holder' },
            values: { ':zero': 0, ':holder': holder },
          },
        ],
        [event],
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error) || (error as Error).name === 'UnexpectedWriteConflict') return false;
      throw error;
    }
  }

  async #update(
    id: string,
    request: {
      UpdateExpression: string;
      ConditionExpression: string;
      values: Record<string, unknown>;
      names?: Record<string, string>;
    },
  ): Promise<Record<string, unknown> | undefined> {
    const names: Record<string, string> = {
      '#holder': 'lease_holder',
      '#until': 'lease_until',
      '#status': 'status',
      '#chunks': 'chunks',
      '#checkpoint': 'checkpoint',
      ...request.names,
    };
    const used = Object.fromEntries(
      Object.entries(names).filter(([n]) => `${request.UpdateExpression} ${request.ConditionExpression}`.includes(n)),
    );
    try {
      const out = await this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.name,
          Key: migrationKey(id),
          UpdateExpression: request.UpdateExpression,
          ConditionExpression: request.ConditionExpression,
          ExpressionAttributeNames: used,
          ExpressionAttributeValues: request.values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ?? {};
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }
}
