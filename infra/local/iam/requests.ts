import { arn, s3Arn, secretArn, secretNameOf, type AwsScope } from './arns.ts';
import type { RequestContext } from './policy.ts';
import { localCiphertextKeyId } from '../kms.ts';

// What an AWS SDK request asks IAM for: from the bytes on the wire (signature, target header,
// path, body) to the (action, resource ARN, condition context) triples AWS authorizes, for the
// services and operations our functions call. An operation not listed here is refused with
// UnsupportedRequestError, so a new SDK call gets a deliberate mapping rather than a silent pass.
//
// The actions and resources follow the Service Authorization Reference:
// https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
// (DynamoDB: list_amazondynamodb.html, EventBridge: list_amazoneventbridge.html, Scheduler:
// list_amazoneventbridgescheduler.html, SES: list_amazonses.html and list_amazonsimpleemailservicev2.html,
// SQS: list_amazonsqs.html, Secrets Manager: list_awssecretsmanager.html, Cognito user pools:
// list_amazoncognitouserpools.html, API Gateway's WebSocket management API:
// list_amazonapigatewaymanagement.html and apigateway-websocket-control-access-iam.html).

/** The services a gate can stand in front of, by their SigV4 signing name. */
export type AwsService =
  | 'dynamodb'
  | 'events'
  | 'scheduler'
  | 'ses'
  | 'sqs'
  | 'secretsmanager'
  | 'cognito-idp'
  | 'execute-api'
  | 's3'
  | 'kms'
  | 'connect';

export const AWS_SERVICES: readonly AwsService[] = [
  'dynamodb',
  'events',
  'scheduler',
  'ses',
  'sqs',
  'secretsmanager',
  'cognito-idp',
  'execute-api',
  's3',
  'kms',
  'connect',
];

/** The wire protocol a request came in: it decides the shape of an error answer. */
export type WireProtocol = 'json-1.0' | 'json-1.1' | 'rest-json' | 'query' | 'rest-xml';

/** An HTTP request as received: method, path with query string, headers (lower-case names), body. */
export interface WireRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: Buffer;
}

/** One authorization the request needs. */
export interface Access {
  readonly action: string;
  readonly resource: string;
  readonly context: RequestContext;
  /** How the service's AccessDenied message names the resource, when not by its ARN (a secret's id as given). */
  readonly named?: string;
  /**
   * Another resource whose grant also allows it: SES authorizes a send by the identity it
   * resolves for the sender, the address when verified, else its domain. Locally either counts.
   */
  readonly orResource?: string;
}

export interface DescribedRequest {
  readonly service: AwsService;
  readonly protocol: WireProtocol;
  /** The API operation, e.g. "TransactWriteItems". */
  readonly operation: string;
  /** The region the request was signed for: the resources are that region's. */
  readonly region: string;
  /** Distinct authorizations, in request order; all must be allowed. */
  readonly accesses: readonly Access[];
}

