import { EXPORT_QUEUE_MAX_RECEIVES, EXPORT_RETENTION_DAYS, SLICE_BUDGET_MS } from '#shared/exports/domain.ts';
import { SELL_IMPORT_LEASE_MS, SELL_IMPORT_QUEUE_MAX_RECEIVES, SELL_IMPORT_SLICE_MS } from '#shared/sell-import/domain.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileSystem } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxStreamFilter, tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import { routeKey } from '#shared/platform/http/contract.ts';
import { allRoutes } from '#shared/families.ts';
import { ROLES } from '#shared/kernel/roles.ts';
import {
  cursorKeyRotationFunction,
  declaredVariables,
  functionSpecs,
  httpFamilies,
  importWorkerFunction,
  exportWorkerFunction,
  bulkWorkerFunction,
  mailSenderFunction,
  sellImportWorkerFunction,
} from '#infra/functions.ts';
import { App } from 'aws-cdk-lib';
import { Template as CdkTemplate } from 'aws-cdk-lib/assertions';
import {
  ABANDONED_UPLOAD_DAYS,
  IMPORT_FILE_DAYS,
  SELL_IMPORT_QUEUE_VISIBILITY_SECONDS,
  CURSOR_KEY_ROTATION_DAYS,
  INBOUND_MAIL_DAYS,
  invitationMessage,
  StatefulStack,
  IMPORT_QUEUE_MAX_RECEIVES,
  IMPORT_QUEUE_VISIBILITY_SECONDS,
  EXPORT_QUEUE_VISIBILITY_SECONDS,
  BULK_QUEUE_MAX_RECEIVES,
  BULK_QUEUE_VISIBILITY_SECONDS,
  MAIL_QUEUE_DELAY_SECONDS,
  MAIL_QUEUE_MAX_RECEIVES,
  MAIL_QUEUE_VISIBILITY_SECONDS,
} from '#infra/stateful-stack.ts';
import {
  API_AUTHORIZER_CACHE_SECONDS,
  IMPORT_WORKER_CONCURRENCY,
  EXPORT_WORKER_CONCURRENCY,
  BULK_WORKER_CONCURRENCY,
  PUBLIC_ROUTE_THROTTLE,
  SELL_IMPORT_WORKER_CONCURRENCY,
} from '#infra/stateless-stack.ts';
import { MAIL_SENDER_CONCURRENCY } from '#shared/mail/domain.ts';
import { builtinRules, busRules, connectRules, ruleEventPattern } from '#infra/rules.ts';
import { parseConfig } from '#infra/config/load.ts';
import { RULE_EVENTS } from '#shared/notifications/rules.ts';
import { CREDENTIAL_PURPOSE } from '#shared/mailboxes/sealer.ts';
import { shippedConfig, synthCrmApp, type SynthesizedCrmApp } from './crm-app.ts';

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string }>;

let crm: SynthesizedCrmApp;
let stateful: Template;
let stateless: Template;
/** The stateless stack's nested stack of the HTTP API's routes, integrations and invoke permissions. */
let httpRoutes: Template;

beforeAll(() => {
  crm = synthCrmApp();
  stateful = crm.statefulTemplate;
  stateless = crm.statelessTemplate;
  httpRoutes = CdkTemplate.fromStack(crm.stateless.httpRoutesStack);
  // Synthesis bundles every function: about 40 s alone, past the default 120 s on a loaded machine.
}, 300_000);
afterAll(() => crm?.dispose());

function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** The statements of the policy attached to a function's execution role. */
function policyStatements(template: Template, functionName: string): { Action: string | string[]; Resource: unknown }[] {
  const fn = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).find(
    (f) => f.Properties.FunctionName === functionName,
  );
  expect(fn, functionName).toBeDefined();
  const roleId = fn!.Properties.Role['Fn::GetAtt'][0] as string;
  const policies = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).filter((p) =>
    (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId),
  );
  expect(policies, `the policy of ${functionName}`).toHaveLength(1);
  return policies[0]!.Properties.PolicyDocument.Statement;
}

const actionsOf = (statements: { Action: string | string[] }[]) => statements.flatMap((s) => [s.Action].flat());

const TABLE_READ = ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Query'];
const TABLE_WRITE = ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
const LOGS_AND_XRAY = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
/** The item actions on the table, sorted (the stream's reads are not item actions). */
const tableActions = (actions: string[]) =>
  actions.filter((a) => a.startsWith('dynamodb:') && !/Stream|Records|ShardIterator/.test(a)).sort();

/** The registry's functions in the stateless stack (a rotation function lives beside its secret). */
const statelessSpecs = () => functionSpecs.filter((spec) => spec.kind !== 'rotation');

function functionResource(functionName: string, template: Template = stateless): Resources[string] {
  const fn = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).find(
    (f) => f.Properties.FunctionName === functionName,
  );
  expect(fn, functionName).toBeDefined();
  return fn!;
}

/** The logical id of the API of `protocol` (one HTTP API, one WebSocket API). */
function apiId(protocol: 'HTTP' | 'WEBSOCKET'): string {
  const found = Object.entries(resourcesOf(stateless, 'AWS::ApiGatewayV2::Api')).filter(
    ([, api]) => api.Properties.ProtocolType === protocol,
  );
  expect(found, protocol).toHaveLength(1);
  return found[0]![0];
}

/** The resources of `type` that belong to the API of `protocol` (their ApiId). */
function ofApi(type: string, protocol: 'HTTP' | 'WEBSOCKET'): Resources {
  const id = apiId(protocol);
  return Object.fromEntries(Object.entries(resourcesOf(stateless, type)).filter(([, r]) => r.Properties.ApiId?.Ref === id));
}

/** The logical id, in the stateless template, of the nested stack of the HTTP routes. */
function httpRoutesStackId(): string {
  const found = Object.keys(resourcesOf(stateless, 'AWS::CloudFormation::Stack')).filter((id) => id.startsWith('HttpRoutes'));
  expect(found).toHaveLength(1);
  return found[0]!;
}

/**
 * A value of the routes' nested template as the stateless stack hands it: a `Ref` to one of
 * the nested stack's parameters becomes what the parent passes for it; anything else is kept.
 */
function fromParent(value: unknown): unknown {
  const ref = (value as { Ref?: string } | undefined)?.Ref;
  const parameters = resourcesOf(stateless, 'AWS::CloudFormation::Stack')[httpRoutesStackId()]!.Properties.Parameters;
  return ref !== undefined && ref in parameters ? parameters[ref] : value;
}

/** The resources of `type` in the routes' nested stack that belong to the HTTP API (their ApiId, passed in). */
function ofHttpRoutes(type: string): Resources {
  const id = apiId('HTTP');
  return Object.fromEntries(
    Object.entries(resourcesOf(httpRoutes, type)).filter(
      ([, r]) => (fromParent(r.Properties.ApiId) as { Ref?: string } | undefined)?.Ref === id,
    ),
  );
}

/** What an SqsDestination grants the function's role on its queue. */
const ON_FAILURE_SEND = ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'];
const pascalCase = (name: string) => name.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());

/** CloudFormation's limit of resources per stack. */
const STACK_RESOURCE_LIMIT = 500;

/**
 * The stateless stack's ceiling here: functions, their roles, policies and event wiring, but not
 * the routes (their nested stack). Well below 500 on purpose: when a change crosses it, there is
 * still room to deploy while something else moves out (as the routes did, from 490).
 */
const STATELESS_RESOURCE_CEILING = 350;
/**
 * The routes' nested stack's ceiling: one route per contract plus one integration and one
 * invoke permission per HTTP function. Past it (about 350 routes), split the nested stack in two
 * by family before CloudFormation's 500 stops a deploy; API Gateway's default quota of 300
 * routes per HTTP API (adjustable) comes first anyway.
 */
const HTTP_ROUTES_RESOURCE_CEILING = 400;

describe('resource counts', () => {
  it('keeps each stack well below CloudFormation’s 500: the stateless stack without its routes, the routes in their nested stack', () => {
    const count = (stack: Parameters<typeof CdkTemplate.fromStack>[0]) =>
      Object.keys(CdkTemplate.fromStack(stack).toJSON().Resources).length;
    const counts: Record<string, number> = {
      ...Object.fromEntries([crm.stateful, crm.stateless, crm.monitoring].map((stack) => [stack.stackName, count(stack)])),
      'crm-dev-stateless/HttpRoutes': count(crm.stateless.httpRoutesStack),
    };
    console.log('resources per stack (shipped config):', counts);
    for (const count of Object.values(counts)) expect(count).toBeLessThan(STACK_RESOURCE_LIMIT);
    expect(counts['crm-dev-stateless']).toBeLessThanOrEqual(STATELESS_RESOURCE_CEILING);
    expect(counts['crm-dev-stateless/HttpRoutes']).toBeLessThanOrEqual(HTTP_ROUTES_RESOURCE_CEILING);
    // The nested stack holds the routes, their integrations and the invoke permissions, nothing else.
    expect(new Set(Object.values(httpRoutes.toJSON().Resources).map((r) => (r as { Type: string }).Type))).toEqual(
      new Set(['AWS::ApiGatewayV2::Route', 'AWS::ApiGatewayV2::Integration', 'AWS::Lambda::Permission']),
    );
    // No queue of its own but the bus rules' DLQ, whose policy names the rules.
    expect(Object.values(resourcesOf(stateless, 'AWS::SQS::Queue')).map((q) => q.Properties.QueueName)).toEqual([
      'crm-dev-bus-rules-dlq',
    ]);
  });
});

