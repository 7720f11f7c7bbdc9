import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '#infra/config/load.ts';
import { functionSpec, type FunctionNeeds, type FunctionSpec } from '#infra/functions.ts';
import { ensureTable } from '#infra/local/dynamodb-local.ts';
import {
  cursorSecretName,
  LOCAL_ACCOUNT_ID,
  localEnvironmentValues,
  localFunctionEnvironment,
  RUNTIME_VARIABLE_NAMES,
} from '#infra/local/environment.ts';
import { ensureLocalSecret, startLocalSecretsManager, type LocalSecretsManager } from '#infra/local/secrets-manager.ts';
import { Table, type RequestMeter } from '#shared/platform/dynamodb/table.ts';
import { CursorCodec } from '#shared/platform/dynamodb/cursor.ts';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';

export const TEST_CURSOR_SECRET = 'test-cursor-secret-0123456789';

/**
 * What integration tests do in their own process: act as the record families' functions at
 * once (write records, run their use cases and adapters), so they get those functions' needs.
 */
const IN_PROCESS_NEEDS: FunctionNeeds = {
  table: 'readWrite',
  cursorSecret: 'read',
  config: ['accountDefaults', 'adminMfaRequired'],
};

/** This test file's Secrets Manager stand-in, holding the cursor key (TEST_CURSOR_SECRET). */
let secretsManager: LocalSecretsManager | undefined;

/**
 * This worker's DynamoDB Local (the integration project's global setup starts one per worker):
 * VITEST_POOL_ID numbers the workers from 1.
 */
export function testDynamoEndpoint(): string {
  const endpoints = inject('dynamoEndpoints');
  const worker = Number(process.env.VITEST_POOL_ID ?? '1');
  return endpoints[(Math.max(1, worker) - 1) % endpoints.length]!;
}

/**
 * A fresh table for this test file in the shared DynamoDB Local, and this process's
 * environment set as a function's would be, from the registry (infra/functions.ts) plus the
 * local endpoint and credentials: `as` names the function (a test that imports its handler
 * module); without it, the record families' needs. Every other runtime variable is removed,
 * so a test needing one its function does not declare fails as the function would in AWS.
 * Call before importing handler modules.
 */
export async function useTestTable(
  options: { as?: string } = {},
): Promise<{ tableName: string; endpoint: string; streamArn: string }> {
  const endpoint = testDynamoEndpoint();
  const tableName = `crm-test-${randomBytes(4).toString('hex')}`;
  const config = loadConfig();
  const spec: FunctionSpec = options.as
    ? functionSpec(options.as)
    : { name: 'test', kind: 'http', entry: '', description: 'integration tests', timeoutSeconds: 20, needs: IN_PROCESS_NEEDS };
  secretsManager ??= await startLocalSecretsManager({ scope: { accountId: LOCAL_ACCOUNT_ID, region: config.region } });
  const secret = await ensureLocalSecret({
    endpoint: secretsManager.endpoint,
    region: config.region,
    name: cursorSecretName(config),
    value: TEST_CURSOR_SECRET,
  });
  const env = localFunctionEnvironment(spec, {
    config,
    endpoints: { dynamodb: endpoint, secretsmanager: secretsManager.endpoint },
    values: localEnvironmentValues(config, { tableName, cursorSecret: secret.arn, logLevel: 'ERROR' }),
    settings: { validateResponses: true },
  });
  for (const name of RUNTIME_VARIABLE_NAMES) delete process.env[name];
  Object.assign(process.env, env);
  const { streamArn } = await ensureTable(endpoint, tableName);
  return { tableName, endpoint, streamArn };
}

export class CountingMeter implements RequestMeter {
  readonly calls: { operation: string; capacity: number | undefined }[] = [];
  count(operation: string, capacity?: number): void {
    this.calls.push({ operation, capacity });
  }
  reset(): void {
    this.calls.length = 0;
  }
  get total(): number {
    return this.calls.length;
  }
}

export function testTableClient(tableName: string, meter?: RequestMeter): Table {
  return new Table({
    client: dynamoDocumentClient(),
    name: tableName,
    cursors: new CursorCodec(TEST_CURSOR_SECRET),
    ...(meter ? { meter } : {}),
  });
}
