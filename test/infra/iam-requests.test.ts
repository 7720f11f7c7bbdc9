import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdminCreateUserCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { DescribeTableCommand, DynamoDBClient, ExecuteStatementCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  ListStreamsCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { EventBridgeClient, PutEventsCommand, PutRuleCommand } from '@aws-sdk/client-eventbridge';
import { CreateScheduleCommand, DeleteScheduleCommand, GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { SendEmailCommand, SendRawEmailCommand, SESClient } from '@aws-sdk/client-ses';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  ScanCommand,
  TransactGetCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { accessDenied, errorAnswer, presignExpired, type ErrorAnswer } from '#infra/local/iam/gate.ts';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ConnectClient, DescribeContactCommand } from '@aws-sdk/client-connect';
import {
  describeRequest,
  signedCredential,
  UnsupportedRequestError,
  type Access,
  type AwsService,
  type WireRequest,
} from '#infra/local/iam/requests.ts';

// Requests made by the real SDK clients, captured on a loopback server, and what IAM checks
// for them; then the gate's error answers, parsed back by the same clients.

const ACCOUNT = '000000000000';
const REGION = 'eu-west-1';
const SCOPE = { accountId: ACCOUNT, region: REGION };
const credentials = { accessKeyId: 'localContacts', secretAccessKey: 'local' };

let server: Server;
let endpoint: string;
let captured: WireRequest[] = [];
let reply: ErrorAnswer | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      captured.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
      if (reply) {
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const clientConfig = () => ({ endpoint, region: REGION, credentials, maxAttempts: 1 });

/** The wire request `send` makes (its answer, a bare 200 "{}", may fail to parse: that is ignored). */
async function wire(send: () => Promise<unknown>): Promise<WireRequest> {
  captured = [];
  reply = undefined;
  await send().catch(() => undefined);
  expect(captured).toHaveLength(1);
  return captured[0]!;
}

async function accesses(service: AwsService, send: () => Promise<unknown>): Promise<{ operation: string; accesses: Access[] }> {
  const described = describeRequest(service, await wire(send), SCOPE);
  return { operation: described.operation, accesses: [...described.accesses] };
}

const TABLE = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/crm`;
const pairs = (list: Access[]) => list.map((a) => `${a.action} ${a.resource}`);

describe('DynamoDB requests', () => {
  const doc = () => DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig()));
  const key = { pk: 'CONTACT#1', sk: 'CONTACT' };

  it('single-item, query and scan operations name the table, or the index they read', async () => {
    expect(
      pairs((await accesses('dynamodb', () => doc().send(new GetCommand({ TableName: 'crm', Key: key })))).accesses),
    ).toEqual([`dynamodb:GetItem ${TABLE}`]);
    const query = new QueryCommand({
      TableName: 'crm',
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': 'x' },
    });
    expect(pairs((await accesses('dynamodb', () => doc().send(query))).accesses)).toEqual([`dynamodb:Query ${TABLE}/index/gsi1`]);
    expect(pairs((await accesses('dynamodb', () => doc().send(new ScanCommand({ TableName: 'crm' })))).accesses)).toEqual([
      `dynamodb:Scan ${TABLE}`,
    ]);
    const describe = await accesses('dynamodb', () =>
      new DynamoDBClient(clientConfig()).send(new DescribeTableCommand({ TableName: 'crm' })),
    );
    expect(pairs(describe.accesses)).toEqual([`dynamodb:DescribeTable ${TABLE}`]);
  });

  it('a transaction needs each item’s own action on its table', async () => {
    const transaction = new TransactWriteCommand({
      TransactItems: [
        { Put: { TableName: 'crm', Item: { ...key, v: 1 } } },
        { Update: { TableName: 'crm', Key: key, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': 2 } } },
        { Delete: { TableName: 'other', Key: key } },
        { ConditionCheck: { TableName: 'crm', Key: key, ConditionExpression: 'attribute_exists(pk)' } },
        { Put: { TableName: 'crm', Item: { ...key, sk: 'OUTBOX' } } },
      ],
    });
    const described = await accesses('dynamodb', () => doc().send(transaction));
    expect(described.operation).toBe('TransactWriteItems');
    expect(pairs(described.accesses)).toEqual([
      `dynamodb:PutItem ${TABLE}`,
      `dynamodb:UpdateItem ${TABLE}`,
      `dynamodb:DeleteItem arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/other`,
      `dynamodb:ConditionCheckItem ${TABLE}`,
    ]);
    const reads = await accesses('dynamodb', () =>
      doc().send(new TransactGetCommand({ TransactItems: [{ Get: { TableName: 'crm', Key: key } }] })),
    );
    expect(pairs(reads.accesses)).toEqual([`dynamodb:GetItem ${TABLE}`]);
  });

  it('batches need the batch action on every table they touch', async () => {
    const write = new BatchWriteCommand({
      RequestItems: { crm: [{ PutRequest: { Item: key } }], other: [{ DeleteRequest: { Key: key } }] },
    });
    expect(pairs((await accesses('dynamodb', () => doc().send(write))).accesses)).toEqual([
      `dynamodb:BatchWriteItem ${TABLE}`,
      `dynamodb:BatchWriteItem arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/other`,
    ]);
    const read = new BatchGetCommand({ RequestItems: { crm: { Keys: [key] } } });
    expect(pairs((await accesses('dynamodb', () => doc().send(read))).accesses)).toEqual([`dynamodb:BatchGetItem ${TABLE}`]);
  });

  it('ListTables is authorized on "*", and the resources are in the region the request is signed for', async () => {
    const us = new DynamoDBClient({ ...clientConfig(), region: 'us-east-1' });
    expect(pairs((await accesses('dynamodb', () => us.send(new ListTablesCommand({})))).accesses)).toEqual([
      'dynamodb:ListTables *',
    ]);
    const described = await accesses('dynamodb', () =>
      DynamoDBDocumentClient.from(us).send(new GetCommand({ TableName: 'crm', Key: key })),
    );
    expect(pairs(described.accesses)).toEqual([`dynamodb:GetItem arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/crm`]);
  });

  it('the stream API names the stream, read from the ARN or the shard iterator, in the local account and region', async () => {
    const streams = new DynamoDBStreamsClient(clientConfig());
    const localArn = 'arn:aws:dynamodb:ddblocal:000000000000:table/crm/stream/2026-01-01T00:00:00.000';
    const stream = `${TABLE}/stream/2026-01-01T00:00:00.000`;
    expect(
      pairs((await accesses('dynamodb', () => streams.send(new DescribeStreamCommand({ StreamArn: localArn })))).accesses),
    ).toEqual([`dynamodb:DescribeStream ${stream}`]);
    const records = new GetRecordsCommand({ ShardIterator: `${localArn}|001|c2hhcmRJZC0w` });
    expect(pairs((await accesses('dynamodb', () => streams.send(records))).accesses)).toEqual([`dynamodb:GetRecords ${stream}`]);
    expect(pairs((await accesses('dynamodb', () => streams.send(new ListStreamsCommand({})))).accesses)).toEqual([
      'dynamodb:ListStreams *',
    ]);
  });

  it('refuses operations without a mapping', async () => {
    const request = await wire(() =>
      new DynamoDBClient(clientConfig()).send(new ExecuteStatementCommand({ Statement: 'SELECT * FROM crm' })),
    );
    expect(() => describeRequest('dynamodb', request, SCOPE)).toThrow(UnsupportedRequestError);
    expect(() => describeRequest('dynamodb', request, SCOPE)).toThrow(/ExecuteStatement has no mapping/);
  });
});

describe('the other services', () => {
  it('EventBridge PutEvents needs PutEvents on each entry’s bus, with its source and detail type', async () => {
    const events = new EventBridgeClient(clientConfig());
    const put = new PutEventsCommand({
      Entries: [
        { EventBusName: 'crm', Source: 'crm', DetailType: 'deal.won', Detail: '{}' },
        { EventBusName: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/audit`, Source: 'crm', DetailType: 'x', Detail: '{}' },
        { Source: 'crm', DetailType: 'y', Detail: '{}' },
      ],
    });
    const described = await accesses('events', () => events.send(put));
    expect(pairs(described.accesses)).toEqual([
      `events:PutEvents arn:aws:events:${REGION}:${ACCOUNT}:event-bus/crm`,
      `events:PutEvents arn:aws:events:${REGION}:${ACCOUNT}:event-bus/audit`,
      `events:PutEvents arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`,
    ]);
    expect(described.accesses[0]!.context).toMatchObject({
      'events:source': 'crm',
      'events:detail-type': 'deal.won',
      'aws:RequestedRegion': REGION,
    });
    const rule = await wire(() => events.send(new PutRuleCommand({ Name: 'r', EventPattern: '{}' })));
    expect(() => describeRequest('events', rule, SCOPE)).toThrow(/PutRule has no mapping/);
  });

  it('Scheduler operations name the schedule in its group; creating one passes its target role to Scheduler', async () => {
    const scheduler = new SchedulerClient(clientConfig());
    const create = new CreateScheduleCommand({
      Name: 'task-01J',
      GroupName: 'crm-dev',
      ScheduleExpression: 'at(2030-01-01T00:00:00)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:crm-dev-reminder`,
        RoleArn: `arn:aws:iam::${ACCOUNT}:role/reminders`,
      },
    });
    const described = await accesses('scheduler', () => scheduler.send(create));
    expect(described.operation).toBe('CreateSchedule');
    expect(pairs(described.accesses)).toEqual([
      `scheduler:CreateSchedule arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/crm-dev/task-01J`,
      `iam:PassRole arn:aws:iam::${ACCOUNT}:role/reminders`,
    ]);
    expect(described.accesses[1]!.context).toMatchObject({ 'iam:PassedToService': 'scheduler.amazonaws.com' });
    const remove = await accesses('scheduler', () =>
      scheduler.send(new DeleteScheduleCommand({ Name: 'task-01J', GroupName: 'crm-dev' })),
    );
    expect(pairs(remove.accesses)).toEqual([
      `scheduler:DeleteSchedule arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/crm-dev/task-01J`,
    ]);
    const get = await accesses('scheduler', () => scheduler.send(new GetScheduleCommand({ Name: 'a' })));
    expect(pairs(get.accesses)).toEqual([`scheduler:GetSchedule arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/a`]);
  });

  it('SES v1 sending is authorized on the sender’s identity and the configuration set', async () => {
    const ses = new SESClient(clientConfig());
    const send = new SendEmailCommand({
      Source: 'CRM <crm@example.com>',
      Destination: { ToAddresses: ['a@example.org'] },
      Message: { Subject: { Data: 's' }, Body: { Text: { Data: 'b' } } },
      ConfigurationSetName: 'crm-dev',
    });
    expect(pairs((await accesses('ses', () => ses.send(send))).accesses)).toEqual([
      `ses:SendEmail arn:aws:ses:${REGION}:${ACCOUNT}:identity/crm@example.com`,
      `ses:SendEmail arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/crm-dev`,
    ]);
    const raw = new SendRawEmailCommand({
      RawMessage: { Data: Buffer.from('From: Team <team@example.com>\r\nTo: a@example.org\r\n\r\nhi') },
    });
    expect(pairs((await accesses('ses', () => ses.send(raw))).accesses)).toEqual([
      `ses:SendRawEmail arn:aws:ses:${REGION}:${ACCOUNT}:identity/team@example.com`,
    ]);
  });

  it('Cognito admin calls are authorized on the user pool; unauthenticated APIs are not mapped', async () => {
    const cognito = new CognitoIdentityProviderClient(clientConfig());
    const create = new AdminCreateUserCommand({ UserPoolId: `${REGION}_abc`, Username: 'a@example.com' });
    expect(pairs((await accesses('cognito-idp', () => cognito.send(create))).accesses)).toEqual([
      `cognito-idp:AdminCreateUser arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${REGION}_abc`,
    ]);
    const auth = await wire(() => cognito.send(new InitiateAuthCommand({ AuthFlow: 'USER_SRP_AUTH', ClientId: 'c' })));
    expect(() => describeRequest('cognito-idp', auth, SCOPE)).toThrow(/InitiateAuth has no mapping/);
  });

  // No SQS, Secrets Manager or SES v2 client is a dependency yet: these requests are written as
  // their API references give them (JSON 1.0 / 1.1 target and body, REST path).
  const signed = (service: string, target: string | undefined, body: string, url = '/', method = 'POST'): WireRequest => ({
    method,
    url,
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=localX/20260101/${REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
      ...(target ? { 'x-amz-target': target } : {}),
    },
    body: Buffer.from(body),
  });

  it('SQS (JSON and Query) names the queue of the QueueUrl', () => {
    const queue = `arn:aws:sqs:${REGION}:${ACCOUNT}:crm-dev-dlq`;
    const url = `http://127.0.0.1:9324/${ACCOUNT}/crm-dev-dlq`;
    const json = describeRequest(
      'sqs',
      signed('sqs', 'AmazonSQS.SendMessageBatch', JSON.stringify({ QueueUrl: url, Entries: [] })),
      SCOPE,
    );
    expect(json.protocol).toBe('json-1.0');
    expect(pairs([...json.accesses])).toEqual([`sqs:SendMessage ${queue}`]);
    const query = describeRequest(
      'sqs',
      signed('sqs', undefined, `Action=GetQueueUrl&QueueName=crm-dev-dlq&Version=2012-11-05`),
      SCOPE,
    );
    expect(query.protocol).toBe('query');
    expect(pairs([...query.accesses])).toEqual([`sqs:GetQueueUrl ${queue}`]);
  });

  it('Secrets Manager names the secret by its local ARN whatever id the caller gives, and keeps that id for messages', () => {
    const arn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:crm-dev/cursor-hmac-key-LOCAL0`;
    for (const id of [
      'crm-dev/cursor-hmac-key',
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:crm-dev/cursor-hmac-key-Ab12Cd`,
    ]) {
      const described = describeRequest(
        'secretsmanager',
        signed('secretsmanager', 'secretsmanager.GetSecretValue', JSON.stringify({ SecretId: id })),
        SCOPE,
      );
      expect(described.accesses).toEqual([
        expect.objectContaining({ action: 'secretsmanager:GetSecretValue', resource: arn, named: id }),
      ]);
    }
  });

  it('the WebSocket management API (its endpoint naming API and stage) needs ManageConnections on the method and connection', async () => {
    const client = new ApiGatewayManagementApiClient({ ...clientConfig(), endpoint: `${endpoint}/abc123def0/live` });
    const connection = 'L0SM9cOFvHcCIhw=';
    const post = await accesses('execute-api', () =>
      client.send(new PostToConnectionCommand({ ConnectionId: connection, Data: new TextEncoder().encode('{}') })),
    );
    expect(post.operation).toBe('PostToConnection');
    expect(pairs(post.accesses)).toEqual([
      `execute-api:ManageConnections arn:aws:execute-api:${REGION}:${ACCOUNT}:abc123def0/live/POST/@connections/${connection}`,
    ]);
    const get = await accesses('execute-api', () => client.send(new GetConnectionCommand({ ConnectionId: connection })));
    expect(pairs(get.accesses)[0]).toContain('/live/GET/@connections/');
    const del = await accesses('execute-api', () => client.send(new DeleteConnectionCommand({ ConnectionId: connection })));
    expect([del.operation, pairs(del.accesses)[0]]).toEqual([
      'DeleteConnection',
      expect.stringContaining('/live/DELETE/@connections/'),
    ]);
    const elsewhere: WireRequest = { method: 'POST', url: '/abc123def0/live/other', headers: {}, body: Buffer.alloc(0) };
    expect(() => describeRequest('execute-api', elsewhere, SCOPE)).toThrow(UnsupportedRequestError);
    client.destroy();
  });

  it("Connect's DescribeContact (REST JSON) needs connect:DescribeContact on the contact under its instance", async () => {
    const client = new ConnectClient(clientConfig());
    const described = await accesses('connect', () =>
      client.send(new DescribeContactCommand({ InstanceId: 'i-1', ContactId: 'c-1' })),
    );
    expect(described.operation).toBe('DescribeContact');
    expect(pairs(described.accesses)).toEqual([
      `connect:DescribeContact arn:aws:connect:${REGION}:${ACCOUNT}:instance/i-1/contact/c-1`,
    ]);
    const other: WireRequest = { method: 'POST', url: '/contact/outbound-voice', headers: {}, body: Buffer.alloc(0) };
    expect(() => describeRequest('connect', other, SCOPE)).toThrow(UnsupportedRequestError);
    client.destroy();
  });

  it('SES v2 SendEmail names the sending identity and the configuration set', () => {
    const body = JSON.stringify({
      FromEmailAddress: 'crm@example.com',
      ConfigurationSetName: 'crm-dev',
      Content: { Simple: {} },
    });
    const described = describeRequest('ses', signed('ses', undefined, body, '/v2/email/outbound-emails'), SCOPE);
    expect(pairs([...described.accesses])).toEqual([
      `ses:SendEmail arn:aws:ses:${REGION}:${ACCOUNT}:identity/crm@example.com`,
      `ses:SendEmail arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/crm-dev`,
    ]);
  });

  it('reads the access key, region and service of the signature', async () => {
    const request = await wire(() => new EventBridgeClient(clientConfig()).send(new PutEventsCommand({ Entries: [] })));
    expect(signedCredential(request)).toMatchObject({ accessKeyId: 'localContacts', region: REGION, service: 'events' });
    expect(signedCredential({ url: '/', headers: {} })).toBeUndefined();
  });
});