describe('stateful stack', () => {
  it('builds the single table from the table spec', () => {
    stateful.resourceCountIs('AWS::DynamoDB::Table', 1);
    stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'crm-dev',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: tableSpec.partitionKey, KeyType: 'HASH' },
        { AttributeName: tableSpec.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: tableSpec.partitionKey, AttributeType: 'S' },
        { AttributeName: tableSpec.sortKey, AttributeType: 'S' },
      ]),
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      TimeToLiveSpecification: { AttributeName: tableSpec.timeToLiveAttribute, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      SSESpecification: { SSEEnabled: true },
    });
    stateful.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('has every GSI of the table spec, keys as strings, projection ALL', () => {
    const table = Object.values(resourcesOf(stateful, 'AWS::DynamoDB::Table'))[0]!;
    const indexes = table.Properties.GlobalSecondaryIndexes as { IndexName: string }[];
    expect(indexes.map((i) => i.IndexName).sort()).toEqual(tableSpec.globalSecondaryIndexes.map((i) => i.indexName).sort());
    for (const index of tableSpec.globalSecondaryIndexes) {
      expect(indexes).toContainEqual({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      });
      expect(table.Properties.AttributeDefinitions).toContainEqual({ AttributeName: index.partitionKey, AttributeType: 'S' });
      expect(table.Properties.AttributeDefinitions).toContainEqual({ AttributeName: index.sortKey, AttributeType: 'S' });
    }
  });

  it('has the event bus and a one-year archive of the CRM source', () => {
    stateful.hasResourceProperties('AWS::Events::EventBus', { Name: 'crm-dev' });
    stateful.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Bus'), 'Arn'] },
      EventPattern: { source: ['crm'] },
      RetentionDays: 365,
    });
  });

  it('has the reminder schedule group and the SES configuration set', () => {
    stateful.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'crm-dev' });
    stateful.hasResourceProperties('AWS::SES::ConfigurationSet', { Name: 'crm-dev' });
  });

  it('has a user pool for invited users only, with a strong password policy and threat protection', () => {
    stateful.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      UsernameAttributes: ['email'],
      MfaConfiguration: 'OPTIONAL',
      Policies: {
        PasswordPolicy: Match.objectLike({
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        }),
      },
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      DeletionProtection: 'ACTIVE',
    });
    stateful.hasResource('AWS::Cognito::UserPool', { DeletionPolicy: 'Retain' });
  });

  it('spells out the threat protection actions', () => {
    stateful.hasResourceProperties('AWS::Cognito::UserPoolRiskConfigurationAttachment', {
      ClientId: 'ALL',
      CompromisedCredentialsRiskConfiguration: { Actions: { EventAction: 'BLOCK' } },
      AccountTakeoverRiskConfiguration: {
        Actions: Match.objectLike({ HighAction: { EventAction: 'MFA_REQUIRED', Notify: false } }),
      },
    });
  });

  it('has one Cognito group per CRM role', () => {
    const groups = Object.values(resourcesOf(stateful, 'AWS::Cognito::UserPoolGroup')).map((g) => g.Properties.GroupName);
    expect(groups.sort()).toEqual([...ROLES].sort());
  });

  it('has a public app client (no secret) for the JWT audience', () => {
    stateful.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    stateful.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_SRP_AUTH']),
    });
  });

  it('generates the cursor HMAC key', () => {
    stateful.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 64 }),
    });
  });

  it('rotates the cursor key every 30 days with the registry rotation function, which may touch that secret only', () => {
    const secretId = Object.keys(resourcesOf(stateful, 'AWS::SecretsManager::Secret'))[0]!;
    const fn = Object.entries(resourcesOf(stateful, 'AWS::Lambda::Function')).find(
      ([, f]) => f.Properties.FunctionName === `crm-dev-${cursorKeyRotationFunction.name}`,
    );
    expect(fn).toBeDefined();
    const schedules = Object.values(resourcesOf(stateful, 'AWS::SecretsManager::RotationSchedule'));
    expect(schedules).toHaveLength(1);
    expect(schedules[0]!.Properties).toEqual({
      SecretId: { Ref: secretId },
      RotationLambdaARN: { 'Fn::GetAtt': [fn![0], 'Arn'] },
      RotationRules: { AutomaticallyAfterDays: CURSOR_KEY_ROTATION_DAYS },
      RotateImmediatelyOnUpdate: false,
    });
    // Secrets Manager may invoke it, from this account only.
    stateful.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [fn![0], 'Arn'] },
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
    // The rotation protocol on the one secret; nothing on "*" but X-Ray (no GetRandomPassword).
    const statements = policyStatements(stateful, `crm-dev-${cursorKeyRotationFunction.name}`);
    const secretStatements = statements.filter((st) => actionsOf([st]).some((a) => a.startsWith('secretsmanager:')));
    expect(secretStatements).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        Resource: { Ref: secretId },
      },
    ]);
    expect(
      actionsOf(statements)
        .filter((a) => !a.startsWith('secretsmanager:'))
        .sort(),
    ).toEqual(LOGS_AND_XRAY);
    expect(
      functionResource(`crm-dev-${cursorKeyRotationFunction.name}`, stateful).Properties.Environment.Variables.CURSOR_SECRET_ID,
    ).toEqual({
      Ref: secretId,
    });
  });

  it('sends Cognito mail through SES from the configured sender, with the app URL in the invitation', () => {
    const config = shippedConfig();
    const setId = Object.keys(resourcesOf(stateful, 'AWS::SES::ConfigurationSet'))[0]!;
    const pool = Object.values(resourcesOf(stateful, 'AWS::Cognito::UserPool'))[0]!.Properties;
    expect(pool.EmailConfiguration).toEqual({
      EmailSendingAccount: 'DEVELOPER',
      From: `${config.email.sender_name} <${config.email.sender_address}>`,
      SourceArn: {
        'Fn::Join': [
          '',
          [`arn:aws:ses:${config.region}:`, { Ref: 'AWS::AccountId' }, `:identity/${config.email.sender_address}`],
        ],
      },
      ConfigurationSet: { Ref: setId },
    });
    const invitation = pool.AdminCreateUserConfig.InviteMessageTemplate;
    expect(invitation.EmailMessage).toContain(config.app_url);
    expect(invitation.EmailMessage).toContain('{username}');
    expect(invitation.EmailMessage).toContain('{####}');
    expect(invitation.EmailSubject).toBe(invitationMessage(config).subject);
    // No domain in the shipped config: no domain identity to create.
    stateful.resourceCountIs('AWS::SES::EmailIdentity', 0);
  });

  it("publishes the configuration set's events to the default bus, and forwards that set's events to the CRM bus with a DLQ", () => {
    const setId = Object.keys(resourcesOf(stateful, 'AWS::SES::ConfigurationSet'))[0]!;
    const destinations = Object.values(resourcesOf(stateful, 'AWS::SES::ConfigurationSetEventDestination'));
    expect(destinations).toHaveLength(1);
    const destination = destinations[0]!.Properties;
    expect(destination.ConfigurationSetName).toEqual({ Ref: setId });
    expect(destination.EventDestination.Enabled).toBe(true);
    expect([...destination.EventDestination.MatchingEventTypes].sort()).toEqual(
      ['bounce', 'click', 'complaint', 'delivery', 'deliveryDelay', 'open', 'reject', 'send'].sort(),
    );
    expect(JSON.stringify(destination.EventDestination.EventBridgeDestination)).toContain('event-bus/default');
    const forward = Object.values(resourcesOf(stateful, 'AWS::Events::Rule')).find((r) =>
      JSON.stringify(r.Properties.EventPattern).includes('aws.ses'),
    )!;
    expect(forward.Properties.EventBusName).toBe('default');
    expect(forward.Properties.EventPattern).toEqual({
      source: ['aws.ses'],
      detail: { mail: { tags: { 'ses:configuration-set': ['crm-dev'] } } },
    });
    expect(JSON.stringify(forward.Properties.Targets[0].Arn)).toContain('Bus');
    expect(forward.Properties.Targets[0].DeadLetterConfig.Arn).toBeDefined();
  });

  it('takes the refresh token lifetime and rotation from the config', () => {
    const { auth } = shippedConfig();
    stateful.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      RefreshTokenValidity: auth.refresh_token_validity_days * 24 * 60,
      TokenValidityUnits: Match.objectLike({ RefreshToken: 'minutes' }),
      RefreshTokenRotation: { Feature: 'ENABLED', RetryGracePeriodSeconds: 10 },
    });
    // With rotation, clients refresh through GetTokensFromRefreshToken, not the old flow.
    const client = Object.values(resourcesOf(stateful, 'AWS::Cognito::UserPoolClient'))[0]!.Properties;
    expect(client.ExplicitAuthFlows).not.toContain('ALLOW_REFRESH_TOKEN_AUTH');
  });

  it('has an encrypted DLQ that refuses requests without TLS', () => {
    stateful.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, QueueName: 'crm-dev-dlq' });
    stateful.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

/**
 * The function reads the cursor key at run time: CURSOR_SECRET_ID is the secret's ARN (a
 * cross-stack reference, never the value), and GetSecretValue is granted on that secret only.
 */
function expectCursorSecretRead(functionName: string): void {
  const variable = JSON.stringify(functionResource(functionName).Properties.Environment.Variables.CURSOR_SECRET_ID);
  expect(variable, functionName).toContain('Fn::GetStackOutput');
  expect(variable).not.toContain('resolve:secretsmanager');
  const secretStatements = policyStatements(stateless, functionName).filter((st) =>
    actionsOf([st]).some((a) => a.startsWith('secretsmanager:')),
  );
  expect(secretStatements, functionName).toHaveLength(1);
  expect(secretStatements[0]!.Action).toBe('secretsmanager:GetSecretValue');
  // The same value as the variable: the ARN of the one secret.
  expect(JSON.stringify(secretStatements[0]!.Resource)).toBe(variable);
}