/** The SigV4 credential of a request: `Credential=<key>/<date>/<region>/<service>/aws4_request`. */
export interface SignedCredential {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

/** A request this module has no mapping for, or one too malformed to map. */
export class UnsupportedRequestError extends Error {
  override readonly name = 'UnsupportedRequestError';
  readonly service: AwsService;
  readonly protocol: WireProtocol;
  constructor(service: AwsService, protocol: WireProtocol, message: string) {
    super(message);
    this.service = service;
    this.protocol = protocol;
  }
}

/** Reads the credential from the Authorization header, or from a presigned URL's X-Amz-Credential. */
export function signedCredential(request: Pick<WireRequest, 'headers' | 'url'>): SignedCredential | undefined {
  const authorization = header(request.headers, 'authorization');
  let scope = /Credential=([^,\s]+)/.exec(authorization ?? '')?.[1];
  if (!scope) scope = new URL(request.url, 'http://local').searchParams.get('X-Amz-Credential') ?? undefined;
  const parts = scope?.split('/');
  if (!parts || parts.length < 5 || !parts[0]) return undefined;
  return { accessKeyId: parts[0], date: parts[1]!, region: parts[2]!, service: parts[3]! };
}

/** The protocol of a request to `service`, from its headers and path alone. */
export function protocolOf(service: AwsService, request: Pick<WireRequest, 'headers' | 'url'>): WireProtocol {
  switch (service) {
    case 'dynamodb':
      return 'json-1.0';
    case 'sqs':
      return header(request.headers, 'x-amz-target') ? 'json-1.0' : 'query';
    case 'events':
    case 'secretsmanager':
    case 'cognito-idp':
    case 'kms':
      return 'json-1.1';
    case 'scheduler':
    case 'execute-api':
    case 'connect':
      return 'rest-json';
    case 'ses':
      return new URL(request.url, 'http://local').pathname.startsWith('/v2/') ? 'rest-json' : 'query';
    case 's3':
      return 'rest-xml';
  }
}

/**
 * The authorizations `request` needs, as `service` (the endpoint it was sent to) sees it.
 * `scope.region` stands in when the request carries no signature. Throws UnsupportedRequestError
 * for operations without a mapping and for bodies that do not parse.
 */
export function describeRequest(service: AwsService, request: WireRequest, scope: AwsScope): DescribedRequest {
  const protocol = protocolOf(service, request);
  const region = signedCredential(request)?.region ?? scope.region;
  const local: AwsScope = { ...scope, region };
  const refuse = (message: string): never => {
    throw new UnsupportedRequestError(service, protocol, message);
  };
  const described = (operation: string, accesses: Access[]): DescribedRequest => ({
    service,
    protocol,
    operation,
    region,
    accesses: distinct(accesses.map((a) => ({ ...a, context: { ...globalContext(region), ...a.context } }))),
  });
  switch (service) {
    case 'dynamodb': {
      const { operation, body } = jsonTarget(request, refuse, ['DynamoDB_20120810', 'DynamoDBStreams_20120810']);
      return described(operation, dynamodbAccesses(operation, body, local, refuse));
    }
    case 'events': {
      const { operation, body } = jsonTarget(request, refuse, ['AWSEvents']);
      if (operation !== 'PutEvents') return refuse(`EventBridge ${operation} has no mapping`);
      const entries = (body.Entries as Record<string, unknown>[] | undefined) ?? [];
      return described(
        operation,
        entries.map((entry) => ({
          action: 'events:PutEvents',
          resource: busArn(local, entry.EventBusName as string | undefined),
          context: {
            ...(typeof entry.Source === 'string' ? { 'events:source': entry.Source } : {}),
            ...(typeof entry.DetailType === 'string' ? { 'events:detail-type': entry.DetailType } : {}),
          },
        })),
      );
    }
    case 'scheduler':
      return schedulerRequest(request, local, described, refuse);
    case 'ses':
      return protocol === 'query'
        ? sesV1Request(request, local, described, refuse)
        : sesV2Request(request, local, described, refuse);
    case 'sqs':
      return sqsRequest(request, protocol, local, described, refuse);
    case 'secretsmanager': {
      const { operation, body } = jsonTarget(request, refuse, ['secretsmanager']);
      if (operation === 'ListSecrets')
        return described(operation, [{ action: 'secretsmanager:ListSecrets', resource: '*', context: {} }]);
      if (!SECRET_OPERATIONS.has(operation)) return refuse(`Secrets Manager ${operation} has no mapping`);
      const secretId = stringField(body, 'SecretId', refuse);
      return described(operation, [
        {
          action: `secretsmanager:${operation}`,
          resource: secretArn(local, secretNameOf(secretId)),
          named: secretId,
          context: {},
        },
      ]);
    }
    case 's3':
      return s3Request(request, local, described, refuse);
    case 'kms':
      return kmsRequest(request, local, described, refuse);
    case 'cognito-idp': {
      const { operation, body } = jsonTarget(request, refuse, ['AWSCognitoIdentityProviderService']);
      if (!operation.startsWith('Admin') && !COGNITO_POOL_OPERATIONS.has(operation)) {
        return refuse(`Cognito user pools ${operation} has no mapping (only IAM-authorized user pool operations do)`);
      }
      const poolId = stringField(body, 'UserPoolId', refuse);
      return described(operation, [
        { action: `cognito-idp:${operation}`, resource: arn(local, 'cognito-idp', `userpool/${poolId}`), context: {} },
      ]);
    }
    case 'execute-api':
      return managementRequest(request, local, described, refuse);
    case 'connect':
      return connectRequest(request, local, described, refuse);
  }
}

// ---- Amazon Connect (REST JSON) -------------------------------------------------------------------
// DescribeContact only (list_amazonconnect.html): the contact's ARN, under its instance.

function connectRequest(request: WireRequest, scope: AwsScope, described: Described, refuse: Refuse): DescribedRequest {
  const url = new URL(request.url, 'http://local');
  const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (request.method.toUpperCase() === 'GET' && segments.length === 3 && segments[0] === 'contacts') {
    const [, instanceId, contactId] = segments as [string, string, string];
    return described('DescribeContact', [
      {
        action: 'connect:DescribeContact',
        resource: arn(scope, 'connect', `instance/${instanceId}/contact/${contactId}`),
        context: {},
      },
    ]);
  }
  return refuse(`Connect ${request.method} ${url.pathname} has no mapping`);
}

const MANAGEMENT_OPERATIONS: Readonly<Record<string, string>> = {
  POST: 'PostToConnection',
  GET: 'GetConnection',
  DELETE: 'DeleteConnection',
};

/**
 * The WebSocket management API, whose local endpoint names the API in its path:
 * "/<api id>/<stage>/@connections/<connection id>" (in AWS the host names the API). Every
 * operation is execute-api:ManageConnections on
 * arn:aws:execute-api:<region>:<account>:<api id>/<stage>/<METHOD>/@connections/<connection id>.
 */
function managementRequest(request: WireRequest, scope: AwsScope, described: Described, refuse: Refuse): DescribedRequest {
  const path = new URL(request.url, 'http://local').pathname;
  const match = /^\/([A-Za-z0-9]+)\/([A-Za-z0-9_-]+)\/@connections\/([^/]+)$/.exec(path);
  if (!match) return refuse(`execute-api ${request.method} ${path} is no management API call`);
  const operation = MANAGEMENT_OPERATIONS[request.method];
  if (!operation) return refuse(`execute-api ${request.method} on a connection has no mapping`);
  const [, apiId, stage, connectionId] = match;
  return described(operation, [
    {
      action: 'execute-api:ManageConnections',
      resource: arn(
        scope,
        'execute-api',
        `${apiId}/${stage}/${request.method}/@connections/${decodeURIComponent(connectionId!)}`,
      ),
      context: {},
    },
  ]);
}

/** Keys every request carries: the region and TLS, as a Lambda function's calls have in AWS. */
function globalContext(region: string): RequestContext {
  return { 'aws:RequestedRegion': region, 'aws:SecureTransport': 'true' };
}

type Refuse = (message: string) => never;
type Described = (operation: string, accesses: Access[]) => DescribedRequest;

// ---- DynamoDB and DynamoDB Streams (JSON 1.0) -----------------------------------------------------

// TransactWriteItems and TransactGetItems have no actions of their own: each item is authorized
// as the single-item operation it performs.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
const TRANSACT_ITEM_ACTIONS: Readonly<Record<string, string>> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

const TABLE_OPERATIONS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'DescribeTable',
  'CreateTable',
  'DeleteTable',
  'UpdateTable',
  'DescribeTimeToLive',
  'UpdateTimeToLive',
  'DescribeContinuousBackups',
]);

