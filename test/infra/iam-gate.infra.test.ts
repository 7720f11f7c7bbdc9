import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CfnElement } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import sesLocalModule from 'aws-ses-v2-local';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient, ExecuteStatementCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateScheduleCommand, DeleteScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { SendEmailCommand, SendRawEmailCommand, SESClient } from '@aws-sdk/client-ses';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { functionSpecs } from '#infra/functions.ts';
import { ensureTable, startDynamoDbLocal, type DynamoDbLocal } from '#infra/local/dynamodb-local.ts';
import { LocalEventBus, serveLocalBus, type BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { functionAccessKeyId, LOCAL_ADMIN_ACCESS_KEY_ID, startIamGate, type IamGate } from '#infra/local/iam/gate.ts';
import type { Statement } from '#infra/local/iam/policy.ts';
import {
  functionPolicies,
  templatesFromCloudAssembly,
  TemplateResolver,
  type CfnTemplate,
  type FunctionPolicy,
  type TemplateResourceRef,
} from '#infra/local/iam/template-policies.ts';
import { freePort } from '#infra/local/ports.ts';
import { cursorSecretName } from '#infra/local/environment.ts';
import { ensureLocalSecret, startLocalSecretsManager, type LocalSecretsManager } from '#infra/local/secrets-manager.ts';
import { startLocalScheduler, type LocalScheduler } from '#infra/local/scheduler.ts';
import { CognitoUserDirectory } from '#shared/identity/cognito.ts';
import { EVENT_SOURCE, type DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { CursorCodec } from '#shared/platform/dynamodb/cursor.ts';
import { tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import { Table } from '#shared/platform/dynamodb/table.ts';
import { EventBridgePublisher } from '#shared/platform/eventbridge.ts';
import { SEARCH_KINDS } from '#shared/search/domain.ts';
import { DynamoSearchIndex } from '#shared/search/dynamodb.ts';
import { shippedConfig, synthCrmApp, type SynthesizedCrmApp } from './crm-app.ts';

// Least privilege on a laptop: every function's policy is read from the synthesized templates,
// and its SDK calls, signed with its own access key, go through IAM gates in front of the real
// DynamoDB Local, local bus, Scheduler emulator, SES local and the local Secrets Manager.
// Cognito and SQS have no local emulator yet: a recording loopback server stands behind their
// gates, so only the gate's decision is under test there.
//
// No registry function needs the schedule group or the mailer yet (no function schedules reminders
// or sends mail today), so the synthesis adds those needs to "tasks" and "identity" through
// CrmFunction.addNeeds: their grants are then exactly what the stacks will deploy.

const ACCOUNT = '000000000000';
const config = shippedConfig();
const REGION = config.region;
const TABLE_NAME = 'crm';
const BUS_NAME = 'crm';
const TABLE = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${TABLE_NAME}`;
const BUS = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${BUS_NAME}`;

/** The local cloud names its table and bus "crm" (infra/local/cloud.ts), whatever the stage. */
const localNames = (resource: TemplateResourceRef) =>
  resource.type === 'AWS::DynamoDB::Table' || resource.type === 'AWS::Events::EventBus' ? TABLE_NAME : undefined;

let crm: SynthesizedCrmApp;
let templates: Record<string, CfnTemplate>;
let resolver: TemplateResolver;
let policies: Map<string, FunctionPolicy>;
let dynamo: DynamoDbLocal;
let streamArn: string;
let bus: LocalEventBus;
let busServer: Server;
const delivered: BusEvent[] = [];
let standIn: Server;
const standInCalls: string[] = [];
const gates: Record<'dynamodb' | 'events' | 'cognito-idp' | 'sqs' | 'scheduler' | 'ses' | 'secretsmanager', IamGate> =
  {} as never;
/** The local Secrets Manager behind its gate, holding the cursor key at the ARN the templates resolve to. */
let secrets: LocalSecretsManager;
let cursorSecretArn: string;
let userPoolId: string;
let queueName: string;
let reminderRoleArn: string;
let scheduler: LocalScheduler;
let ses: Server;
const SCHEDULER_FUNCTION = 'tasks';
const MAILER_FUNCTION = 'identity';
const GROUP = `crm-${config.stage}`;
const refusals: string[] = [];

beforeAll(async () => {
  let reminderRole: iam.Role | undefined;
  crm = synthCrmApp(config, ({ stateless }) => {
    reminderRole = new iam.Role(stateless, 'ProbeReminderTargetRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
    });
    stateless.httpFunctions.get(SCHEDULER_FUNCTION)!.addNeeds({ scheduleGroup: true }, { schedulerTargetRole: reminderRole });
    stateless.httpFunctions.get(MAILER_FUNCTION)!.addNeeds({ mailer: true });
  });
  templates = templatesFromCloudAssembly(crm.outdir);
  dynamo = await startDynamoDbLocal({ port: await freePort() });
  streamArn = (await ensureTable(dynamo.endpoint, TABLE_NAME)).streamArn;
  const streamLabel = streamArn.slice(streamArn.lastIndexOf('/') + 1);
  const options = { templates, stage: config.stage, accountId: ACCOUNT, region: REGION, streamLabel, physicalName: localNames };
  resolver = new TemplateResolver(options);
  policies = new Map(functionPolicies(options));
  userPoolId = resolver.ref(crm.stateful.stackName, logicalIdOf(crm.stateful.stackName, 'AWS::Cognito::UserPool'));
  // The bus's dead-letter queue (the stateful stack also holds the SES events' own).
  const dlq = Object.entries(templates[crm.stateful.stackName]?.Resources ?? {}).find(
    ([id, r]) => r.Type === 'AWS::SQS::Queue' && id.startsWith('DeadLetterQueue'),
  );
  queueName = resolver.physicalName(crm.stateful.stackName, dlq![0]);
  reminderRoleArn = resolver.getAtt(
    crm.stateless.stackName,
    crm.stateless.getLogicalId(reminderRole!.node.defaultChild as CfnElement),
    'Arn',
  );

  bus = new LocalEventBus({ region: REGION });
  bus.addRule({ name: 'all', pattern: { source: [EVENT_SOURCE] }, target: async (event) => void delivered.push(event) });
  const served = await serveLocalBus(bus);
  busServer = served.server;

  standIn = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      standInCalls.push(String(req.headers['x-amz-target']));
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
  const standInUrl = `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`;

  const common = { scope: { accountId: ACCOUNT, region: REGION }, policies, onRefusal: (m: string) => void refusals.push(m) };
  gates.dynamodb = await startIamGate({ ...common, service: 'dynamodb', upstream: dynamo.endpoint });
  gates.events = await startIamGate({ ...common, service: 'events', upstream: served.endpoint });
  gates['cognito-idp'] = await startIamGate({ ...common, service: 'cognito-idp', upstream: standInUrl });
  gates.sqs = await startIamGate({ ...common, service: 'sqs', upstream: standInUrl });

  scheduler = await startLocalScheduler({ region: REGION, tickIntervalMs: 0, invoke: async () => undefined });
  gates.scheduler = await startIamGate({ ...common, service: 'scheduler', upstream: scheduler.endpoint });
  // CommonJS default export: under Node's ESM loader the function sits on `.default` (as in cloud.ts).
  const sesLocal = ((sesLocalModule as unknown as { default?: typeof sesLocalModule }).default ??
    sesLocalModule) as unknown as (c: { host: string; port: number }) => Promise<Server>;
  const sesPort = await freePort();
  ses = await sesLocal({ host: '127.0.0.1', port: sesPort });
  gates.ses = await startIamGate({ ...common, service: 'ses', upstream: `http://127.0.0.1:${sesPort}` });
  secrets = await startLocalSecretsManager({ scope: { accountId: ACCOUNT, region: REGION } });
  cursorSecretArn = (await ensureLocalSecret({ endpoint: secrets.endpoint, region: REGION, name: cursorSecretName(config) })).arn;
  gates.secretsmanager = await startIamGate({ ...common, service: 'secretsmanager', upstream: secrets.endpoint });
});

afterAll(async () => {
  for (const client of clients.values()) client.destroy();
  adminStreams?.destroy();
  adminScheduler?.destroy();
  await Promise.all(Object.values(gates).map((gate) => gate?.stop()));
  await new Promise<void>((resolve) => (standIn ? standIn.close(() => resolve()) : resolve()));
  await scheduler?.stop();
  await secrets?.stop();
  await new Promise<void>((resolve) => (ses ? (ses.closeAllConnections(), ses.close(() => resolve())) : resolve()));
  await bus?.idle();
  await new Promise<void>((resolve) => (busServer ? busServer.close(() => resolve()) : resolve()));
  await dynamo?.stop();
  crm?.dispose();
});

function logicalIdOf(stackName: string, type: string): string {
  const found = Object.entries(templates[stackName]?.Resources ?? {}).filter(([, r]) => r.Type === type);
  expect(found).toHaveLength(1);
  return found[0]![0];
}

// ---- Clients signed with a function's own key -------------------------------------------------------

const clients = new Map<string, { destroy(): void }>();
function client<T extends { destroy(): void }>(kind: string, fn: string, make: (config: object) => T): T {
  const key = `${kind}/${fn}`;
  if (!clients.has(key)) {
    const credentials = { accessKeyId: functionAccessKeyId(fn), secretAccessKey: 'local' };
    const endpoint = {
      dynamodb: gates.dynamodb,
      streams: gates.dynamodb,
      events: gates.events,
      cognito: gates['cognito-idp'],
      scheduler: gates.scheduler,
      ses: gates.ses,
      secretsmanager: gates.secretsmanager,
    }[kind]!.endpoint;
    clients.set(key, make({ endpoint, region: REGION, credentials, maxAttempts: 1 }));
  }
  return clients.get(key) as T;
}
const doc = (fn: string) => client('dynamodb', fn, (c) => DynamoDBDocumentClient.from(new DynamoDBClient(c)));
const streams = (fn: string) => client('streams', fn, (c) => new DynamoDBStreamsClient(c));
const events = (fn: string) => client('events', fn, (c) => new EventBridgeClient(c));
const cognito = (fn: string) => client('cognito', fn, (c) => new CognitoIdentityProviderClient(c));
const schedules = (fn: string) => client('scheduler', fn, (c) => new SchedulerClient(c));
const mailer = (fn: string) => client('ses', fn, (c) => new SESClient(c));
const secretsOf = (fn: string) => client('secretsmanager', fn, (c) => new SecretsManagerClient(c));
/** The cursor key's version labelled AWSCURRENT, read past the gate. */
async function currentVersionId(): Promise<string> {
  const admin = new SecretsManagerClient({
    endpoint: secrets.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const { VersionIdsToStages } = await admin.send(new DescribeSecretCommand({ SecretId: cursorSecretArn }));
  admin.destroy();
  return Object.entries(VersionIdsToStages!).find(([, stages]) => stages.includes('AWSCURRENT'))![0];
}
let adminScheduler: SchedulerClient | undefined;
const adminSchedules = () =>
  (adminScheduler ??= new SchedulerClient({
    endpoint: scheduler.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  }));
/** Straight to DynamoDB Local, to set up what a probe needs (shard ids, iterators). */
let adminStreams: DynamoDBStreamsClient | undefined;
const admin = () =>
  (adminStreams ??= new DynamoDBStreamsClient({
    endpoint: dynamo.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  }));

/**
 * An SQS JSON request as the SDK sends it (no SQS client is a dependency yet); throws an error
 * named as the SDK names it, from x-amzn-query-error, when the answer is not 200.
 */
async function sqs(fn: string, operation: string, body: object): Promise<void> {
  const response = await fetch(gates.sqs.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `AmazonSQS.${operation}`,
      authorization: `AWS4-HMAC-SHA256 Credential=${functionAccessKeyId(fn)}/20260101/${REGION}/sqs/aws4_request, SignedHeaders=host;x-amz-target, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 200) {
    const name = response.headers.get('x-amzn-query-error')?.split(';')[0] ?? 'Unknown';
    throw Object.assign(new Error(JSON.parse(text).Message as string), { name });
  }
}

// ---- Probes: one real call per (action, resource) pair a policy can grant -----------------------------

interface Probe {
  readonly name: string;
  /** What IAM checks for the call, as the template would name it. */
  readonly needs: readonly (readonly [action: string, resource: string])[];
  readonly call: (fn: string) => Promise<unknown>;
  /** The error name the SDK gives a denial (SQS and SES v1 name Query error codes). */
  readonly deniedAs?: string;
  /** The denial's message, when the service words it its own way. */
  readonly denial?: (principal: string, action: string, resource: string) => string;
}

/** SES v1 words its denials its own way. */
const sesDenial = (principal: string, action: string, resource: string) =>
  `User \`${principal}' is not authorized to perform \`${action}' on resource \`${resource}'`;

/** IAM's wording (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html). */
const iamDenial = (principal: string, action: string, resource: string) =>
  `User: ${principal} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

let sequence = 0;
const freshKey = () => ({ pk: `PROBE#${++sequence}`, sk: 'PROBE' });
const INDEXES = tableSpec.globalSecondaryIndexes.map((index) => index.indexName);

const probes: Probe[] = [
  {
    name: 'GetItem',
    needs: [['dynamodb:GetItem', TABLE]],
    call: (fn) => doc(fn).send(new GetCommand({ TableName: TABLE_NAME, Key: freshKey() })),
  },
  {
    name: 'BatchGetItem',
    needs: [['dynamodb:BatchGetItem', TABLE]],
    call: (fn) => doc(fn).send(new BatchGetCommand({ RequestItems: { [TABLE_NAME]: { Keys: [freshKey()] } } })),
  },
  {
    name: 'Query',
    needs: [['dynamodb:Query', TABLE]],
    call: (fn) =>
      doc(fn).send(
        new QueryCommand({ TableName: TABLE_NAME, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'X' } }),
      ),
  },
  ...INDEXES.map((index): Probe => ({
    name: `Query ${index}`,
    needs: [['dynamodb:Query', `${TABLE}/index/${index}`]],
    call: (fn) =>
      doc(fn).send(
        new QueryCommand({
          TableName: TABLE_NAME,
          IndexName: index,
          KeyConditionExpression: '#p = :p',
          ExpressionAttributeNames: { '#p': `${index}pk` },
          ExpressionAttributeValues: { ':p': 'X' },
        }),
      ),
  })),
  {
    name: 'ConditionCheckItem',
    needs: [['dynamodb:ConditionCheckItem', TABLE]],
    call: (fn) =>
      doc(fn).send(
        new TransactWriteCommand({
          TransactItems: [
            { ConditionCheck: { TableName: TABLE_NAME, Key: freshKey(), ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }),
      ),
  },
  {
    name: 'PutItem',
    needs: [['dynamodb:PutItem', TABLE]],
    call: (fn) => doc(fn).send(new PutCommand({ TableName: TABLE_NAME, Item: freshKey() })),
  },
  {
    name: 'UpdateItem',
    needs: [['dynamodb:UpdateItem', TABLE]],
    call: (fn) =>
      doc(fn).send(
        new UpdateCommand({
          TableName: TABLE_NAME,
          Key: freshKey(),
          UpdateExpression: 'SET v = :v',
          ExpressionAttributeValues: { ':v': 1 },
        }),
      ),
  },
  {
    name: 'DeleteItem',
    needs: [['dynamodb:DeleteItem', TABLE]],
    call: (fn) => doc(fn).send(new DeleteCommand({ TableName: TABLE_NAME, Key: freshKey() })),
  },
  {
    name: 'BatchWriteItem',
    needs: [['dynamodb:BatchWriteItem', TABLE]],
    call: (fn) => doc(fn).send(new BatchWriteCommand({ RequestItems: { [TABLE_NAME]: [{ PutRequest: { Item: freshKey() } }] } })),
  },
  {
    name: 'a transaction writing a record and its outbox item',
    needs: [
      ['dynamodb:PutItem', TABLE],
      ['dynamodb:ConditionCheckItem', TABLE],
    ],
    call: (fn) =>
      doc(fn).send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: TABLE_NAME, Item: freshKey(), ConditionExpression: 'attribute_not_exists(pk)' } },
            { ConditionCheck: { TableName: TABLE_NAME, Key: freshKey(), ConditionExpression: 'attribute_not_exists(pk)' } },
            { Put: { TableName: TABLE_NAME, Item: { ...freshKey(), kind: 'outbox' } } },
          ],
        }),
      ),
  },
  {
    name: 'Scan',
    needs: [['dynamodb:Scan', TABLE]],
    call: (fn) => doc(fn).send(new ScanCommand({ TableName: TABLE_NAME, Limit: 1 })),
  },
  { name: 'ListStreams', needs: [['dynamodb:ListStreams', '*']], call: (fn) => streams(fn).send(new ListStreamsCommand({})) },
  {
    name: 'DescribeStream',
    needs: [['dynamodb:DescribeStream', '<stream>']],
    call: (fn) => streams(fn).send(new DescribeStreamCommand({ StreamArn: streamArn })),
  },
  {
    name: 'GetShardIterator',
    needs: [['dynamodb:GetShardIterator', '<stream>']],
    call: async (fn) =>
      streams(fn).send(
        new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: await shardId(), ShardIteratorType: 'TRIM_HORIZON' }),
      ),
  },
  {
    name: 'GetRecords',
    needs: [['dynamodb:GetRecords', '<stream>']],
    call: async (fn) => streams(fn).send(new GetRecordsCommand({ ShardIterator: await shardIterator(), Limit: 1 })),
  },
  {
    name: 'PutEvents',
    needs: [['events:PutEvents', BUS]],
    call: async (fn) => {
      const out = await events(fn).send(
        new PutEventsCommand({ Entries: [{ EventBusName: BUS_NAME, Source: 'probe', DetailType: 'probe', Detail: '{}' }] }),
      );
      expect(out.FailedEntryCount).toBe(0);
    },
  },
  ...(
    [
      ['AdminCreateUser', () => new AdminCreateUserCommand({ UserPoolId: userPoolId, Username: 'a@example.com' })],
      ['AdminGetUser', () => new AdminGetUserCommand({ UserPoolId: userPoolId, Username: 'a@example.com' })],
      ['AdminListGroupsForUser', () => new AdminListGroupsForUserCommand({ UserPoolId: userPoolId, Username: 'a@example.com' })],
      [
        'AdminAddUserToGroup',
        () => new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: 'a@example.com', GroupName: 'user' }),
      ],
      [
        'AdminRemoveUserFromGroup',
        () => new AdminRemoveUserFromGroupCommand({ UserPoolId: userPoolId, Username: 'a@example.com', GroupName: 'user' }),
      ],
      ['AdminDisableUser', () => new AdminDisableUserCommand({ UserPoolId: userPoolId, Username: 'a@example.com' })],
      ['AdminEnableUser', () => new AdminEnableUserCommand({ UserPoolId: userPoolId, Username: 'a@example.com' })],
      ['AdminUserGlobalSignOut', () => new AdminUserGlobalSignOutCommand({ UserPoolId: userPoolId, Username: 'a@example.com' })],
    ] as const
  ).map(([operation, command]): Probe => ({
    name: operation,
    needs: [[`cognito-idp:${operation}`, '<pool>']],
    call: (fn) => cognito(fn).send(command() as never),
  })),
  ...(['SendMessage', 'GetQueueAttributes'] as const).map((operation): Probe => ({
    name: `SQS ${operation}`,
    needs: [[`sqs:${operation}`, '<queue>']],
    call: (fn) => sqs(fn, operation, { QueueUrl: `http://127.0.0.1/${ACCOUNT}/${queueName}`, MessageBody: '{}' }),
    deniedAs: 'AccessDenied',
    denial: (principal, action, resource) => iamDenial(principal, action.toLowerCase(), resource),
  })),
  {
    name: 'SQS GetQueueUrl',
    needs: [['sqs:GetQueueUrl', '<queue>']],
    call: (fn) => sqs(fn, 'GetQueueUrl', { QueueName: queueName }),
    deniedAs: 'AccessDenied',
    denial: (principal, action, resource) => iamDenial(principal, action.toLowerCase(), resource),
  },
  // The cursor key: read by every function that pages a list, rotated by its rotation function.
  {
    name: 'Secrets Manager GetSecretValue',
    needs: [['secretsmanager:GetSecretValue', '<secret>']],
    call: (fn) => secretsOf(fn).send(new GetSecretValueCommand({ SecretId: cursorSecretArn })),
  },
  {
    name: 'Secrets Manager DescribeSecret',
    needs: [['secretsmanager:DescribeSecret', '<secret>']],
    call: (fn) => secretsOf(fn).send(new DescribeSecretCommand({ SecretId: cursorSecretArn })),
  },
  {
    name: 'Secrets Manager PutSecretValue',
    needs: [['secretsmanager:PutSecretValue', '<secret>']],
    // A version under a label of its own: the key in use stays AWSCURRENT.
    call: (fn) =>
      secretsOf(fn).send(
        new PutSecretValueCommand({ SecretId: cursorSecretArn, SecretString: 'p'.repeat(64), VersionStages: ['PROBE'] }),
      ),
  },
  {
    name: 'Secrets Manager UpdateSecretVersionStage',
    needs: [['secretsmanager:UpdateSecretVersionStage', '<secret>']],
    // Takes a label the version does not have off it: authorized, and a no-op.
    call: async (fn) =>
      secretsOf(fn).send(
        new UpdateSecretVersionStageCommand({
          SecretId: cursorSecretArn,
          VersionStage: 'NO-SUCH-LABEL',
          RemoveFromVersionId: await currentVersionId(),
        }),
      ),
  },
  {
    name: 'CreateSchedule',
    needs: [
      ['scheduler:CreateSchedule', '<schedules>'],
      ['iam:PassRole', '<reminder role>'],
    ],
    call: async (fn) => {
      await schedules(fn).send(
        new CreateScheduleCommand({
          Name: 'probe',
          GroupName: GROUP,
          ScheduleExpression: 'at(2099-01-01T00:00:00)',
          FlexibleTimeWindow: { Mode: 'OFF' },
          Target: { Arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:crm-${config.stage}-reminder`, RoleArn: reminderRoleArn },
        }),
      );
      expect(scheduler.schedules().map((s) => s.arn)).toContain(`arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${GROUP}/probe`);
      await adminSchedules().send(new DeleteScheduleCommand({ Name: 'probe', GroupName: GROUP }));
    },
  },
  {
    name: 'DeleteSchedule',
    needs: [['scheduler:DeleteSchedule', '<schedules>']],
    call: (fn) =>
      schedules(fn)
        .send(new DeleteScheduleCommand({ Name: 'probe', GroupName: GROUP }))
        .catch((error: Error) => {
          // Authorized, and answered by the emulator: there is no such schedule.
          if (error.name !== 'ResourceNotFoundException') throw error;
        }),
  },
  {
    name: 'SES SendEmail',
    needs: [
      ['ses:SendEmail', `arn:aws:ses:${REGION}:${ACCOUNT}:identity/${config.email.sender_address}`],
      ['ses:SendEmail', `arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/${GROUP}`],
    ],
    call: (fn) =>
      mailer(fn).send(
        new SendEmailCommand({
          Source: config.email.sender_address,
          Destination: { ToAddresses: ['ada@example.org'] },
          Message: { Subject: { Data: 'probe' }, Body: { Text: { Data: 'probe' } } },
          ConfigurationSetName: GROUP,
        }),
      ),
    deniedAs: 'AccessDenied',
    denial: sesDenial,
  },
  {
    name: 'SES SendRawEmail',
    needs: [
      ['ses:SendRawEmail', `arn:aws:ses:${REGION}:${ACCOUNT}:identity/${config.email.sender_address}`],
      ['ses:SendRawEmail', `arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/${GROUP}`],
    ],
    call: (fn) =>
      mailer(fn).send(
        new SendRawEmailCommand({
          RawMessage: {
            Data: Buffer.from(`From: ${config.email.sender_address}\r\nTo: ada@example.org\r\nSubject: probe\r\n\r\nprobe`),
          },
          ConfigurationSetName: GROUP,
        }),
      ),
    deniedAs: 'AccessDenied',
    denial: sesDenial,
  },
  {
    // Sent as the domain's identity, which AWS checks when the address is not verified itself.
    name: 'SES SendEmail as the domain identity',
    needs: [
      ['ses:SendEmail', `arn:aws:ses:${REGION}:${ACCOUNT}:identity/${config.email.sender_address.split('@')[1]}`],
      ['ses:SendEmail', `arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/${GROUP}`],
    ],
    call: (fn) =>
      mailer(fn).send(
        new SendEmailCommand({
          Source: config.email.sender_address,
          SourceArn: `arn:aws:ses:${REGION}:${ACCOUNT}:identity/${config.email.sender_address.split('@')[1]}`,
          Destination: { ToAddresses: ['ada@example.org'] },
          Message: { Subject: { Data: 'probe' }, Body: { Text: { Data: 'probe' } } },
          ConfigurationSetName: GROUP,
        }),
      ),
    deniedAs: 'AccessDenied',
    denial: sesDenial,
  },
];

/** A probe's needs with the ARNs known only once the local resources exist. */
function needsOf(probe: Probe): [string, string][] {
  const resources: Record<string, string> = {
    '<stream>': `${TABLE}/stream/${streamArn.slice(streamArn.lastIndexOf('/') + 1)}`,
    '<pool>': `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${userPoolId}`,
    '<queue>': `arn:aws:sqs:${REGION}:${ACCOUNT}:${queueName}`,
    // A schedule of the reminder group (the grant is on ".../schedule/<group>/*").
    '<schedules>': `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${GROUP}/probe`,
    '<reminder role>': reminderRoleArn,
    '<secret>': cursorSecretArn,
  };
  return probe.needs.map(([action, resource]) => [action, resources[resource] ?? resource]);
}

async function shardId(): Promise<string> {
  const out = await admin().send(new DescribeStreamCommand({ StreamArn: streamArn }));
  return out.StreamDescription!.Shards![0]!.ShardId!;
}

async function shardIterator(): Promise<string> {
  const out = await admin().send(
    new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: await shardId(), ShardIteratorType: 'TRIM_HORIZON' }),
  );
  return out.ShardIterator!;
}

// ---- The oracle: what the template's statements grant, read literally ---------------------------------

const list = <T>(value: T | readonly T[] | undefined): readonly T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value as T];
const glob = (pattern: string, flags = '') =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    flags,
  );

/** Whether an Allow statement lists the action and the resource (wildcards read as globs). */
/**
 * SES authorizes a send from an address against the address's identity or its domain's (the
 * local gate does the same): either grant covers it.
 */
function sesIdentities(action: string, resource: string): string[] {
  const m = /^(arn:aws:ses:[^:]+:[^:]+:identity\/)[^@/]+@(.+)$/.exec(resource);
  return action.startsWith('ses:Send') && m ? [resource, `${m[1]}${m[2]}`] : [resource];
}

function granted(statements: readonly Statement[], action: string, resource: string): boolean {
  return sesIdentities(action, resource).some((candidate) =>
    statements.some(
      (s) =>
        s.Effect === 'Allow' &&
        list(s.Action).some((a) => glob(a, 'i').test(action)) &&
        list(s.Resource).some((r) => glob(r).test(candidate)),
    ),
  );
}

/** Runs the probe as `fn` and answers a mismatch with what the oracle expects, or undefined. */
async function check(fn: string, probe: Probe, statements: readonly Statement[]): Promise<string | undefined> {
  const policy = policies.get(fn)!;
  const missing = needsOf(probe).find(([action, resource]) => !granted(statements, action, resource));
  try {
    await probe.call(fn);
    return missing ? `${fn} ${probe.name}: allowed, but ${missing.join(' on ')} is not granted` : undefined;
  } catch (error) {
    const { name, message } = error as Error;
    if (!missing) return `${fn} ${probe.name}: granted, but failed with ${name}: ${message}`;
    const expected = (probe.denial ?? iamDenial)(policy.principalArn, missing[0], missing[1]);
    if (name !== (probe.deniedAs ?? 'AccessDeniedException') || message !== expected) {
      return `${fn} ${probe.name}: expected AccessDenied "${expected}", got ${name}: ${message}`;
    }
    return undefined;
  }
}

// ---- Tests -------------------------------------------------------------------------------------------

describe('policies from the synthesized templates', () => {
  it('finds every function of the registry, its role, and its statements resolved to local ARNs', () => {
    expect([...policies.keys()].sort()).toEqual(functionSpecs.map((spec) => spec.name).sort());
    for (const policy of policies.values()) {
      expect(policy.functionName).toBe(`crm-${config.stage}-${policy.name}`);
      expect(policy.principalArn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/${policy.roleName}/${policy.functionName}`);
      for (const statement of policy.statements) {
        for (const resource of list(statement.Resource)) expect(resource === '*' || resource.startsWith(`arn:aws:`)).toBe(true);
      }
    }
    const publisher = policies.get('outbox-publisher')!.statements;
    expect(granted(publisher, 'events:PutEvents', BUS)).toBe(true);
    expect(granted(publisher, 'dynamodb:GetRecords', needsOf(probes.find((p) => p.name === 'GetRecords')!)[0]![1])).toBe(true);
    expect(granted(policies.get('contacts')!.statements, 'dynamodb:Query', `${TABLE}/index/gsi3`)).toBe(true);
  });
});