describe('stateless stack: functions', () => {
  it('has one function per registry entry, every one nodejs24.x on arm64 with tracing and source maps', () => {
    const functions = Object.values(resourcesOf(stateless, 'AWS::Lambda::Function'));
    expect(functions).toHaveLength(statelessSpecs().length);
    for (const fn of [...functions, ...Object.values(resourcesOf(stateful, 'AWS::Lambda::Function'))]) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: functionSpecs.find((spec) => `crm-dev-${spec.name}` === fn.Properties.FunctionName)?.memorySize ?? 1024,
        TracingConfig: { Mode: 'Active' },
        // Its own group: made beside it (a Ref) or, for the stateless stack's, by name in the stateful one.
        LoggingConfig: { LogFormat: 'JSON', LogGroup: expect.anything() },
        Environment: {
          Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_LOG_LEVEL: 'INFO' }),
        },
      });
    }
    const names = functions.map((fn) => fn.Properties.FunctionName).sort();
    expect(names).toEqual(
      statelessSpecs()
        .map((spec) => `crm-dev-${spec.name}`)
        .sort(),
    );
  });

  it('gives each function its own log group with the configured retention, kept in the stateful stack', () => {
    for (const spec of statelessSpecs()) {
      stateful.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: `/aws/lambda/crm-dev-${spec.name}`,
        RetentionInDays: 30,
      });
      const fn = Object.values(resourcesOf(stateless, 'AWS::Lambda::Function')).find(
        (f) => f.Properties.FunctionName === `crm-dev-${spec.name}`,
      )!;
      expect(JSON.stringify(fn.Properties.LoggingConfig.LogGroup), spec.name).toContain(`/aws/lambda/crm-dev-${spec.name}`);
    }
    expect(Object.keys(resourcesOf(stateless, 'AWS::Logs::LogGroup')).length).toBeLessThanOrEqual(2); // the two access logs
  });

  it('uses no AWS managed policy on any role', () => {
    for (const role of Object.values(resourcesOf(stateless, 'AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  // cdk-nag 3 acknowledges "IAM5[Resource::*]" per role, whatever the action: this keeps the
  // acknowledged wildcard to the actions that have no resource-level permissions.
  it('grants Resource "*" only for actions that cannot be scoped (X-Ray writes, ListStreams, SES quota and suppression reads)', () => {
    const unscopable = new Set([
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'dynamodb:ListStreams',
      'ses:GetAccount',
      'ses:GetSuppressedDestination',
    ]);
    for (const policy of Object.values(resourcesOf(stateless, 'AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]) {
        if (![statement.Resource].flat().includes('*')) continue;
        expect(actionsOf([statement]).filter((action) => !unscopable.has(action))).toEqual([]);
      }
    }
  });

  it('bundles each function into its own ESM asset: index.mjs, chunks and source maps', () => {
    const assets = new Set<string>();
    for (const fn of Object.values(resourcesOf(stateless, 'AWS::Lambda::Function'))) {
      const key = fn.Properties.Code.S3Key as string;
      const dir = join(crm.outdir, `asset.${key.replace(/\.zip$/, '')}`);
      expect(existsSync(join(dir, 'index.mjs')), dir).toBe(true);
      expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
      expect(readFileSync(join(dir, 'index.mjs'), 'utf8')).toMatch(
        /^import \{ createRequire as __crmCreateRequire \} from 'node:module';/,
      );
      // Named by the hash of the bundle itself, so a change anywhere in the bundle redeploys it.
      expect(FileSystem.fingerprint(dir)).toBe(key.replace(/\.zip$/, ''));
      assets.add(key);
    }
    // Two functions sharing a bundle would mean CDK's asset cache mixed up their entries.
    expect(assets.size).toBe(statelessSpecs().length);
  });

  it('gives every function exactly the variables its registry entry declares, no more, no fewer', () => {
    for (const spec of functionSpecs) {
      const template = spec.kind === 'rotation' ? stateful : stateless;
      const variables = functionResource(`crm-dev-${spec.name}`, template).Properties.Environment.Variables as Record<
        string,
        unknown
      >;
      expect(Object.keys(variables).sort(), spec.name).toEqual(
        declaredVariables(spec)
          .map((v) => v.name)
          .sort(),
      );
    }
  });

  it('lets the CRUD families read and write the table (no Scan) with the cursor key, but not the bus', () => {
    // invitations and voice-webhook: public routes (below), no caller and no list.
    const publicOnly = ['invitations', 'voice-webhook'];
    const crud = functionSpecs.filter(
      (spec) => spec.kind === 'http' && spec.needs.table === 'readWrite' && !publicOnly.includes(spec.name),
    );
    expect(crud.map((spec) => spec.name).sort()).toEqual(
      httpFamilies.filter(
        (f) => !['platform', 'search', 'dashboard', 'events', 'activities', 'automations', ...publicOnly].includes(f),
      ),
    );
    for (const spec of crud) {
      const name = `crm-dev-${spec.name}`;
      const variables = functionResource(name).Properties.Environment.Variables;
      expect(variables.TABLE_NAME).toBeDefined();
      expectCursorSecretRead(name);
      expect(variables.EVENT_BUS_NAME).toBeUndefined();
      const actions = actionsOf(policyStatements(stateless, name));
      expect(tableActions(actions)).toEqual([...TABLE_READ, ...TABLE_WRITE].sort());
      expect(actions.some((a) => a.startsWith('events:'))).toBe(false);
    }
  });

  it('lets every function that resolves a caller check an admin’s MFA in Cognito only when the config requires MFA', () => {
    // The shipped (laptop) config does not: no Cognito grant at all. With MFA required, the
    // deploy-truth test asserts AdminGetUser on the pool, and runs the check.
    expect(shippedConfig().auth.admin_mfa_required).toBe(false);
    const callers = functionSpecs.filter(
      (spec) => spec.kind === 'http' && !['platform', 'invitations', 'voice-webhook'].includes(spec.name),
    );
    expect(callers.length).toBe(httpFamilies.length - 3);
    for (const spec of callers) {
      const name = `crm-dev-${spec.name}`;
      const variables = functionResource(name).Properties.Environment.Variables;
      expect(variables.CRM_ADMIN_MFA_REQUIRED, name).toBe(String(shippedConfig().auth.admin_mfa_required));
      expect(variables.USER_POOL_ID).toBeDefined();
      const cognito = policyStatements(stateless, name).filter((st) => actionsOf([st]).some((a) => a.startsWith('cognito-idp:')));
      expect(cognito, name).toEqual([]);
    }
  });

  it('gives the invitations function (public RSVP routes only) the table, but no cursor key, no caller check, no bus', () => {
    expect(allRoutes.filter((r) => r.family === 'invitations').every((r) => r.access === 'public')).toBe(true);
    const variables = functionResource('crm-dev-invitations').Properties.Environment.Variables;
    expect(variables.TABLE_NAME).toBeDefined();
    for (const absent of ['CURSOR_SECRET_ID', 'USER_POOL_ID', 'EVENT_BUS_NAME'])
      expect(variables[absent], absent).toBeUndefined();
    const actions = actionsOf(policyStatements(stateless, 'crm-dev-invitations'));
    expect(tableActions(actions)).toEqual([...TABLE_READ, ...TABLE_WRITE].sort());
    expect(actions.filter((a) => /^(secretsmanager|cognito-idp|events|s3|ses):/.test(a))).toEqual([]);
  });

  it('gives the voice webhook (public, signed) the table and GetSecretValue on the voice auth token only, no cursor key, no caller check', () => {
    expect(allRoutes.filter((r) => r.family === 'voice-webhook').every((r) => r.access === 'public')).toBe(true);
    const variables = functionResource('crm-dev-voice-webhook').Properties.Environment.Variables;
    for (const absent of ['CURSOR_SECRET_ID', 'USER_POOL_ID', 'EVENT_BUS_NAME'])
      expect(variables[absent], absent).toBeUndefined();
    const secret = JSON.stringify(variables.VOICE_SECRET_ID);
    expect(secret).toContain('Fn::GetStackOutput');
    const statements = policyStatements(stateless, 'crm-dev-voice-webhook');
    expect(tableActions(actionsOf(statements))).toEqual([...TABLE_READ, ...TABLE_WRITE].sort());
    const secretStatements = statements.filter((st) => actionsOf([st]).some((a) => a.startsWith('secretsmanager:')));
    expect(secretStatements).toHaveLength(1);
    expect(secretStatements[0]!.Action).toBe('secretsmanager:GetSecretValue');
    expect(JSON.stringify(secretStatements[0]!.Resource)).toBe(secret);
    expect(secret).not.toBe(JSON.stringify(functionResource('crm-dev-calls').Properties.Environment.Variables.CURSOR_SECRET_ID));
    expect(actionsOf(statements).filter((a) => /^(cognito-idp|events|s3|ses):/.test(a))).toEqual([]);
  });

  it('keeps a customer-managed KMS key for mailbox credentials (rotated, aliased, retained like the table), usable by their sealers only', () => {
    stateful.resourceCountIs('AWS::KMS::Key', 1);
    const [keyId, key] = Object.entries(resourcesOf(stateful, 'AWS::KMS::Key'))[0]!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    stateful.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/crm-dev/mailbox-credentials',
      TargetKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    // The default key policy: the account administers it, IAM policies grant its use.
    expect(key.Properties.KeyPolicy.Statement).toHaveLength(1);
    const kmsStatements = (name: string) =>
      policyStatements(stateless, `crm-dev-${name}`).filter((st) => actionsOf([st]).some((a) => a.startsWith('kms:')));
    // Sealing: a connected mailbox's password or tokens, a started Sell import's token; opening: the poller and the import's worker.
    const expected = {
      emails: ['kms:GenerateDataKey'],
      'mailbox-poll': ['kms:Decrypt', 'kms:GenerateDataKey'],
      imports: ['kms:GenerateDataKey'],
      'sell-import-worker': ['kms:Decrypt'],
      'mailbox-sent-copy': ['kms:Decrypt', 'kms:GenerateDataKey'],
    };
    for (const [name, actions] of Object.entries(expected)) {
      const statements = kmsStatements(name);
      expect(statements, name).toHaveLength(1);
      expect(actionsOf(statements).sort(), name).toEqual(actions);
      expect(statements[0]).toMatchObject({
        Condition: { StringEquals: { 'kms:EncryptionContext:purpose': CREDENTIAL_PURPOSE } },
      });
      const variable = functionResource(`crm-dev-${name}`).Properties.Environment.Variables.CREDENTIALS_KEY_ARN;
      expect(JSON.stringify(variable), name).toContain('Fn::GetStackOutput');
      expect(JSON.stringify(statements[0]!.Resource)).toBe(JSON.stringify(variable));
    }
    // No other function touches the key, nor sees its ARN.
    for (const spec of statelessSpecs().filter((s) => !(s.name in expected))) {
      expect(
        actionsOf(policyStatements(stateless, `crm-dev-${spec.name}`)).filter((a) => a.startsWith('kms:')),
        spec.name,
      ).toEqual([]);
      expect(
        functionResource(`crm-dev-${spec.name}`).Properties.Environment.Variables.CREDENTIALS_KEY_ARN,
        spec.name,
      ).toBeUndefined();
    }
  });

  it('gives the platform function (public routes only) no table, no cursor key, nothing but logs and X-Ray', () => {
    const fn = functionResource('crm-dev-platform');
    expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual([
      'CORS_ALLOW_ORIGINS',
      'NODE_OPTIONS',
      'POWERTOOLS_LOG_LEVEL',
      'POWERTOOLS_SERVICE_NAME',
    ]);
    expect(JSON.stringify(fn.Properties.Environment)).not.toContain('secretsmanager');
    expect(actionsOf(policyStatements(stateless, 'crm-dev-platform')).sort()).toEqual(LOGS_AND_XRAY);
  });

  it('lets the redrive only read the table, and put events on the bus', () => {
    const actions = actionsOf(policyStatements(stateless, 'crm-dev-redrive'));
    expect(tableActions(actions)).toEqual([...TABLE_READ].sort());
    expect(actions).toContain('events:PutEvents');
  });

  it('lets the dashboard only read the table', () => {
    expect(tableActions(actionsOf(policyStatements(stateless, 'crm-dev-dashboard')))).toEqual([...TABLE_READ].sort());
  });

  it('lets search only read the table, each index by name', () => {
    const statements = policyStatements(stateless, 'crm-dev-search');
    expect(tableActions(actionsOf(statements))).toEqual([...TABLE_READ].sort());
    const table = statements.find((s) => actionsOf([s]).includes('dynamodb:Query'))!;
    for (const index of tableSpec.globalSecondaryIndexes)
      expect(JSON.stringify(table.Resource)).toContain(`/index/${index.indexName}`);
    expectCursorSecretRead('crm-dev-search');
  });

  it("sends what a bus consumer still fails after Lambda's async retries to its own on-failure queue, kept in the stateful stack", () => {
    for (const name of ['user-directory-sync', 'contact-status', 'reminder-sync', 'reminders', 'tag-registry']) {
      // The queue holds failed events (data): the stateful stack has it, the stateless names it
      // by ARN (no export between the stacks).
      stateful.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: `crm-dev-${name}-on-failure`,
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 86_400,
      });
      expect(resourcesOf(stateless, 'AWS::SQS::Queue')).not.toContainEqual(
        expect.objectContaining({ Properties: expect.objectContaining({ QueueName: `crm-dev-${name}-on-failure` }) }),
      );
      const invokeConfig = Object.values(resourcesOf(stateless, 'AWS::Lambda::EventInvokeConfig')).find((c) =>
        JSON.stringify(c.Properties.FunctionName).includes(`${pascalCase(name)}Function`),
      );
      expect(invokeConfig?.Properties.MaximumRetryAttempts, name).toBe(2);
      const destination = JSON.stringify(invokeConfig!.Properties.DestinationConfig.OnFailure.Destination);
      expect(destination, name).toContain(`:crm-dev-${name}-on-failure`);
      expect(destination, name).not.toContain('Fn::ImportValue');
    }
    // Every asynchronously invoked function has its queue, and no queue is left without one.
    const onFailure = Object.values(resourcesOf(stateful, 'AWS::SQS::Queue'))
      .map((q) => String(q.Properties.QueueName))
      .filter((n) => n.endsWith('-on-failure'));
    expect(onFailure.length).toBe(Object.keys(resourcesOf(stateless, 'AWS::Lambda::EventInvokeConfig')).length);
  });

  it('gives the consumers and the bootstrap only what they use', () => {
    // The directory sync reads no record (the event carries the user) but keeps its dedupe
    // markers in the table; it never gets the cursor key.
    const directory = actionsOf(policyStatements(stateless, 'crm-dev-user-directory-sync'));
    expect(tableActions(directory)).toEqual([...TABLE_READ, ...TABLE_WRITE].sort());
    expect(functionResource('crm-dev-user-directory-sync').Properties.Environment.Variables.CURSOR_SECRET_ID).toBeUndefined();
    expect(
      actionsOf(policyStatements(stateless, 'crm-dev-user-directory-sync')).some((a) => a.startsWith('secretsmanager:')),
    ).toBe(false);
    // The bootstrap checks and repairs the first admin's Cognito user (no password calls).
    const BOOTSTRAP_COGNITO = [
      'cognito-idp:AdminAddUserToGroup',
      'cognito-idp:AdminCreateUser',
      'cognito-idp:AdminEnableUser',
      'cognito-idp:AdminGetUser',
      'cognito-idp:AdminListGroupsForUser',
    ];
    for (const name of ['crm-dev-contact-status', 'crm-dev-bootstrap']) {
      const actions = actionsOf(policyStatements(stateless, name));
      expect(tableActions(actions), name).toEqual([...TABLE_READ, ...TABLE_WRITE].sort());
      // A bus consumer may also send to its own on-failure queue (Lambda sends with its role);
      // the bootstrap's migrations give existing tasks their reminder schedules.
      const others = name === 'crm-dev-contact-status' ? ON_FAILURE_SEND : [...BOOTSTRAP_COGNITO, ...SCHEDULE_ACTIONS].sort();
      expect(
        actions
          .filter((a) => !a.startsWith('dynamodb:') && !a.startsWith('secretsmanager:') && !LOGS_AND_XRAY.includes(a))
          .sort(),
        name,
      ).toEqual(others);
      expectCursorSecretRead(name);
    }
    // Notifications: the table (items, counts, markers, pending e-mails), its on-failure queue
    // and pushes to the live connections; no cursor key (no paged list), no bus, no mail yet
    // (e-mails are recorded as pending).
    const notifier = 'crm-dev-notification-delivery';
    const notifying = actionsOf(policyStatements(stateless, notifier));
    expect(tableActions(notifying)).toEqual([...TABLE_READ, ...TABLE_WRITE].sort());
    expect(notifying.filter((a) => !a.startsWith('dynamodb:') && !LOGS_AND_XRAY.includes(a)).sort(), notifier).toEqual(
      ['execute-api:ManageConnections', ...ON_FAILURE_SEND].sort(),
    );
    expect(functionResource(notifier).Properties.Environment.Variables.CURSOR_SECRET_ID).toBeUndefined();
    expect(JSON.parse(functionResource(notifier).Properties.Environment.Variables.CRM_NOTIFICATION_DEFAULTS)).toEqual(
      shippedConfig().notifications.defaults,
    );
    // Notifying is a side effect: its rule refuses archive replays.
    const rule = Object.values(resourcesOf(stateless, 'AWS::Events::Rule')).find(
      (r) => r.Properties.Description === builtinRules.find((b) => b.target === 'notification-delivery')!.description,
    );
    expect(rule?.Properties.EventPattern['replay-name']).toEqual([{ exists: false }]);
    // Users' notification rules read every event type a rule may match.
    expect(rule?.Properties.EventPattern['detail-type']).toEqual(expect.arrayContaining([...RULE_EVENTS]));
  });
});

describe('stateless stack: Amazon Connect without an instance (the shipped config)', () => {
  it('has the connect-calls consumer but no rule on any bus and no Connect grant; its cold start fails, naming the variable', () => {
    expect(shippedConfig().connect).toBeUndefined();
    expect(connectRules(shippedConfig())).toEqual([]);
    const rules = Object.values(resourcesOf(stateless, 'AWS::Events::Rule'));
    expect(rules.filter((r) => JSON.stringify(r.Properties.EventPattern ?? {}).includes('aws.connect'))).toEqual([]);
    expect(JSON.stringify(rules)).not.toContain('ConnectCallsFunction');
    const actions = actionsOf(policyStatements(stateless, 'crm-dev-connect-calls'));
    expect(actions.filter((a) => a.startsWith('connect:'))).toEqual([]);
    expect(JSON.stringify(resourcesOf(stateless, 'AWS::IAM::Policy'))).not.toContain('connect:');
    const variables = functionResource('crm-dev-connect-calls').Properties.Environment.Variables as Record<string, string>;
    expect(variables.CONNECT_INSTANCE_ID).toBe('');
    expect(variables.CRM_CONNECT_AGENTS).toBe('{}');
    // What the stateless stack holds (CloudFormation allows 500); with an instance, the rule
    // and its invoke permission add 2 (deploy-truth.infra.test.ts).
    console.log(`stateless stack: ${Object.keys(stateless.toJSON().Resources).length} resources`);
  });

  it('refuses an instance outside the deployment region, or anything but an instance ARN, at synth', () => {
    const instance = 'arn:aws:connect:us-east-1:111122223333:instance/12345678-1234-1234-1234-123456789012';
    expect(() => parseConfig({ ...shippedConfig(), connect: { instance_arn: instance } })).toThrow(
      /connect\.instance_arn: the instance is in us-east-1, the deployment in eu-west-1/,
    );
    expect(() =>
      parseConfig({ ...shippedConfig(), connect: { instance_arn: instance.replace('us-east-1', 'eu-west-1') + '/contact/x' } }),
    ).toThrow(/connect\.instance_arn: an Amazon Connect instance ARN/);
    expect(() =>
      parseConfig({
        ...shippedConfig(),
        connect: { instance_arn: instance.replace('us-east-1', 'eu-west-1'), agents: { x: 'a@b.c' } },
      }),
    ).toThrow(/connect\.agents/);
    const ok = parseConfig({ ...shippedConfig(), connect: { instance_arn: instance.replace('us-east-1', 'eu-west-1') } });
    expect(ok.connect?.agents).toEqual({});
    expect(connectRules(ok)).toHaveLength(1);
  });
});

describe('stateless stack: tag registry', () => {
  it('gives the tag-registry consumer the table and its on-failure queue only, for tagged records and no replays', () => {
    const name = 'crm-dev-tag-registry';
    const actions = actionsOf(policyStatements(stateless, name));
    expect(tableActions(actions)).toEqual([...TABLE_READ, ...TABLE_WRITE].sort());
    expect(actions.filter((a) => !a.startsWith('dynamodb:') && !LOGS_AND_XRAY.includes(a)).sort()).toEqual(ON_FAILURE_SEND);
    expect(functionResource(name).Properties.Environment.Variables.CURSOR_SECRET_ID).toBeUndefined();
    stateful.hasResourceProperties('AWS::SQS::Queue', { QueueName: `${name}-on-failure` });
    const rule = Object.values(resourcesOf(stateless, 'AWS::Events::Rule')).find(
      (r) => r.Properties.Description === builtinRules.find((b) => b.target === 'tag-registry')!.description,
    );
    expect(rule?.Properties.EventPattern).toEqual({
      source: ['crm'],
      'detail-type': ['lead.created', 'lead.updated', 'contact.created', 'contact.updated', 'deal.created', 'deal.updated'],
      detail: { data: { tags: [{ wildcard: '*' }] } },
      'replay-name': [{ exists: false }],
    });
  });
});

const SCHEDULE_ACTIONS = ['iam:PassRole', 'scheduler:CreateSchedule', 'scheduler:DeleteSchedule'];

describe('stateless stack: reminders', () => {
  const targetRoleId = () => {
    const roles = Object.entries(resourcesOf(stateless, 'AWS::IAM::Role')).filter(([, r]) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'),
    );
    expect(roles).toHaveLength(1);
    return roles[0]![0];
  };

  it('keeps schedules in step from task events: create/delete in the group only, PassRole of the target role to Scheduler only', () => {
    const sync = 'crm-dev-reminder-sync';
    const statements = policyStatements(stateless, sync);
    const actions = actionsOf(statements);
    expect(tableActions(actions)).toEqual([...TABLE_READ].sort());
    expect(
      actions.filter((a) => !a.startsWith('dynamodb:') && !LOGS_AND_XRAY.includes(a) && !a.startsWith('sqs:')).sort(),
    ).toEqual(SCHEDULE_ACTIONS);
    const schedules = statements.find((st) => actionsOf([st]).includes('scheduler:CreateSchedule'))!;
    expect(JSON.stringify(schedules.Resource)).toContain(':schedule/crm-dev/*');
    const pass = statements.find((st) => actionsOf([st]).includes('iam:PassRole')) as unknown as {
      Resource: unknown;
      Condition: unknown;
    };
    expect(pass.Resource).toEqual({ 'Fn::GetAtt': [targetRoleId(), 'Arn'] });
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
    const variables = functionResource(sync).Properties.Environment.Variables;
    expect(variables.SCHEDULE_GROUP_NAME).toBe('crm-dev');
    expect(variables.SCHEDULER_ROLE_ARN).toEqual({ 'Fn::GetAtt': [targetRoleId(), 'Arn'] });
    expect(JSON.stringify(variables.REMINDER_TARGET_ARN)).toMatch(/^\{"Fn::GetAtt":\["RemindersFunction[0-9A-F]+","Arn"\]\}$/);
    expect(JSON.stringify(variables.REMINDER_DLQ_ARN)).toMatch(/:crm-dev-reminders-dlq"/);
    // Schedules are a view of the tasks, decided from the task as it is: a replay may run.
    const rule = Object.values(resourcesOf(stateless, 'AWS::Events::Rule')).find(
      (r) => r.Properties.Description === builtinRules.find((b) => b.target === 'reminder-sync')!.description,
    );
    expect(rule?.Properties.EventPattern).toEqual({
      source: ['crm'],
      'detail-type': [
        'task.created',
        'task.updated',
        'task.deleted',
        'appointment.created',
        'appointment.updated',
        'appointment.deleted',
      ],
    });
  });

  it('lets Scheduler of this account only invoke the reminders, external calendars and mailbox poll functions and send to the reminders DLQ', () => {
    const roleId = targetRoleId();
    const role = resourcesOf(stateless, 'AWS::IAM::Role')[roleId]!;
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
    const policies = Object.values(resourcesOf(stateless, 'AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0]!.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
    expect(actionsOf(statements).sort()).toEqual([
      'lambda:InvokeFunction',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
    const invoke = statements.find((st) => actionsOf([st]).includes('lambda:InvokeFunction'))!;
    const invoked = (invoke.Resource as unknown[]).map((r) => JSON.stringify(r)).sort();
    expect(invoked).toHaveLength(3);
    expect(invoked[0]).toMatch(/^\{"Fn::GetAtt":\["ExternalCalendarsFunction[0-9A-F]+","Arn"\]\}$/);
    expect(invoked[1]).toMatch(/^\{"Fn::GetAtt":\["MailboxPollFunction[0-9A-F]+","Arn"\]\}$/);
    expect(invoked[2]).toMatch(/^\{"Fn::GetAtt":\["RemindersFunction[0-9A-F]+","Arn"\]\}$/);
    const send = statements.find((st) => actionsOf([st]).includes('sqs:SendMessage'))!;
    expect(JSON.stringify(send.Resource)).toMatch(/:crm-dev-reminders-dlq"/);
    // The DLQ holds undelivered reminders: the stateful stack keeps it, the stateless names it by ARN.
    stateful.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'crm-dev-reminders-dlq', SqsManagedSseEnabled: true });
    expect(JSON.stringify(resourcesOf(stateless, 'AWS::SQS::Queue'))).not.toContain('reminders-dlq');
  });

  it('runs the reminders target with the table (record, outbox) and nothing else', () => {
    const actions = actionsOf(policyStatements(stateless, 'crm-dev-reminders'));
    expect(tableActions(actions)).toEqual([...TABLE_READ, ...TABLE_WRITE].sort());
    expect(actions.filter((a) => !a.startsWith('dynamodb:') && !LOGS_AND_XRAY.includes(a)).sort()).toEqual(ON_FAILURE_SEND);
  });
});

describe('stateless stack: external calendars', () => {
  it('refreshes them hourly through a recurring schedule invoking the function with its input, retries and DLQ', () => {
    const schedules = Object.values(resourcesOf(stateless, 'AWS::Scheduler::Schedule'));
    // This one and the mailboxes' poll (below).
    expect(schedules).toHaveLength(2);
    const { Properties: p } = schedules.find((s) => s.Properties.Name === 'crm-dev-external-calendars')!;
    expect(p.ScheduleExpression).toBe('rate(1 hour)');
    expect(JSON.stringify(p.Target.Arn)).toMatch(/^\{"Fn::GetAtt":\["ExternalCalendarsFunction[0-9A-F]+","Arn"\]\}$/);
    expect(JSON.parse(p.Target.Input)).toEqual({ refresh: 'external_calendars' });
    expect(p.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 900 });
    expect(JSON.stringify(p.Target.DeadLetterConfig)).toMatch(/:crm-dev-reminders-dlq"/);
  });

  it('runs the refresh with the table and nothing else (its fetches go to the internet, not to AWS)', () => {
    const actions = actionsOf(policyStatements(stateless, 'crm-dev-external-calendars'));
    expect(tableActions(actions)).toEqual([...TABLE_READ, ...TABLE_WRITE].sort());
    expect(actions.filter((a) => !a.startsWith('dynamodb:') && !LOGS_AND_XRAY.includes(a)).sort()).toEqual(ON_FAILURE_SEND);
  });
});

describe('stateless stack: connected mailboxes', () => {
  it('polls them every 5 minutes through a recurring schedule invoking the function with its input, no retry, a DLQ', () => {
    const schedules = Object.values(resourcesOf(stateless, 'AWS::Scheduler::Schedule'));
    const { Properties: p } = schedules.find((s) => s.Properties.Name === 'crm-dev-mailbox-poll')!;
    expect(p.ScheduleExpression).toBe('rate(5 minutes)');
    expect(JSON.stringify(p.Target.Arn)).toMatch(/^\{"Fn::GetAtt":\["MailboxPollFunction[0-9A-F]+","Arn"\]\}$/);
    expect(JSON.parse(p.Target.Input)).toEqual({ poll: 'mailboxes' });
    // The next firing is the retry: a late poll only overlaps the next one.
    expect(p.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 });
    expect(JSON.stringify(p.Target.DeadLetterConfig)).toMatch(/:crm-dev-reminders-dlq"/);
  });

  it('runs the poll with the table, the credentials key (KMS) and the cursor secret (what opens v1 credentials) only', () => {
    const actions = actionsOf(policyStatements(stateless, 'crm-dev-mailbox-poll'));
    expect(tableActions(actions)).toEqual([...TABLE_READ, ...TABLE_WRITE].sort());
    expectCursorSecretRead('crm-dev-mailbox-poll');
    expect(actions.filter((a) => a.startsWith('kms:')).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(
      actions
        .filter(
          (a) =>
            !a.startsWith('dynamodb:') && !a.startsWith('secretsmanager:') && !a.startsWith('kms:') && !LOGS_AND_XRAY.includes(a),
        )
        .sort(),
    ).toEqual(ON_FAILURE_SEND);
  });
});

describe('stateless stack: copies of sent mail in the Sent folder', () => {
  it('gets email.sent from the CRM bus and runs with the table, the cursor secret and the credentials key only', () => {
    const rule = Object.values(resourcesOf(stateless, 'AWS::Events::Rule')).find(
      (r) => r.Properties.Description === builtinRules.find((b) => b.target === 'mailbox-sent-copy')!.description,
    )!;
    expect(rule.Properties.EventPattern['detail-type']).toEqual(['email.sent']);
    expect(JSON.stringify(rule.Properties.Targets[0].Arn)).toContain('MailboxSentCopy');
    const actions = actionsOf(policyStatements(stateless, 'crm-dev-mailbox-sent-copy'));
    expect(tableActions(actions)).toEqual([...TABLE_READ, ...TABLE_WRITE].sort());
    expectCursorSecretRead('crm-dev-mailbox-sent-copy');
    // The credentials key (opening a password or tokens, sealing a refreshed token): the KMS test above.
    expect(
      actions
        .filter((a) => !a.startsWith('dynamodb:') && !a.startsWith('secretsmanager:') && !a.startsWith('kms:'))
        .filter((a) => !LOGS_AND_XRAY.includes(a))
        .sort(),
    ).toEqual(ON_FAILURE_SEND);
  });
});

describe('stateless stack: outbox publisher', () => {
  it('reads the table stream through the outbox filter, with item failures, bisection, retries and a DLQ', () => {
    // Six mappings: this one, the mail queue's, the import queue's, the bulk queue's, the export queue's and the Sell import queue's (below).
    stateless.resourceCountIs('AWS::Lambda::EventSourceMapping', 6);
    stateless.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: Match.stringLikeRegexp('^OutboxPublisherFunction') },
      EventSourceArn: Match.objectLike({ 'Fn::GetStackOutput': Match.objectLike({ StackName: 'crm-dev-stateful' }) }),
      StartingPosition: 'TRIM_HORIZON',
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify(outboxStreamFilter) }] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 24 * 60 * 60,
      DestinationConfig: { OnFailure: { Destination: Match.objectLike({ 'Fn::GetStackOutput': Match.anyValue() }) } },
    });
    expect(JSON.parse(JSON.stringify(outboxStreamFilter))).toEqual({
      eventName: ['INSERT'],
      dynamodb: { NewImage: { kind: { S: ['event'] } } },
    });
  });

  it('may put events on the bus and read the stream, and nothing on the table items', () => {
    stateless.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'crm-dev-outbox-publisher',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: { Variables: Match.objectLike({ EVENT_BUS_NAME: Match.anyValue() }) },
    });
    const actions = actionsOf(policyStatements(stateless, 'crm-dev-outbox-publisher'));
    expect(actions).toContain('events:PutEvents');
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'sqs:SendMessage']));
    expect(
      actions.filter(
        (a) =>
          /^dynamodb:(Get|Put|Update|Delete|Query|Scan|Batch)/.test(a) &&
          a !== 'dynamodb:GetRecords' &&
          a !== 'dynamodb:GetShardIterator',
      ),
    ).toEqual([]);
  });
});

