import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import { ensureTable } from '#infra/local/dynamodb-local.ts';
import { Table, type RequestMeter } from '#shared/platform/dynamodb/table.ts';
import { CursorCodec } from '#shared/platform/dynamodb/cursor.ts';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';

export const TEST_CURSOR_SECRET = 'test-cursor-secret-0123456789';

/**
 * A fresh table for this test file in the shared DynamoDB Local, with the runtime variables
 * the handlers read pointed at it. Call before importing handler modules.
 */
export async function useTestTable(): Promise<{ tableName: string; endpoint: string; streamArn: string }> {
  const endpoint = inject('dynamoEndpoint');
  const tableName = `crm-test-${randomBytes(4).toString('hex')}`;
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    TABLE_NAME: tableName,
    CURSOR_SECRET: TEST_CURSOR_SECRET,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    CRM_VALIDATE_RESPONSES: 'true',
  });
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