function dynamodbAccesses(operation: string, body: Record<string, unknown>, scope: AwsScope, refuse: Refuse): Access[] {
  const table = (name: unknown) => {
    if (typeof name !== 'string' || !name) return refuse(`DynamoDB ${operation}: TableName is missing`);
    return name.startsWith('arn:') ? name : arn(scope, 'dynamodb', `table/${name}`);
  };
  const access = (action: string, resource: string): Access => ({ action, resource, context: {} });
  if (TABLE_OPERATIONS.has(operation)) return [access(`dynamodb:${operation}`, table(body.TableName))];
  switch (operation) {
    case 'Query':
    case 'Scan': {
      const base = table(body.TableName);
      const resource = typeof body.IndexName === 'string' ? `${base}/index/${body.IndexName}` : base;
      return [access(`dynamodb:${operation}`, resource)];
    }
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys((body.RequestItems as Record<string, unknown> | undefined) ?? {}).map((name) =>
        access(`dynamodb:${operation}`, table(name)),
      );
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return ((body.TransactItems as Record<string, { TableName?: unknown }>[] | undefined) ?? []).map((item) => {
        const [kind, spec] = Object.entries(item)[0] ?? [];
        const action = kind ? TRANSACT_ITEM_ACTIONS[kind] : undefined;
        if (!action || !spec) return refuse(`DynamoDB ${operation}: unknown item ${JSON.stringify(item)}`);
        return access(action, table(spec.TableName));
      });
    case 'ListTables':
    case 'ListStreams':
    case 'DescribeLimits':
    case 'DescribeEndpoints':
      // No resource-level permissions: these are authorized on "*".
      return [access(`dynamodb:${operation}`, '*')];
    case 'DescribeStream':
    case 'GetShardIterator':
      return [access(`dynamodb:${operation}`, streamArn(scope, String(body.StreamArn ?? ''), operation, refuse))];
    case 'GetRecords': {
      // The iterator is opaque but starts with the stream's ARN, in AWS as in DynamoDB Local.
      const iterator = String(body.ShardIterator ?? '');
      return [access('dynamodb:GetRecords', streamArn(scope, iterator.split('|')[0] ?? '', operation, refuse))];
    }
    default:
      return refuse(`DynamoDB ${operation} has no mapping`);
  }
}