describe('stateless stack: HTTP API', () => {
  it('is an HTTP API with CORS for the headers the API reads', () => {
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({
        AllowHeaders: Match.arrayWith(['authorization', 'idempotency-key', 'if-match']),
        ExposeHeaders: Match.arrayWith(['etag', 'location']),
      }),
    });
  });

  it('has one Lambda authorizer (Cognito tokens and personal access tokens), cached per Authorization header', () => {
    const authorizers = Object.values(ofApi('AWS::ApiGatewayV2::Authorizer', 'HTTP')).map((a) => a.Properties);
    expect(authorizers).toHaveLength(1);
    expect(authorizers[0]).toMatchObject({
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: API_AUTHORIZER_CACHE_SECONDS,
    });
    expect(JSON.stringify(authorizers[0]!.AuthorizerUri)).toMatch(/ApiAuthorizerFunction/);
    // It checks Cognito tokens against the app client, and reads and writes only the table.
    const variables = functionResource('crm-dev-api-authorizer').Properties.Environment.Variables;
    expect(JSON.stringify(variables.USER_POOL_CLIENT_ID)).toMatch(/UserPoolWebClient/);
    expect(JSON.stringify(variables.USER_POOL_ID)).toMatch(/UserPool/);
    const actions = actionsOf(policyStatements(stateless, 'crm-dev-api-authorizer'));
    expect(actions.filter((a) => !LOGS_AND_XRAY.includes(a)).sort()).toEqual([...TABLE_READ, ...TABLE_WRITE].sort());
  });

  it('has one route per contract (the Lambda authorizer unless public) plus $default to the platform function', () => {
    // In the routes' nested stack: the stateless stack holds none of them.
    expect(ofApi('AWS::ApiGatewayV2::Route', 'HTTP')).toEqual({});
    expect(ofApi('AWS::ApiGatewayV2::Integration', 'HTTP')).toEqual({});
    const routes = Object.values(ofHttpRoutes('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
    expect(routes).toHaveLength(allRoutes.length + 1);
    for (const contract of allRoutes) {
      const route = routes.find((r) => r.RouteKey === routeKey(contract));
      expect(route, routeKey(contract)).toBeDefined();
      if (contract.access === 'public') {
        expect(route!.AuthorizationType).toBe('NONE');
      } else {
        expect(route!.AuthorizationType).toBe('CUSTOM');
        // The authorizer stays with the API in the stateless stack, passed in as a parameter.
        expect(fromParent(route!.AuthorizerId)).toEqual({ Ref: expect.stringMatching(/^HttpApiApiAuthorizer|^ApiAuthorizer/) });
      }
    }
    const fallback = routes.find((r) => r.RouteKey === '$default');
    expect(fallback?.AuthorizationType).toBe('NONE');
    const integrations = ofHttpRoutes('AWS::ApiGatewayV2::Integration');
    expect(Object.keys(integrations)).toHaveLength(httpFamilies.length);
    const target = (fallback!.Target['Fn::Join'][1][1] as { Ref: string }).Ref;
    expect(fromParent(integrations[target]!.Properties.IntegrationUri)).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^PlatformFunction/), 'Arn'],
    });
  });

  it('throttles and access-logs the default stage', () => {
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('\\$context.requestId') },
    });
  });

  it("throttles each public route ($default, /health, /openapi.json, the capture forms' embed and submission) well below the stage, after creating it", () => {
    const stages = Object.entries(ofApi('AWS::ApiGatewayV2::Stage', 'HTTP'));
    expect(stages).toHaveLength(1);
    const [stageId, stage] = stages[0]!;
    const publicKeys = ['$default', ...allRoutes.filter((c) => c.access === 'public').map((c) => routeKey(c))];
    expect(publicKeys).toEqual(
      expect.arrayContaining([
        'GET /health',
        'GET /openapi.json',
        'GET /forms/{id}/embed',
        'GET /forms/{id}/embed.js',
        'POST /forms/{id}/submissions',
      ]),
    );
    expect(Object.keys(stage.Properties.RouteSettings).sort()).toEqual([...publicKeys].sort());
    for (const key of publicKeys) {
      expect(stage.Properties.RouteSettings[key]).toEqual({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 });
    }
    expect(PUBLIC_ROUTE_THROTTLE).toEqual({ rateLimit: 5, burstLimit: 10 });
    // CloudFormation refuses route settings for a route that does not exist yet.
    // The routes are in their nested stack: the stage waits for that whole stack.
    const routes = ofHttpRoutes('AWS::ApiGatewayV2::Route');
    const publicRouteIds = Object.entries(routes)
      .filter(([, r]) => publicKeys.includes(r.Properties.RouteKey))
      .map(([id]) => id);
    expect(publicRouteIds).toHaveLength(publicKeys.length);
    expect(stateless.toJSON().Resources[stageId].DependsOn).toEqual(expect.arrayContaining([httpRoutesStackId()]));
  });

  it('gives each function (and the authorizer) one invoke permission for the whole API', () => {
    const byApi = (template: Template, resolve: (v: unknown) => unknown) =>
      Object.values(resourcesOf(template, 'AWS::Lambda::Permission')).filter(
        (p) =>
          p.Properties.Principal === 'apigateway.amazonaws.com' &&
          (p.Properties.SourceArn['Fn::Join'][1] as unknown[]).some(
            (part) => (resolve(part) as { Ref?: string } | undefined)?.Ref === apiId('HTTP'),
          ),
      );
    // The functions' permissions beside their integrations (the routes' nested stack), on the whole API.
    const functions = byApi(httpRoutes, fromParent);
    expect(functions).toHaveLength(httpFamilies.length);
    for (const permission of functions) expect(permission.Properties.SourceArn['Fn::Join'][1].at(-1)).toBe('/*/*/*');
    // The authorizer's, with the authorizer, in the stateless stack.
    expect(byApi(stateless, (v) => v)).toHaveLength(1);
  });

  it('outputs the API URL, user pool, client, table and bus', () => {
    const outputs = Object.keys(stateless.findOutputs('*'));
    expect(outputs).toEqual(expect.arrayContaining(['ApiUrl', 'UserPoolId', 'UserPoolClientId', 'TableName', 'EventBusName']));
  });
});

