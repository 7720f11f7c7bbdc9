import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import { idempotencyPartition } from '#shared/platform/dynamodb/table.ts';

// Idempotency-Key on POST (X4), with Powertools idempotency on the CRM's own table: the
// first answer is stored for 24 h and returned for a repeat; the same key with another body
// is refused (IdempotencyValidationError, mapped to 422). Keys are scoped per caller and
// route, so two users can never collide.

export interface IdempotentCall {
  key: string;
  body: unknown;
}

let persistence: DynamoDBPersistenceLayer | undefined;

function persistenceLayer(): DynamoDBPersistenceLayer {
  persistence ??= new DynamoDBPersistenceLayer({
    tableName: requiredEnv('TABLE_NAME'),
    keyAttr: tableSpec.partitionKey,
    sortKeyAttr: tableSpec.sortKey,
    staticPkValue: idempotencyPartition(),
    expiryAttr: tableSpec.timeToLiveAttribute,
    awsSdkV3Client: dynamoDocumentClient(),
  });
  return persistence;
}

export async function runIdempotent<T>(call: IdempotentCall, context: Context, run: () => Promise<T>): Promise<T> {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'key',
    payloadValidationJmesPath: 'body',
    expiresAfterSeconds: 24 * 60 * 60,
    throwOnNoIdempotencyKey: true,
  });
  config.registerLambdaContext(context);
  const once = makeIdempotent(async (_call: IdempotentCall) => run(), { persistenceStore: persistenceLayer(), config });
  return once(call) as Promise<T>;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