describe('the gate, with the real SDK clients', () => {
  it('allows exactly what each function’s template policy grants, and refuses the rest with AWS’s AccessDenied', async () => {
    const mismatches: string[] = [];
    const outcomes = new Map<string, { allowed: string[]; denied: string[] }>(
      probes.map((p) => [p.name, { allowed: [], denied: [] }]),
    );
    for (const [fn, policy] of policies) {
      for (const probe of probes) {
        const mismatch = await check(fn, probe, policy.statements);
        if (mismatch) mismatches.push(mismatch);
        const allowed = needsOf(probe).every(([action, resource]) => granted(policy.statements, action, resource));
        outcomes.get(probe.name)![allowed ? 'allowed' : 'denied'].push(fn);
      }
    }
    expect(mismatches).toEqual([]);
    // Every call is an allowed/denied pair across functions, except Scan, which no function may do.
    for (const [name, { allowed, denied }] of outcomes) {
      if (name === 'Scan') expect(allowed).toEqual([]);
      else
        expect({ name, allowed: allowed.length > 0, denied: denied.length > 0 }).toEqual({ name, allowed: true, denied: true });
    }
    expect(standInCalls.length).toBeGreaterThan(0);
  });

  it('forwards answers untouched, errors included', async () => {
    const fn = [...policies.values()].find((p) => granted(p.statements, 'dynamodb:PutItem', TABLE))!.name;
    const key = freshKey();
    await doc(fn).send(new PutCommand({ TableName: TABLE_NAME, Item: { ...key, n: 1 } }));
    const failed = doc(fn).send(
      new PutCommand({ TableName: TABLE_NAME, Item: key, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
    await expect(failed).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect((await doc(fn).send(new GetCommand({ TableName: TABLE_NAME, Key: key }))).Item).toEqual({ ...key, n: 1 });
  });

  it('forwards requests and answers byte for byte', async () => {
    const fn = [...policies.values()].find(
      (p) => granted(p.statements, 'dynamodb:GetItem', TABLE) && granted(p.statements, 'dynamodb:PutItem', TABLE),
    )!.name;
    const key = freshKey();
    await doc(fn).send(new PutCommand({ TableName: TABLE_NAME, Item: { ...key, blob: 'x'.repeat(300_000) } }));
    const request = {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.GetItem',
        authorization: `AWS4-HMAC-SHA256 Credential=${functionAccessKeyId(fn)}/20260101/${REGION}/dynamodb/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify({ TableName: TABLE_NAME, Key: { pk: { S: key.pk }, sk: { S: key.sk } } }),
    };
    const direct = await fetch(dynamo.endpoint, request);
    const gated = await fetch(gates.dynamodb.endpoint, request);
    expect([gated.status, gated.headers.get('content-type')]).toEqual([direct.status, direct.headers.get('content-type')]);
    const [expected, received] = await Promise.all([direct.text(), gated.text()]);
    expect(received.length).toBeGreaterThan(300_000);
    expect(received).toBe(expected);
  });

  it('evaluates conditions on the caller, and answers an explicit deny as AWS words it', async () => {
    const contacts = policies.get('contacts')!;
    const denyGetItemTo = (roleArn: string): Statement => ({
      Effect: 'Deny',
      Action: 'dynamodb:GetItem',
      Resource: '*',
      Condition: { ArnEquals: { 'aws:PrincipalArn': roleArn }, StringEquals: { 'aws:PrincipalType': 'AssumedRole' } },
    });
    const get = () => doc('contacts').send(new GetCommand({ TableName: TABLE_NAME, Key: freshKey() }));
    try {
      policies.set('contacts', {
        ...contacts,
        statements: [...contacts.statements, denyGetItemTo(policies.get('deals')!.roleArn)],
      });
      await expect(get()).resolves.toBeDefined();
      policies.set('contacts', { ...contacts, statements: [...contacts.statements, denyGetItemTo(contacts.roleArn)] });
      await expect(get()).rejects.toMatchObject({
        name: 'AccessDeniedException',
        message: `User: ${contacts.principalArn} is not authorized to perform: dynamodb:GetItem on resource: ${TABLE} with an explicit deny in an identity-based policy`,
      });
    } finally {
      policies.set('contacts', contacts);
    }
  });

  it('lets the admin key through, and refuses unknown keys, unmapped operations and misrouted services loudly', async () => {
    const as = (accessKeyId: string) =>
      new DynamoDBClient({
        endpoint: gates.dynamodb.endpoint,
        region: REGION,
        credentials: { accessKeyId, secretAccessKey: 'x' },
        maxAttempts: 1,
      });
    expect((await as(LOCAL_ADMIN_ACCESS_KEY_ID).send(new ListTablesCommand({}))).TableNames).toContain(TABLE_NAME);
    await expect(as('local').send(new ListTablesCommand({}))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    await expect(as(functionAccessKeyId('no-such-function')).send(new ListTablesCommand({}))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
    });
    await expect(
      as(functionAccessKeyId('contacts')).send(new ExecuteStatementCommand({ Statement: `SELECT * FROM ${TABLE_NAME}` })),
    ).rejects.toMatchObject({
      name: 'UnmappedOperationException',
      message: expect.stringContaining('ExecuteStatement has no mapping'),
    });
    const misrouted = new EventBridgeClient({
      endpoint: gates.dynamodb.endpoint,
      region: REGION,
      credentials: { accessKeyId: functionAccessKeyId('outbox-publisher'), secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    await expect(misrouted.send(new PutEventsCommand({ Entries: [] }))).rejects.toThrow(
      /signed for events reached the dynamodb gate/,
    );
    misrouted.destroy();
    const unsigned = await fetch(gates.dynamodb.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'DynamoDB_20120810.ListTables' },
      body: '{}',
    });
    expect([unsigned.status, ((await unsigned.json()) as { __type: string }).__type]).toEqual([
      400,
      'com.amazon.coral.service#MissingAuthenticationTokenException',
    ]);
    expect(refusals.join('\n')).toMatch(/names no function[\s\S]*ExecuteStatement[\s\S]*signed for events[\s\S]*unsigned/);
  });
});

describe('removing any one grant fails', () => {
  // logs:* and xray:* are called by the Lambda runtime, and sqs:* by the Lambda service when it
  // sends a failed async invocation to the on-failure destination (with the function's role),
  // never by the function's code: the only grants that no local call of the function exercises.
  const UNEXERCISED = /^(logs|xray|sqs):/;

  for (const fn of ['outbox-publisher', 'user-directory-sync', SCHEDULER_FUNCTION, MAILER_FUNCTION]) {
    it(`${fn}: dropping a statement, or one action or resource of it, denies the calls it covered`, async () => {
      const original = policies.get(fn)!;
      const covered = probes.filter((p) => needsOf(p).every(([a, r]) => granted(original.statements, a, r)));
      const variants: { label: string; dropped: [string, string][]; statements: Statement[] }[] = [];
      original.statements.forEach((statement, i) => {
        const others = original.statements.filter((_, j) => j !== i);
        const actions = list(statement.Action);
        const resources = list(statement.Resource);
        const pairsOf = (as: readonly string[], rs: readonly string[]) =>
          as.flatMap((a) => rs.map((r): [string, string] => [a, r]));
        variants.push({ label: `statement ${i}`, dropped: pairsOf(actions, resources), statements: others });
        for (const action of actions) {
          const rest = actions.filter((a) => a !== action);
          variants.push({
            label: `${action} of statement ${i}`,
            dropped: pairsOf([action], resources),
            statements: rest.length ? [...others, { ...statement, Action: rest }] : others,
          });
        }
        for (const resource of resources) {
          // An address identity beside its domain's: either alone authorizes the send (above).
          const m = /^(arn:aws:ses:[^:]+:[^:]+:identity\/)[^@/]+@(.+)$/.exec(resource);
          if (m && resources.includes(`${m[1]}${m[2]}`)) continue;
          const rest = resources.filter((r) => r !== resource);
          variants.push({
            label: `${resource} of statement ${i}`,
            dropped: pairsOf(actions, [resource]),
            statements: rest.length ? [...others, { ...statement, Resource: rest }] : others,
          });
        }
      });

      const mismatches: string[] = [];
      try {
        for (const variant of variants) {
          policies.set(fn, { ...original, statements: variant.statements });
          const nowDenied = covered.filter((p) => !needsOf(p).every(([a, r]) => granted(variant.statements, a, r)));
          if (nowDenied.length === 0 && !variant.dropped.every(([action]) => UNEXERCISED.test(action))) {
            mismatches.push(`${fn} without ${variant.label}: no local call needs it`);
          }
          for (const probe of covered) {
            const mismatch = await check(fn, probe, variant.statements);
            if (mismatch) mismatches.push(`without ${variant.label}: ${mismatch}`);
          }
        }
      } finally {
        policies.set(fn, original);
      }
      expect(mismatches).toEqual([]);
      expect(variants.length).toBeGreaterThan(original.statements.length);
    });
  }
});

describe('what each function really does is allowed by today’s template', () => {
  const table = (fn: string) =>
    new Table({ client: doc(fn), name: TABLE_NAME, cursors: new CursorCodec('iam-gate-test-cursor-secret') });
  const event = (): DomainEvent => ({
    metadata: {
      event_id: newId(),
      event_type: 'contact.created',
      event_version: 1,
      occurred_at: new Date().toISOString(),
      actor_id: 'u1',
      correlation_id: newId(),
      resource_type: 'contact',
      resource_id: newId(),
    },
    data: { name: 'Ada' },
  });

  // The functions the registry lets write the table (search and redrive only read it).
  const tableFunctions = functionSpecs.filter((spec) => spec.needs.table === 'readWrite').map((spec) => spec.name);

  for (const fn of tableFunctions) {
    it(`${fn}: reads by key and by index, and writes a record with its outbox event in one transaction`, async () => {
      const crmTable = table(fn);
      const id = newId();
      const key = { pk: `CONTACT#${id}`, sk: 'CONTACT' };
      await crmTable.write([{ type: 'create', item: { ...key, gsi1pk: 'contact#u1', gsi1sk: id, name: 'Ada' } }], [event()]);
      expect(await crmTable.get(key)).toMatchObject({ name: 'Ada' });
      expect(await crmTable.getMany([key])).toHaveLength(1);
      const page = await crmTable.page({ partitions: [{ index: 'gsi1', pk: 'contact#u1' }], limit: 10 });
      expect(page.items.map((item) => item.pk)).toContain(key.pk);
      await crmTable.write([{ type: 'delete', key }]);
    });
  }

  it('search: prefix queries on the owner and admin indexes', async () => {
    const index = new DynamoSearchIndex(table('search'));
    await expect(index.find({ owners: 'all', prefix: 'ad', kinds: SEARCH_KINDS, limit: 5 })).resolves.toEqual(expect.any(Array));
    await expect(index.find({ owners: ['u1', 'u2'], prefix: 'ad', kinds: ['contact'], limit: 5 })).resolves.toEqual(
      expect.any(Array),
    );
  });

  it('outbox-publisher: reads the table stream as its event source mapping does, and puts the events on the bus', async () => {
    const fn = 'outbox-publisher';
    const listed = await streams(fn).send(new ListStreamsCommand({ TableName: TABLE_NAME }));
    expect(listed.Streams?.map((s) => s.StreamArn)).toContain(streamArn);
    const described = await streams(fn).send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const shard = described.StreamDescription!.Shards![0]!.ShardId!;
    const iterator = await streams(fn).send(
      new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    const records = await streams(fn).send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator!, Limit: 1000 }));
    expect(records.Records?.length).toBeGreaterThan(0);

    const published = event();
    const publisher = new EventBridgePublisher({ client: events(fn), busName: BUS_NAME });
    await expect(publisher.publish([published])).resolves.toEqual({ failedEventIds: [] });
    await bus.idle();
    expect(delivered.map((e) => (e.detail as DomainEvent).metadata?.event_id)).toContain(published.metadata.event_id);
  });

  it('user-directory-sync: invites, regroups, disables and enables users in the pool', async () => {
    const directory = new CognitoUserDirectory({ client: cognito('user-directory-sync'), userPoolId });
    standInCalls.length = 0;
    const user = { id: newId(), email: 'ada@example.com', name: 'Ada', role: 'user' as const };
    await directory.invite(user);
    await directory.setRole(user.id, user.email, 'manager', 'user');
    await directory.setEnabled(user.id, user.email, false);
    await directory.setEnabled(user.id, user.email, true);
    expect(standInCalls.map((target) => target.split('.')[1])).toEqual([
      'AdminCreateUser',
      'AdminAddUserToGroup',
      'AdminAddUserToGroup',
      'AdminRemoveUserFromGroup',
      'AdminDisableUser',
      'AdminUserGlobalSignOut',
      'AdminEnableUser',
    ]);
  });
});