describe('stateless stack: live notifications WebSocket API', () => {
  const route = (key: string) => {
    const found = Object.values(ofApi('AWS::ApiGatewayV2::Route', 'WEBSOCKET')).find((r) => r.Properties.RouteKey === key);
    expect(found, key).toBeDefined();
    return found!.Properties;
  };
  const targetFunction = (key: string) => {
    const integrationId = (route(key).Target['Fn::Join'][1][1] as { Ref: string }).Ref;
    return JSON.stringify(ofApi('AWS::ApiGatewayV2::Integration', 'WEBSOCKET')[integrationId]!.Properties.IntegrationUri);
  };

  it('has $connect behind a REQUEST authorizer reading the ticket query parameter, $disconnect and $default (with its response)', () => {
    expect(
      Object.values(ofApi('AWS::ApiGatewayV2::Route', 'WEBSOCKET'))
        .map((r) => r.Properties.RouteKey)
        .sort(),
    ).toEqual(['$connect', '$default', '$disconnect']);
    const authorizers = Object.entries(ofApi('AWS::ApiGatewayV2::Authorizer', 'WEBSOCKET'));
    expect(authorizers).toHaveLength(1);
    const [authorizerId, authorizer] = authorizers[0]!;
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.querystring.ticket'],
    });
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toMatch(/LiveAuthorizerFunction/);
    expect(route('$connect')).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
    for (const key of ['$connect', '$disconnect', '$default'])
      expect(targetFunction(key), key).toMatch(/LiveConnectionsFunction/);
    const responses = Object.values(ofApi('AWS::ApiGatewayV2::RouteResponse', 'WEBSOCKET'));
    expect(responses.map((r) => r.Properties.RouteResponseKey)).toEqual(['$default']);
  });

  it('throttles and access-logs its stage, never logging the query string (the ticket)', () => {
    const stages = Object.values(ofApi('AWS::ApiGatewayV2::Stage', 'WEBSOCKET'));
    expect(stages).toHaveLength(1);
    const stage = stages[0]!.Properties;
    expect(stage).toMatchObject({ StageName: 'live', AutoDeploy: true });
    expect(stage.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    expect(stage.AccessLogSettings.Format).toContain('$context.connectionId');
    expect(stage.AccessLogSettings.Format).not.toMatch(/querystring|ticket/i);
  });

  it('lets the live functions only read and write the table', () => {
    for (const name of ['crm-dev-live-authorizer', 'crm-dev-live-connections']) {
      const actions = actionsOf(policyStatements(stateless, name));
      expect(actions.filter((a) => !LOGS_AND_XRAY.includes(a)).sort(), name).toEqual([...TABLE_READ, ...TABLE_WRITE].sort());
      expect(Object.keys(functionResource(name).Properties.Environment.Variables), name).not.toContain('LIVE_CALLBACK_URL');
    }
  });

  it('lets only the notification functions post to connections, on POST /@connections/* of its stage, with its callback URL', () => {
    const wsApi = apiId('WEBSOCKET');
    const posting = statelessSpecs()
      .filter((spec) => actionsOf(policyStatements(stateless, `crm-dev-${spec.name}`)).includes('execute-api:ManageConnections'))
      .map((spec) => spec.name)
      .sort();
    expect(posting).toEqual(['notification-delivery', 'notifications']);
    for (const name of posting) {
      const statement = policyStatements(stateless, `crm-dev-${name}`).find((s) =>
        [s.Action].flat().includes('execute-api:ManageConnections'),
      )!;
      expect([statement.Action].flat()).toEqual(['execute-api:ManageConnections']);
      expect(statement.Resource).toEqual({
        'Fn::Join': [
          '',
          ['arn:aws:execute-api:eu-west-1:', { Ref: 'AWS::AccountId' }, ':', { Ref: wsApi }, '/live/POST/@connections/*'],
        ],
      });
      const url = JSON.stringify(functionResource(`crm-dev-${name}`).Properties.Environment.Variables.LIVE_CALLBACK_URL);
      expect(url).toContain(wsApi);
      expect(url).toContain('/live');
    }
  });

  it('outputs the WebSocket URL', () => {
    expect(Object.keys(stateless.findOutputs('*'))).toContain('LiveWebSocketUrl');
  });
});