/** A stream ARN in this scope: DynamoDB Local names its streams in region "ddblocal", account 000000000000. */
function streamArn(scope: AwsScope, given: string, operation: string, refuse: Refuse): string {
  const match = /^arn:[^:]+:dynamodb:[^:]*:[^:]*:(table\/[^/]+\/stream\/.+)$/.exec(given);
  if (!match) return refuse(`DynamoDB Streams ${operation}: no stream ARN in ${JSON.stringify(given.slice(0, 200))}`);
  return arn(scope, 'dynamodb', match[1]!);
}

// ---- EventBridge ---------------------------------------------------------------------------------

function busArn(scope: AwsScope, nameOrArn: string | undefined): string {
  if (nameOrArn?.startsWith('arn:')) return nameOrArn;
  return arn(scope, 'events', `event-bus/${nameOrArn || 'default'}`);
}

// ---- EventBridge Scheduler (REST JSON) -----------------------------------------------------------

function schedulerRequest(request: WireRequest, scope: AwsScope, described: Described, refuse: Refuse): DescribedRequest {
  const url = new URL(request.url, 'http://local');
  const method = request.method.toUpperCase();
  const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const access = (action: string, resource: string, context: RequestContext = {}): Access => ({ action, resource, context });
  if (segments[0] === 'schedules' && segments.length === 1 && method === 'GET') {
    return described('ListSchedules', [access('scheduler:ListSchedules', '*')]);
  }
  if (segments[0] === 'schedules' && segments.length === 2) {
    const name = segments[1]!;
    const operation = { POST: 'CreateSchedule', PUT: 'UpdateSchedule', GET: 'GetSchedule', DELETE: 'DeleteSchedule' }[method];
    if (!operation) return refuse(`Scheduler ${method} ${url.pathname} has no mapping`);
    const body = operation === 'CreateSchedule' || operation === 'UpdateSchedule' ? jsonBody(request, refuse) : {};
    const group = (body.GroupName as string | undefined) ?? url.searchParams.get('groupName') ?? 'default';
    const accesses = [access(`scheduler:${operation}`, arn(scope, 'scheduler', `schedule/${group}/${name}`))];
    // Creating or updating a schedule passes its target's role to Scheduler.
    // https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html
    const roleArn = (body.Target as { RoleArn?: unknown } | undefined)?.RoleArn;
    if (typeof roleArn === 'string') {
      accesses.push(access('iam:PassRole', roleArn, { 'iam:PassedToService': 'scheduler.amazonaws.com' }));
    }
    return described(operation, accesses);
  }
  if (segments[0] === 'schedule-groups' && segments.length === 1 && method === 'GET') {
    return described('ListScheduleGroups', [access('scheduler:ListScheduleGroups', '*')]);
  }
  if (segments[0] === 'schedule-groups' && segments.length === 2) {
    const operation = { POST: 'CreateScheduleGroup', GET: 'GetScheduleGroup', DELETE: 'DeleteScheduleGroup' }[method];
    if (!operation) return refuse(`Scheduler ${method} ${url.pathname} has no mapping`);
    return described(operation, [access(`scheduler:${operation}`, arn(scope, 'scheduler', `schedule-group/${segments[1]}`))]);
  }
  return refuse(`Scheduler ${method} ${url.pathname} has no mapping`);
}