describe('S3 requests (path-style object operations, presigned URLs included)', () => {
  const OBJECT = 'arn:aws:s3:::crm-dev-files/uploads/01ARZ3NDEKTSV4RRFFQ69G5FAV';
  const s3 = () => new S3Client({ ...clientConfig(), forcePathStyle: true });
  const Key = 'uploads/01ARZ3NDEKTSV4RRFFQ69G5FAV';
  const Bucket = 'crm-dev-files';

  it('reads, writes, copies and deletes objects as GetObject, PutObject and DeleteObject on the object ARN', async () => {
    expect(pairs((await accesses('s3', () => s3().send(new HeadObjectCommand({ Bucket, Key })))).accesses)).toEqual([
      `s3:GetObject ${OBJECT}`,
    ]);
    expect(
      pairs((await accesses('s3', () => s3().send(new GetObjectCommand({ Bucket, Key, Range: 'bytes=0-9' })))).accesses),
    ).toEqual([`s3:GetObject ${OBJECT}`]);
    expect(pairs((await accesses('s3', () => s3().send(new PutObjectCommand({ Bucket, Key, Body: 'x' })))).accesses)).toEqual([
      `s3:PutObject ${OBJECT}`,
    ]);
    expect(pairs((await accesses('s3', () => s3().send(new DeleteObjectCommand({ Bucket, Key })))).accesses)).toEqual([
      `s3:DeleteObject ${OBJECT}`,
    ]);
    const copy = await accesses('s3', () =>
      s3().send(new CopyObjectCommand({ Bucket, Key: 'documents/a b', CopySource: `${Bucket}/${Key}` })),
    );
    expect(copy.operation).toBe('CopyObject');
    expect(pairs(copy.accesses)).toEqual([`s3:GetObject ${OBJECT}`, 's3:PutObject arn:aws:s3:::crm-dev-files/documents/a b']);
  });

  it('a presigned URL is authorized as its signer, for the action it presigns; bucket operations are not mapped', async () => {
    const url = await getSignedUrl(s3(), new PutObjectCommand({ Bucket, Key, ContentType: 'text/plain' }), { expiresIn: 60 });
    const request = { method: 'PUT', url: url.slice(endpoint.length), headers: {}, body: Buffer.alloc(0) };
    expect(signedCredential(request)).toMatchObject({ accessKeyId: 'localContacts', service: 's3' });
    expect(pairs([...describeRequest('s3', request, SCOPE).accesses])).toEqual([`s3:PutObject ${OBJECT}`]);
    expect(() => describeRequest('s3', { ...request, url: '/crm-dev-files?list-type=2' }, SCOPE)).toThrow(
      UnsupportedRequestError,
    );
  });

  it('a presigned URL expires X-Amz-Expires seconds after its X-Amz-Date', () => {
    const url = '/b/k?X-Amz-Date=20260101T000000Z&X-Amz-Expires=300&X-Amz-Signature=x';
    expect(presignExpired(url, Date.UTC(2026, 0, 1, 0, 5, 0))).toBeUndefined();
    expect(presignExpired(url, Date.UTC(2026, 0, 1, 0, 5, 1))).toBe('2026-01-01T00:05:00.000Z');
    expect(presignExpired('/b/k', Date.now())).toBeUndefined();
  });

  it('AccessDenied in S3’s XML error document, as the S3 client reads it', async () => {
    const answer = accessDenied(
      { service: 's3', protocol: 'rest-xml' },
      'arn:aws:sts::0:assumed-role/r/f',
      access('s3:GetObject', OBJECT),
      'implicit-deny',
    );
    const error = await (async () => {
      reply = answer;
      try {
        await s3().send(new GetObjectCommand({ Bucket, Key }));
      } catch (e) {
        return e as Error & { $metadata: { httpStatusCode: number } };
      } finally {
        reply = undefined;
      }
      throw new Error('the call did not fail');
    })();
    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata.httpStatusCode).toBe(403);
    expect(error.message).toContain('is not authorized to perform: s3:GetObject on resource: ' + OBJECT);
  });
});