describe('mail queue', () => {
  it('is one encrypted queue with a delivery delay, a visibility timeout above the sender’s and a DLQ after its receives', () => {
    // In the stateful stack: messages in flight are data a redeploy of the code must not drop.
    expect(JSON.stringify(resourcesOf(stateless, 'AWS::SQS::Queue'))).not.toContain('crm-dev-mail');
    const queues = resourcesOf(stateful, 'AWS::SQS::Queue');
    const mail = Object.values(queues).find((q) => q.Properties.QueueName === 'crm-dev-mail');
    const dlq = Object.entries(queues).find(([, q]) => q.Properties.QueueName === 'crm-dev-mail-dlq');
    expect(mail).toBeDefined();
    expect(dlq).toBeDefined();
    expect(mail!.Properties).toMatchObject({
      DelaySeconds: MAIL_QUEUE_DELAY_SECONDS,
      VisibilityTimeout: MAIL_QUEUE_VISIBILITY_SECONDS,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq![0], 'Arn'] }, maxReceiveCount: MAIL_QUEUE_MAX_RECEIVES },
    });
    expect(MAIL_QUEUE_VISIBILITY_SECONDS).toBe(mailSenderFunction.timeoutSeconds * 6);
  });

  it('is drained by the mail-sender only, at most MAIL_SENDER_CONCURRENCY at once, with partial batch failures', () => {
    const mappings = Object.values(resourcesOf(stateless, 'AWS::Lambda::EventSourceMapping')).filter(
      (m) =>
        m.Properties.StartingPosition === undefined && JSON.stringify(m.Properties.EventSourceArn).includes(':crm-dev-mail"'),
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]!.Properties).toMatchObject({
      FunctionName: { Ref: expect.stringMatching(/^MailSenderFunction/) },
      ScalingConfig: { MaximumConcurrency: MAIL_SENDER_CONCURRENCY },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
  });

  it('is filled by the mail-requests rule, which refuses replayed events, and by nothing else', () => {
    const rule = Object.values(resourcesOf(stateless, 'AWS::Events::Rule')).find((r) =>
      JSON.stringify(r.Properties.EventPattern['detail-type']).includes('mail.requested'),
    );
    expect(rule!.Properties.EventPattern['replay-name']).toEqual([{ exists: false }]);
    // A fixed name: the queue's policy, in the stateful stack, names the rule without a reference.
    expect(rule!.Properties.Name).toBe('crm-dev-mail-requests');
    expect(rule!.Properties.EventBusName).toBeDefined();
    expect(JSON.stringify(rule!.Properties.Targets[0].Arn)).toMatch(/:crm-dev-mail"/);
    // CDK adds no policy to a queue of another stack: none here, one in the stateful stack.
    expect(resourcesOf(stateless, 'AWS::SQS::QueuePolicy')).not.toContainEqual(
      expect.objectContaining({ Properties: expect.objectContaining({ Queues: [expect.stringMatching(/mail/)] }) }),
    );
    const mailId = Object.entries(resourcesOf(stateful, 'AWS::SQS::Queue')).find(
      ([, q]) => q.Properties.QueueName === 'crm-dev-mail',
    )![0];
    const policies = Object.values(resourcesOf(stateful, 'AWS::SQS::QueuePolicy')).filter(
      (p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: mailId }]),
    );
    expect(policies).toHaveLength(1);
    const allows = (policies[0]!.Properties.PolicyDocument.Statement as Record<string, unknown>[]).filter(
      (st) => st.Effect === 'Allow',
    );
    // Least privilege: EventBridge may send (nothing else), to this queue, for this one rule only.
    expect(allows).toEqual([
      {
        Sid: 'BusRulesSendMessage',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [mailId, 'Arn'] },
        Condition: {
          ArnEquals: {
            'aws:SourceArn': [
              {
                'Fn::Join': ['', ['arn:aws:events:eu-west-1:', { Ref: 'AWS::AccountId' }, ':rule/crm-dev/crm-dev-mail-requests']],
              },
            ],
          },
        },
      },
    ]);
    // The other work queues take no event from the bus.
    for (const other of ['crm-dev-imports', 'crm-dev-bulk-operations', 'crm-dev-exports']) {
      const id = Object.entries(resourcesOf(stateful, 'AWS::SQS::Queue')).find(([, q]) => q.Properties.QueueName === other)![0];
      const statements = Object.values(resourcesOf(stateful, 'AWS::SQS::QueuePolicy'))
        .filter((p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: id }]))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as { Effect: string }[]);
      expect(
        statements.filter((st) => st.Effect === 'Allow'),
        other,
      ).toEqual([]);
    }
  });

  it('lets the mail-sender send only from the sender through the configuration set, and read the quota and suppression list', () => {
    const statements = policyStatements(stateless, 'crm-dev-mail-sender');
    const ses = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('ses:')));
    expect(
      actionsOf(ses)
        .filter((a) => a.startsWith('ses:'))
        .sort(),
    ).toEqual(['ses:GetAccount', 'ses:GetSuppressedDestination', 'ses:SendEmail', 'ses:SendRawEmail']);
    const send = ses.find((s) => actionsOf([s]).includes('ses:SendEmail'))!;
    expect(JSON.stringify(send.Resource)).toContain('identity/crm@example.com');
    expect(JSON.stringify(send.Resource)).toContain('configuration-set/');
    const functionSpec = functionSpecs.find((f) => f.name === 'mail-sender')!;
    expect(functionSpec.needs).toEqual({ table: 'readWrite', mailer: 'paced', config: ['accountDefaults', 'mailSettings'] });
  });
});