// ---- SES: v1 (Query) and v2 (REST JSON) ----------------------------------------------------------
// Sending is authorized on the sending identity and, when the mail names one, on the
// configuration set. Locally the identity is the sender's address (AWS uses the address
// identity when it is verified, else its domain's; bindMailer grants both).

function sesV1Request(request: WireRequest, scope: AwsScope, described: Described, refuse: Refuse): DescribedRequest {
  const form = new URLSearchParams(request.body.toString('utf8'));
  const operation = form.get('Action') ?? '';
  if (operation !== 'SendEmail' && operation !== 'SendRawEmail')
    return refuse(`SES ${operation || '(no Action)'} has no mapping`);
  const raw = form.get('RawMessage.Data');
  const from =
    form.get('Source') ??
    (raw ? fromHeader(Buffer.from(raw, 'base64').toString('utf8')) : undefined) ??
    refuse(`SES ${operation}: no sender`);
  return described(
    operation,
    sesAccesses(`ses:${operation}`, scope, form.get('SourceArn') ?? form.get('FromArn'), from, form.get('ConfigurationSetName')),
  );
}

function sesV2Request(request: WireRequest, scope: AwsScope, described: Described, refuse: Refuse): DescribedRequest {
  const path = new URL(request.url, 'http://local').pathname;
  const method = request.method.toUpperCase();
  // Account-level reads and the suppression list: no resource-level permissions (Resource "*").
  const anyResource = (operation: string) => described(operation, [{ action: `ses:${operation}`, resource: '*', context: {} }]);
  if (method === 'GET' && path === '/v2/email/account') return anyResource('GetAccount');
  if (path === '/v2/email/suppression/addresses') {
    if (method === 'PUT') return anyResource('PutSuppressedDestination');
    if (method === 'GET') return anyResource('ListSuppressedDestinations');
  }
  if (path.startsWith('/v2/email/suppression/addresses/')) {
    if (method === 'GET') return anyResource('GetSuppressedDestination');
    if (method === 'DELETE') return anyResource('DeleteSuppressedDestination');
  }
  if (method !== 'POST' || path !== '/v2/email/outbound-emails') {
    return refuse(`SES v2 ${request.method} ${path} has no mapping`);
  }
  const body = jsonBody(request, refuse);
  const content = body.Content as { Raw?: { Data?: string } } | undefined;
  const raw = content?.Raw?.Data;
  const from =
    (body.FromEmailAddress as string | undefined) ??
    (raw ? fromHeader(Buffer.from(raw, 'base64').toString('utf8')) : undefined) ??
    refuse('SES v2 SendEmail: no sender');
  return described(
    'SendEmail',
    sesAccesses(
      'ses:SendEmail',
      scope,
      body.FromEmailAddressIdentityArn as string | undefined,
      from,
      body.ConfigurationSetName as string | undefined,
    ),
  );
}

function sesAccesses(
  action: string,
  scope: AwsScope,
  identityArn: string | null | undefined,
  from: string,
  configurationSet: string | null | undefined,
): Access[] {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from.trim();
  const domain = address.slice(address.lastIndexOf('@') + 1);
  const accesses: Access[] = [
    identityArn
      ? { action, resource: identityArn, context: {} }
      : {
          action,
          resource: arn(scope, 'ses', `identity/${address}`),
          orResource: arn(scope, 'ses', `identity/${domain}`),
          context: {},
        },
  ];
  if (configurationSet)
    accesses.push({ action, resource: arn(scope, 'ses', `configuration-set/${configurationSet}`), context: {} });
  return accesses;
}

function fromHeader(mime: string): string | undefined {
  const headers = mime.split(/\r?\n\r?\n/)[0] ?? '';
  return /^from:\s*(.+)$/im.exec(headers)?.[1]?.trim();
}

// ---- SQS (JSON 1.0 and Query) --------------------------------------------------------------------

const SQS_QUEUE_ACTIONS: Readonly<Record<string, string>> = {
  SendMessage: 'sqs:SendMessage',
  SendMessageBatch: 'sqs:SendMessage',
  ReceiveMessage: 'sqs:ReceiveMessage',
  DeleteMessage: 'sqs:DeleteMessage',
  DeleteMessageBatch: 'sqs:DeleteMessage',
  ChangeMessageVisibility: 'sqs:ChangeMessageVisibility',
  ChangeMessageVisibilityBatch: 'sqs:ChangeMessageVisibility',
  GetQueueAttributes: 'sqs:GetQueueAttributes',
  SetQueueAttributes: 'sqs:SetQueueAttributes',
  PurgeQueue: 'sqs:PurgeQueue',
  DeleteQueue: 'sqs:DeleteQueue',
};