const access = (action: string, resource: string): Access => ({ action, resource, context: {} });

describe('error answers, as the SDK clients read them', () => {
  const principal = `arn:aws:sts::${ACCOUNT}:assumed-role/crm-dev-stateless-SearchRole/crm-dev-search`;
  const access = (action: string, resource: string): Access => ({ action, resource, context: {} });

  async function thrown(answer: ErrorAnswer, send: () => Promise<unknown>) {
    captured = [];
    reply = answer;
    try {
      await send();
    } catch (error) {
      return error as Error & { $metadata: { httpStatusCode: number }; Code?: string };
    } finally {
      reply = undefined;
    }
    throw new Error('the call did not fail');
  }

  it('DynamoDB: 400 AccessDeniedException with AWS’s message', async () => {
    const resource = `${TABLE}`;
    const answer = accessDenied(
      { service: 'dynamodb', protocol: 'json-1.0' },
      principal,
      access('dynamodb:PutItem', resource),
      'implicit-deny',
    );
    const error = await thrown(answer, () =>
      DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig())).send(
        new GetCommand({ TableName: 'crm', Key: { pk: 'a', sk: 'b' } }),
      ),
    );
    expect(error.name).toBe('AccessDeniedException');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toBe(
      `User: ${principal} is not authorized to perform: dynamodb:PutItem on resource: ${resource} because no identity-based policy allows the dynamodb:PutItem action`,
    );
    const explicit = accessDenied(
      { service: 'dynamodb', protocol: 'json-1.0' },
      principal,
      access('dynamodb:PutItem', resource),
      'explicit-deny',
    );
    expect(JSON.parse(explicit.body).Message).toMatch(/ with an explicit deny in an identity-based policy$/);
  });

  it('EventBridge and Cognito (JSON 1.1): 400 AccessDeniedException', async () => {
    const events = accessDenied(
      { service: 'events', protocol: 'json-1.1' },
      principal,
      access('events:PutEvents', 'arn:aws:events:x'),
      'implicit-deny',
    );
    const error = await thrown(events, () => new EventBridgeClient(clientConfig()).send(new PutEventsCommand({ Entries: [] })));
    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['AccessDeniedException', 400]);
    expect(error.message).toContain('events:PutEvents on resource: arn:aws:events:x');
    const cognito = accessDenied(
      { service: 'cognito-idp', protocol: 'json-1.1' },
      principal,
      access('cognito-idp:AdminCreateUser', 'arn:p'),
      'implicit-deny',
    );
    const denied = await thrown(cognito, () =>
      new CognitoIdentityProviderClient(clientConfig()).send(new AdminCreateUserCommand({ UserPoolId: 'p', Username: 'u' })),
    );
    expect(denied.name).toBe('AccessDeniedException');
  });

  it('Scheduler (REST JSON): 403 with x-amzn-ErrorType', async () => {
    const answer = accessDenied(
      { service: 'scheduler', protocol: 'rest-json' },
      principal,
      access('scheduler:CreateSchedule', 'arn:s'),
      'implicit-deny',
    );
    const error = await thrown(answer, () => new SchedulerClient(clientConfig()).send(new GetScheduleCommand({ Name: 'a' })));
    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['AccessDeniedException', 403]);
    expect(error.message).toContain('scheduler:CreateSchedule on resource: arn:s');
  });

  it('the WebSocket management API (REST JSON): 403 AccessDeniedException with the action and connection', async () => {
    const resource = `arn:aws:execute-api:${REGION}:${ACCOUNT}:abc123def0/live/POST/@connections/c1=`;
    const answer = accessDenied(
      { service: 'execute-api', protocol: 'rest-json' },
      principal,
      access('execute-api:ManageConnections', resource),
      'implicit-deny',
    );
    const client = new ApiGatewayManagementApiClient({ ...clientConfig(), endpoint: `${endpoint}/abc123def0/live` });
    const error = await thrown(answer, () =>
      client.send(new PostToConnectionCommand({ ConnectionId: 'c1=', Data: new TextEncoder().encode('{}') })),
    );
    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['AccessDeniedException', 403]);
    expect(error.message).toContain(`execute-api:ManageConnections on resource: ${resource}`);
  });

  it('Connect (REST JSON): 403 AccessDeniedException with the action and contact', async () => {
    const resource = `arn:aws:connect:${REGION}:${ACCOUNT}:instance/i-1/contact/c-1`;
    const answer = accessDenied(
      { service: 'connect', protocol: 'rest-json' },
      principal,
      access('connect:DescribeContact', resource),
      'implicit-deny',
    );
    const error = await thrown(answer, () =>
      new ConnectClient(clientConfig()).send(new DescribeContactCommand({ InstanceId: 'i-1', ContactId: 'c-1' })),
    );
    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['AccessDeniedException', 403]);
    expect(error.message).toContain(`connect:DescribeContact on resource: ${resource}`);
  });

  it('SES v1 (Query): 403 AccessDenied in an ErrorResponse, with SES’s message', async () => {
    const answer = accessDenied(
      { service: 'ses', protocol: 'query' },
      principal,
      access('ses:SendEmail', 'arn:aws:ses:x:identity/a@b'),
      'implicit-deny',
    );
    const error = await thrown(answer, () =>
      new SESClient(clientConfig()).send(
        new SendEmailCommand({ Source: 'a@b', Destination: {}, Message: { Subject: { Data: 's' }, Body: {} } }),
      ),
    );
    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['AccessDenied', 403]);
    expect(error.message).toBe(
      `User \`${principal}' is not authorized to perform \`ses:SendEmail' on resource \`arn:aws:ses:x:identity/a@b'`,
    );
  });

  it('SQS (JSON): 403 with the Query error code in x-amzn-query-error, the action in lower case', () => {
    const answer = accessDenied(
      { service: 'sqs', protocol: 'json-1.0' },
      principal,
      access('sqs:SendMessage', 'arn:q'),
      'implicit-deny',
    );
    expect(answer.status).toBe(403);
    expect(answer.headers['x-amzn-query-error']).toBe('AccessDenied;Sender');
    expect(JSON.parse(answer.body)).toEqual({
      __type: 'com.amazon.coral.service#AccessDeniedException',
      Message: `User: ${principal} is not authorized to perform: sqs:sendmessage on resource: arn:q because no identity-based policy allows the sqs:sendmessage action`,
    });
  });

  it('an unknown key reads as UnrecognizedClientException', async () => {
    const answer = errorAnswer(
      'dynamodb',
      'json-1.0',
      'UnrecognizedClient',
      'The security token included in the request is invalid.',
    );
    const error = await thrown(answer, () => new DynamoDBClient(clientConfig()).send(new ListTablesCommand({})));
    expect(error.name).toBe('UnrecognizedClientException');
  });
});