describe('import queue', () => {
  it('is one encrypted queue, hidden six worker timeouts once received, with a DLQ after its receives', () => {
    // In the stateful stack: messages in flight are data a redeploy of the code must not drop.
    expect(JSON.stringify(resourcesOf(stateless, 'AWS::SQS::Queue'))).not.toContain('crm-dev-imports');
    const queues = resourcesOf(stateful, 'AWS::SQS::Queue');
    const imports = Object.values(queues).find((q) => q.Properties.QueueName === 'crm-dev-imports');
    const dlq = Object.entries(queues).find(([, q]) => q.Properties.QueueName === 'crm-dev-imports-dlq');
    expect(imports!.Properties).toMatchObject({
      VisibilityTimeout: IMPORT_QUEUE_VISIBILITY_SECONDS,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq![0], 'Arn'] }, maxReceiveCount: IMPORT_QUEUE_MAX_RECEIVES },
    });
    expect(IMPORT_QUEUE_VISIBILITY_SECONDS).toBe(importWorkerFunction.timeoutSeconds * 6);
  });

  it('is drained by the import-worker only, one message at a time, at most IMPORT_WORKER_CONCURRENCY at once', () => {
    const mappings = Object.values(resourcesOf(stateless, 'AWS::Lambda::EventSourceMapping')).filter((m) =>
      JSON.stringify(m.Properties.EventSourceArn).includes(':crm-dev-imports"'),
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]!.Properties).toMatchObject({
      FunctionName: { Ref: expect.stringMatching(/^ImportWorkerFunction/) },
      ScalingConfig: { MaximumConcurrency: IMPORT_WORKER_CONCURRENCY },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 1,
    });
  });

  it('takes messages from the imports function and the import-worker only', () => {
    const senders = statelessSpecs().filter((spec) =>
      policyStatements(stateless, `crm-dev-${spec.name}`).some(
        (st) => actionsOf([st]).includes('sqs:SendMessage') && JSON.stringify(st.Resource).includes(':crm-dev-imports"'),
      ),
    );
    expect(senders.map((spec) => spec.name).sort()).toEqual(['import-worker', 'imports']);
  });
});

describe('bulk operations queue', () => {
  it('is one encrypted queue, hidden six worker timeouts once received, with a DLQ after its receives', () => {
    // In the stateful stack: messages in flight are data a redeploy of the code must not drop.
    expect(JSON.stringify(resourcesOf(stateless, 'AWS::SQS::Queue'))).not.toContain('crm-dev-bulk-operations');
    const queues = resourcesOf(stateful, 'AWS::SQS::Queue');
    const bulk = Object.values(queues).find((q) => q.Properties.QueueName === 'crm-dev-bulk-operations');
    const dlq = Object.entries(queues).find(([, q]) => q.Properties.QueueName === 'crm-dev-bulk-operations-dlq');
    expect(bulk!.Properties).toMatchObject({
      VisibilityTimeout: BULK_QUEUE_VISIBILITY_SECONDS,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq![0], 'Arn'] }, maxReceiveCount: BULK_QUEUE_MAX_RECEIVES },
    });
    expect(BULK_QUEUE_VISIBILITY_SECONDS).toBe(bulkWorkerFunction.timeoutSeconds * 6);
  });

  it('is drained by the bulk-worker only, one message at a time, at most BULK_WORKER_CONCURRENCY at once', () => {
    const mappings = Object.values(resourcesOf(stateless, 'AWS::Lambda::EventSourceMapping')).filter((m) =>
      JSON.stringify(m.Properties.EventSourceArn).includes(':crm-dev-bulk-operations"'),
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]!.Properties).toMatchObject({
      FunctionName: { Ref: expect.stringMatching(/^BulkWorkerFunction/) },
      ScalingConfig: { MaximumConcurrency: BULK_WORKER_CONCURRENCY },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 1,
    });
  });

  it('takes messages from the bulk-operations function and the bulk-worker only', () => {
    const senders = statelessSpecs().filter((spec) =>
      policyStatements(stateless, `crm-dev-${spec.name}`).some(
        (st) => actionsOf([st]).includes('sqs:SendMessage') && JSON.stringify(st.Resource).includes(':crm-dev-bulk-operations"'),
      ),
    );
    expect(senders.map((spec) => spec.name).sort()).toEqual(['bulk-operations', 'bulk-worker']);
  });
});

describe('export queue', () => {
  it('is one encrypted queue, hidden six worker timeouts once received, with a DLQ after its receives', () => {
    // In the stateful stack: messages in flight are data a redeploy of the code must not drop.
    expect(JSON.stringify(resourcesOf(stateless, 'AWS::SQS::Queue'))).not.toContain('crm-dev-exports');
    const queues = resourcesOf(stateful, 'AWS::SQS::Queue');
    const exports = Object.values(queues).find((q) => q.Properties.QueueName === 'crm-dev-exports');
    const dlq = Object.entries(queues).find(([, q]) => q.Properties.QueueName === 'crm-dev-exports-dlq');
    expect(exports!.Properties).toMatchObject({
      VisibilityTimeout: EXPORT_QUEUE_VISIBILITY_SECONDS,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq![0], 'Arn'] }, maxReceiveCount: EXPORT_QUEUE_MAX_RECEIVES },
    });
    expect(EXPORT_QUEUE_VISIBILITY_SECONDS).toBe(exportWorkerFunction.timeoutSeconds * 6);
    // A slice's budget leaves the worker time for its last part and the join.
    expect(SLICE_BUDGET_MS).toBeLessThanOrEqual((exportWorkerFunction.timeoutSeconds * 1000) / 2);
  });

  it('is drained by the export-worker only, one message at a time, at most EXPORT_WORKER_CONCURRENCY at once', () => {
    const mappings = Object.values(resourcesOf(stateless, 'AWS::Lambda::EventSourceMapping')).filter((m) =>
      JSON.stringify(m.Properties.EventSourceArn).includes(':crm-dev-exports"'),
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]!.Properties).toMatchObject({
      FunctionName: { Ref: expect.stringMatching(/^ExportWorkerFunction/) },
      ScalingConfig: { MaximumConcurrency: EXPORT_WORKER_CONCURRENCY },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 1,
    });
  });

  it('takes messages from the exports function and the export-worker only', () => {
    const senders = statelessSpecs().filter((spec) =>
      policyStatements(stateless, `crm-dev-${spec.name}`).some(
        (st) => actionsOf([st]).includes('sqs:SendMessage') && JSON.stringify(st.Resource).includes(':crm-dev-exports"'),
      ),
    );
    expect(senders.map((spec) => spec.name).sort()).toEqual(['export-worker', 'exports']);
  });
});