function sqsRequest(
  request: WireRequest,
  protocol: WireProtocol,
  scope: AwsScope,
  described: Described,
  refuse: Refuse,
): DescribedRequest {
  let operation: string;
  let field: (name: string) => string | undefined;
  if (protocol === 'json-1.0') {
    const target = jsonTarget(request, refuse, ['AmazonSQS']);
    operation = target.operation;
    field = (name) => (typeof target.body[name] === 'string' ? (target.body[name] as string) : undefined);
  } else {
    const form = new URLSearchParams(request.body.toString('utf8'));
    const query = new URL(request.url, 'http://local').searchParams;
    operation = form.get('Action') ?? query.get('Action') ?? '';
    field = (name) => form.get(name) ?? query.get(name) ?? undefined;
  }
  const queueArn = (name: string) => arn(scope, 'sqs', name);
  if (operation === 'ListQueues') return described(operation, [{ action: 'sqs:ListQueues', resource: '*', context: {} }]);
  if (operation === 'GetQueueUrl' || operation === 'CreateQueue') {
    const name = field('QueueName') ?? refuse(`SQS ${operation}: QueueName is missing`);
    return described(operation, [{ action: `sqs:${operation}`, resource: queueArn(name), context: {} }]);
  }
  const action = SQS_QUEUE_ACTIONS[operation];
  if (!action) return refuse(`SQS ${operation || '(no Action)'} has no mapping`);
  const url = field('QueueUrl') ?? refuse(`SQS ${operation}: QueueUrl is missing`);
  const name =
    new URL(url, 'http://local').pathname.split('/').filter(Boolean).at(-1) ?? refuse(`SQS ${operation}: bad QueueUrl ${url}`);
  return described(operation, [{ action, resource: queueArn(name), context: {} }]);
}

// ---- S3 (REST XML, path-style: /<bucket>/<key>) -------------------------------------------------

/**
 * Object operations only (what functions and their presigned URLs do): GET/HEAD → GetObject,
 * PUT (and multipart POSTs) → PutObject (a copy also reads its source), DELETE → DeleteObject
 * (AbortMultipartUpload with an uploadId). Bucket-level operations have no mapping.
 */