describe('Sell import queue', () => {
  it('is one encrypted queue of the stateful stack, hidden six worker timeouts once received (past a slice lease), with a DLQ after its receives', () => {
    const queues = resourcesOf(stateful, 'AWS::SQS::Queue');
    const sell = Object.values(queues).find((q) => q.Properties.QueueName === 'crm-dev-sell-imports');
    const dlq = Object.entries(queues).find(([, q]) => q.Properties.QueueName === 'crm-dev-sell-imports-dlq');
    expect(sell!.Properties).toMatchObject({
      VisibilityTimeout: SELL_IMPORT_QUEUE_VISIBILITY_SECONDS,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq![0], 'Arn'] }, maxReceiveCount: SELL_IMPORT_QUEUE_MAX_RECEIVES },
    });
    expect(SELL_IMPORT_QUEUE_VISIBILITY_SECONDS).toBe(sellImportWorkerFunction.timeoutSeconds * 6);
    // A slice's budget leaves the worker time for its last page; its lease outlives the worker
    // and ends before the message is handed out again, so a redelivery resumes.
    expect(SELL_IMPORT_SLICE_MS).toBeLessThanOrEqual((sellImportWorkerFunction.timeoutSeconds * 1000) / 2);
    expect(SELL_IMPORT_LEASE_MS).toBeGreaterThan(sellImportWorkerFunction.timeoutSeconds * 1000);
    expect(SELL_IMPORT_LEASE_MS).toBeLessThan(SELL_IMPORT_QUEUE_VISIBILITY_SECONDS * 1000);
  });

  it('is drained by the sell-import-worker only, one message at a time', () => {
    const mappings = Object.values(resourcesOf(stateless, 'AWS::Lambda::EventSourceMapping')).filter((m) =>
      JSON.stringify(m.Properties.EventSourceArn).includes(':crm-dev-sell-imports"'),
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]!.Properties).toMatchObject({
      FunctionName: { Ref: expect.stringMatching(/^SellImportWorkerFunction/) },
      ScalingConfig: { MaximumConcurrency: SELL_IMPORT_WORKER_CONCURRENCY },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 1,
    });
  });

  it('takes messages from the imports function (POST /sell_imports) and the sell-import-worker only', () => {
    const senders = statelessSpecs().filter((spec) =>
      policyStatements(stateless, `crm-dev-${spec.name}`).some(
        (st) => actionsOf([st]).includes('sqs:SendMessage') && JSON.stringify(st.Resource).includes(':crm-dev-sell-imports"'),
      ),
    );
    expect(senders.map((spec) => spec.name).sort()).toEqual(['imports', 'sell-import-worker']);
  });
});

function filesBucket(): Resources[string] {
  const buckets = Object.values(resourcesOf(stateful, 'AWS::S3::Bucket'));
  expect(buckets).toHaveLength(1);
  return buckets[0]!;
}

describe('files bucket', () => {
  it('is private, encrypted, unversioned, TLS only, and sends its events to EventBridge', () => {
    const bucket = filesBucket().Properties;
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe(
      'AES256',
    );
    expect(bucket.VersioningConfiguration).toBeUndefined();
    expect(bucket.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    const policy = Object.values(resourcesOf(stateful, 'AWS::S3::BucketPolicy'))[0]!.Properties.PolicyDocument.Statement;
    expect(policy).toEqual([
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]);
  });

  it('expires abandoned uploads, import files and incomplete multipart uploads, and lets the web app PUT and GET', () => {
    const bucket = filesBucket().Properties;
    expect(bucket.LifecycleConfiguration.Rules).toEqual([
      { Id: 'abandoned-uploads', Prefix: 'uploads/', ExpirationInDays: ABANDONED_UPLOAD_DAYS, Status: 'Enabled' },
      { Id: 'import-files', Prefix: 'imports/', ExpirationInDays: IMPORT_FILE_DAYS, Status: 'Enabled' },
      { Id: 'incomplete-multipart-uploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' },
      { Id: 'inbound-mail', Prefix: 'inbound/', ExpirationInDays: INBOUND_MAIL_DAYS, Status: 'Enabled' },
      { Id: 'exports', Prefix: 'exports/', ExpirationInDays: EXPORT_RETENTION_DAYS, Status: 'Enabled' },
    ]);
    expect(bucket.CorsConfiguration.CorsRules).toEqual([
      expect.objectContaining({
        AllowedMethods: ['PUT', 'GET'],
        AllowedOrigins: [new URL(shippedConfig().app_url).origin],
      }),
    ]);
  });

  it('lets the documents, imports and exports functions touch objects under uploads/, documents/, imports/ and exports/ only', () => {
    for (const name of [
      'crm-dev-documents',
      'crm-dev-document-check',
      'crm-dev-imports',
      'crm-dev-import-worker',
      'crm-dev-exports',
      'crm-dev-export-worker',
    ]) {
      const s3 = policyStatements(stateless, name).filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:')));
      expect(actionsOf(s3).sort(), name).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
      const resources = JSON.stringify(s3.map((s) => s.Resource));
      expect(resources).toContain('/uploads/*');
      expect(resources).toContain('/documents/*');
      expect(resources).toContain('/imports/*');
      expect(resources).toContain('/exports/*');
      expect(resources).toContain('crm-dev-files-');
    }
    const others = statelessSpecs().filter((spec) => !spec.needs.files && !spec.needs.inboundMail);
    for (const spec of others) {
      expect(
        actionsOf(policyStatements(stateless, `crm-dev-${spec.name}`)).filter((a) => a.startsWith('s3:')),
        spec.name,
      ).toEqual([]);
    }
  });
});

describe("users' e-mail", () => {
  it('lets the emails function read the suppression list and send nothing; email-events gets the SES events', () => {
    const ses = policyStatements(stateless, 'crm-dev-emails').filter((s) => actionsOf([s]).some((a) => a.startsWith('ses:')));
    expect(actionsOf(ses).filter((a) => a.startsWith('ses:'))).toEqual(['ses:GetSuppressedDestination']);
    const rule = Object.values(resourcesOf(stateless, 'AWS::Events::Rule')).find(
      (r) => r.Properties.Description === builtinRules.find((b) => b.target === 'email-events')!.description,
    )!;
    expect(rule.Properties.EventPattern.source).toEqual(['aws.ses']);
    expect(JSON.stringify(rule.Properties.Targets[0].Arn)).toContain('EmailEvents');
  });
});

describe('inbound mail (SES receipt rule)', () => {
  it('lets the inbound-mail function only read what the receipt rule stores under inbound/', () => {
    const s3 = policyStatements(stateless, 'crm-dev-inbound-mail').filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:')));
    expect(actionsOf(s3)).toEqual(['s3:GetObject']);
    expect(JSON.stringify(s3.map((s) => s.Resource))).toMatch(/crm-dev-files-.*\/inbound\/\*/);
  });

  it('is absent unless the config asks for it', () => {
    stateful.resourceCountIs('AWS::SES::ReceiptRule', 0);
    stateful.resourceCountIs('AWS::SES::ReceiptRuleSet', 0);
  });

  it('adds one rule to the named (active) rule set, storing under inbound/ of the files bucket, which only SES for that rule may write to', () => {
    const config = shippedConfig();
    const inbound = { address: 'calendar@in.example.com', rule_set_name: 'company-rules' };
    const app = new App();
    const stack = new StatefulStack(app, 'crm-dev-stateful', {
      env: { account: '123456789012', region: config.region },
      config: { ...config, email: { ...config.email, inbound } },
    });
    const template = CdkTemplate.fromStack(stack);
    // Never a rule set of ours: the account's active one is kept (SES has one per region).
    template.resourceCountIs('AWS::SES::ReceiptRuleSet', 0);
    template.resourceCountIs('AWS::SES::ReceiptRule', 1);
    template.hasResourceProperties('AWS::SES::ReceiptRule', {
      RuleSetName: 'company-rules',
      Rule: {
        Name: 'crm-dev-inbound',
        Enabled: true,
        Recipients: ['calendar@in.example.com', 'in.example.com'],
        ScanEnabled: true,
        TlsPolicy: 'Require',
        Actions: [{ S3Action: { BucketName: Match.anyValue(), ObjectKeyPrefix: 'inbound/' } }],
      },
    });
    const policy = JSON.stringify(template.findResources('AWS::S3::BucketPolicy'));
    expect(policy).toContain('ses.amazonaws.com');
    expect(policy).toContain('receipt-rule-set/company-rules:receipt-rule/crm-dev-inbound');
    expect(policy).toContain('/inbound/*');
    const rule = Object.values(template.findResources('AWS::SES::ReceiptRule'))[0] as { DependsOn?: string[] };
    expect(rule.DependsOn?.some((d) => d.includes('Policy'))).toBe(true);
    expect(
      () =>
        new StatefulStack(new App(), 'other', {
          env: { account: '123456789012', region: config.region },
          config: { ...config, email: { ...config.email, inbound: { ...inbound, region: 'us-west-2' } } },
        }),
    ).toThrow(/differs from the deployment's region/);
  });
});

describe('bus consumers', () => {
  it('makes one EventBridge rule per bus rule, on the crm bus (S3 events: the default bus), with the same pattern and a DLQ', () => {
    const rules = Object.values(resourcesOf(stateless, 'AWS::Events::Rule'));
    const expected = busRules(shippedConfig());
    expect(rules).toHaveLength(expected.length);
    const bucketName = filesBucket().Properties.BucketName;
    for (const rule of expected) {
      const found = rules.find((r) => r.Properties.Description === rule.description);
      expect(found, rule.name).toBeDefined();
      expect(found!.Properties.EventPattern).toEqual(ruleEventPattern(rule, { filesBucketName: bucketName }));
      expect(found!.Properties.EventBusName === undefined, rule.name).toBe(rule.bus === 'default');
      expect(found!.Properties.Targets[0].DeadLetterConfig.Arn).toBeDefined();
      expect(found!.Properties.Targets[0].RetryPolicy).toEqual({ MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 });
    }
  });

  it('lets the directory sync touch only its own user pool, with the admin actions it needs', () => {
    const statements = policyStatements(stateless, 'crm-dev-user-directory-sync');
    const cognito = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('cognito-idp:')));
    expect(actionsOf(cognito).sort()).toEqual(
      [
        'cognito-idp:AdminAddUserToGroup',
        'cognito-idp:AdminCreateUser',
        'cognito-idp:AdminDisableUser',
        'cognito-idp:AdminEnableUser',
        'cognito-idp:AdminRemoveUserFromGroup',
        'cognito-idp:AdminUserGlobalSignOut',
      ].sort(),
    );
    for (const s of cognito) expect(JSON.stringify(s.Resource)).toContain('UserPool');
  });

  it('gives the user pool the immutable custom:user_id attribute that tokens carry', () => {
    stateful.hasResourceProperties('AWS::Cognito::UserPool', {
      Schema: Match.arrayWith([Match.objectLike({ Name: 'user_id', Mutable: false, AttributeDataType: 'String' })]),
    });
  });
});

describe('bootstrap after deploy', () => {
  it('runs the bootstrap function as a custom resource on each deploy, with the first admin from the config', () => {
    const fn = Object.entries(resourcesOf(stateless, 'AWS::Lambda::Function')).find(
      ([, f]) => f.Properties.FunctionName === 'crm-dev-bootstrap',
    );
    expect(fn).toBeDefined();
    expect(JSON.parse(fn![1].Properties.Environment.Variables.CRM_FIRST_ADMIN)).toEqual(shippedConfig().first_admin);
    const runs = Object.values(resourcesOf(stateless, 'Custom::CrmBootstrap'));
    expect(runs).toHaveLength(1);
    expect(runs[0]!.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': [fn![0], 'Arn'] });
    expect(runs[0]!.Properties.firstAdmin).toEqual(shippedConfig().first_admin);
    // Not CloudFormation's default hour when the bootstrap cannot answer.
    expect(runs[0]!.Properties.ServiceTimeout).toBe('300');
  });
});