function s3Request(request: WireRequest, scope: AwsScope, described: Described, refuse: Refuse): DescribedRequest {
  const url = new URL(request.url, 'http://local');
  const [bucket, ...rest] = url.pathname.split('/').slice(1);
  const key = rest.map((part) => decodeURIComponent(part)).join('/');
  if (!bucket || !key) return refuse(`S3 ${request.method} ${url.pathname}: bucket operations have no mapping`);
  const object = { action: '', resource: s3Arn(scope, bucket, key), context: {} };
  const method = request.method.toUpperCase();
  if (method === 'GET' || method === 'HEAD') return described('GetObject', [{ ...object, action: 's3:GetObject' }]);
  if (method === 'DELETE') {
    return url.searchParams.has('uploadId')
      ? described('AbortMultipartUpload', [{ ...object, action: 's3:AbortMultipartUpload' }])
      : described('DeleteObject', [{ ...object, action: 's3:DeleteObject' }]);
  }
  if (method === 'PUT' || method === 'POST') {
    const copySource = header(request.headers, 'x-amz-copy-source');
    if (!copySource) return described('PutObject', [{ ...object, action: 's3:PutObject' }]);
    const source = decodeURIComponent(copySource.replace(/^\//, '').split('?')[0]!);
    const slash = source.indexOf('/');
    if (slash <= 0) return refuse(`S3 CopyObject: bad x-amz-copy-source ${copySource}`);
    return described('CopyObject', [
      { action: 's3:GetObject', resource: s3Arn(scope, source.slice(0, slash), source.slice(slash + 1)), context: {} },
      { ...object, action: 's3:PutObject' },
    ]);
  }
  return refuse(`S3 ${method} has no mapping`);
}

// ---- KMS (JSON 1.1, TrentService) ------------------------------------------------------------------
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html

const KMS_OPERATIONS = new Set(['GenerateDataKey', 'Encrypt', 'Decrypt', 'DescribeKey']);

/**
 * The key's ARN and the encryption context's condition keys (kms:EncryptionContext:<key> and
 * kms:EncryptionContextKeys). Decrypt is authorized on the key the blob names (the local
 * stand-in's blob format), as KMS does, whatever KeyId says. Keys are named by id or ARN; an
 * alias has no mapping (policies name keys, and the gate cannot resolve one).
 */
function kmsRequest(request: WireRequest, scope: AwsScope, described: Described, refuse: Refuse): DescribedRequest {
  const { operation, body } = jsonTarget(request, refuse, ['TrentService']);
  if (!KMS_OPERATIONS.has(operation)) return refuse(`KMS ${operation} has no mapping`);
  const keyArnOf = (keyId: string): string => {
    if (keyId.startsWith('alias/') || /^arn:[^:]+:kms:[^:]*:[^:]*:alias\//.test(keyId))
      return refuse(`KMS ${operation}: the key is named by an alias (${keyId}), which has no mapping`);
    return keyId.startsWith('arn:') ? keyId : arn(scope, 'kms', `key/${keyId}`);
  };
  let keyId: string;
  if (operation === 'Decrypt') {
    const blob = Buffer.from(stringField(body, 'CiphertextBlob', refuse), 'base64');
    keyId = localCiphertextKeyId(blob) ?? refuse('KMS Decrypt: the CiphertextBlob is none of the local key service');
  } else keyId = stringField(body, 'KeyId', refuse);
  const context = (body.EncryptionContext ?? {}) as Record<string, unknown>;
  if (typeof context !== 'object' || Array.isArray(context) || Object.values(context).some((v) => typeof v !== 'string'))
    return refuse('KMS: EncryptionContext must map strings to strings');
  return described(operation, [
    {
      action: `kms:${operation}`,
      resource: keyArnOf(keyId),
      context: {
        ...Object.fromEntries(Object.entries(context).map(([k, v]) => [`kms:EncryptionContext:${k}`, v as string])),
        ...(operation === 'DescribeKey' ? {} : { 'kms:EncryptionContextKeys': Object.keys(context) }),
      },
    },
  ]);
}

// ---- Secrets Manager and Cognito -----------------------------------------------------------------

const SECRET_OPERATIONS = new Set([
  'GetSecretValue',
  'DescribeSecret',
  'PutSecretValue',
  'UpdateSecret',
  'ListSecretVersionIds',
  'UpdateSecretVersionStage',
  'RotateSecret',
  'DeleteSecret',
]);

/** Cognito operations that are IAM-authorized on a user pool besides the Admin* ones. */
const COGNITO_POOL_OPERATIONS = new Set([
  'ListUsers',
  'ListUsersInGroup',
  'ListGroups',
  'GetGroup',
  'CreateGroup',
  'UpdateGroup',
  'DeleteGroup',
  'DescribeUserPool',
  'DescribeUserPoolClient',
  'ListUserPoolClients',
]);

// ---- Helpers -------------------------------------------------------------------------------------

function jsonTarget(
  request: WireRequest,
  refuse: Refuse,
  prefixes: readonly string[],
): { operation: string; body: Record<string, unknown> } {
  const target = header(request.headers, 'x-amz-target') ?? '';
  const dot = target.lastIndexOf('.');
  const prefix = target.slice(0, dot);
  if (dot < 0 || !prefixes.includes(prefix)) {
    return refuse(`X-Amz-Target ${JSON.stringify(target)} is not one of ${prefixes.map((p) => `${p}.*`).join(', ')}`);
  }
  return { operation: target.slice(dot + 1), body: jsonBody(request, refuse) };
}

function jsonBody(request: WireRequest, refuse: Refuse): Record<string, unknown> {
  if (request.body.length === 0) return {};
  try {
    const body = JSON.parse(request.body.toString('utf8')) as unknown;
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // refused below
  }
  return refuse('the request body is not a JSON object');
}

function stringField(body: Record<string, unknown>, name: string, refuse: Refuse): string {
  const value = body[name];
  return typeof value === 'string' && value ? value : refuse(`${name} is missing`);
}

function header(headers: WireRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : (value as string | undefined);
}

function distinct(accesses: Access[]): Access[] {
  const seen = new Set<string>();
  return accesses.filter((a) => {
    const key = `${a.action} ${a.resource} ${JSON.stringify(a.context)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
