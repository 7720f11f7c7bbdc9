import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrmFunction, type CrmResources } from '#infra/constructs/crm-function.ts';
import { outboxPublisher, type FunctionNeeds } from '#infra/functions.ts';
import { tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import { shippedConfig, synthCrmApp, type SynthesizedCrmApp } from './crm-app.ts';

// The needs that the registry gives no function yet (scheduler, mailer) and the ones it gives
// in one combination only, on probe functions added to the real app: same entry as the
// publisher, so CDK's asset cache bundles it once.

/** Two providers, as an admin would configure Gmail and Outlook. */
const MAILBOX_OAUTH = {
  google: {
    client_id: 'crm.apps.googleusercontent.example',
    client_secret_name: 'crm-dev/mailbox-oauth/google',
    authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
    token_endpoint: 'https://oauth2.googleapis.com/token',
    scope: 'https://mail.google.com/ openid email',
    authorization_params: { access_type: 'offline', prompt: 'consent' },
    imap_host: 'imap.gmail.com',
    imap_port: 993,
    imap_tls: true,
  },
  microsoft: {
    client_id: '00000000-0000-0000-0000-000000000000',
    client_secret_name: 'crm-dev/mailbox-oauth/microsoft',
    authorization_endpoint: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
    token_endpoint: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    scope: 'https://outlook.office.com/IMAP.AccessAsUser.All offline_access openid email',
    authorization_params: {},
    imap_host: 'outlook.office365.com',
    imap_port: 993,
    imap_tls: true,
  },
};

let crm: SynthesizedCrmApp;
let probes: Stack;
let template: Template;

beforeAll(() => {
  crm = synthCrmApp(undefined, ({ app, stateful }) => {
    // The probes get a stack of their own: the stateless stack sits near CloudFormation's 500
    // resources already, and what is checked here is each probe's own policy and environment.
    probes = new Stack(app, 'crm-dev-probes', { env: { region: shippedConfig().region } });
    const schedulerTarget = new iam.Role(probes, 'ProbeSchedulerTarget', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
    });
    const resources: CrmResources = {
      table: stateful.table,
      bus: stateful.bus,
      cursorSecret: stateful.cursorSecret,
      userPool: stateful.userPool,
      scheduleGroupName: stateful.scheduleGroupName,
      schedulerTargetRole: schedulerTarget,
      reminderTargetArn: 'arn:aws:lambda:eu-west-1:123456789012:function:probe-target',
      reminderDeadLetterQueue: stateful.reminderDeadLetterQueue,
      configurationSet: stateful.configurationSet,
      config: shippedConfig(),
      corsAllowOrigins: ['*'],
    };
    const probe = (name: string, needs: FunctionNeeds) =>
      new CrmFunction(probes, `Probe-${name}`, {
        spec: { ...outboxPublisher, name: `probe-${name}`, needs },
        stage: 'dev',
        logRetentionDays: 30,
        resources,
      });
    probe('scheduler', { scheduleGroup: true });
    probe('mailer', { mailer: true });
    probe('users', { userPool: ['cognito-idp:AdminCreateUser', 'cognito-idp:AdminDisableUser'] });
    probe('reader', { table: 'read' });
    probe('nothing', {});
    new CrmFunction(probes, 'Probe-mailbox-oauth', {
      spec: { ...outboxPublisher, name: 'probe-mailbox-oauth', needs: { mailboxOAuth: true } },
      stage: 'dev',
      logRetentionDays: 30,
      resources: { ...resources, config: { ...shippedConfig(), mailbox_oauth: MAILBOX_OAUTH } },
    });
  });
  template = Template.fromStack(probes);
});
afterAll(() => crm?.dispose());

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

function probe(name: string): { env: Record<string, unknown>; statements: Statement[] } {
  const functions = template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: `crm-dev-probe-${name}` } });
  const fn = Object.values(functions)[0]!;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p) =>
    p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId),
  )!;
  return { env: fn.Properties.Environment.Variables, statements: policy.Properties.PolicyDocument.Statement };
}

/** The variables every function has (Node and Powertools settings). */
const BASE = ['NODE_OPTIONS', 'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_SERVICE_NAME'];

const actions = (statements: { Action: string | string[] }[]) => statements.flatMap((s) => [s.Action].flat());

describe('CrmFunction needs', () => {
  it('add no unacknowledged cdk-nag finding', () => {
    const open = new AwsSolutionsChecks()
      .validateScope(crm.app)
      .violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath)}`);
    expect(open).toEqual([]);
  });

  it('scheduleGroup: the group name, schedules of that group only, and PassRole on the target role to Scheduler only', () => {
    const { env, statements } = probe('scheduler');
    expect(Object.keys(env).sort()).toEqual(
      [...BASE, 'SCHEDULE_GROUP_NAME', 'REMINDER_TARGET_ARN', 'SCHEDULER_ROLE_ARN', 'REMINDER_DLQ_ARN'].sort(),
    );
    expect(env.SCHEDULE_GROUP_NAME).toBe('crm-dev');
    // What each schedule names: its target, the role Scheduler assumes, its dead-letter queue.
    expect(env.REMINDER_TARGET_ARN).toBe('arn:aws:lambda:eu-west-1:123456789012:function:probe-target');
    expect(JSON.stringify(env.SCHEDULER_ROLE_ARN)).toContain('ProbeSchedulerTarget');
    expect(JSON.stringify(env.REMINDER_DLQ_ARN)).toContain('ReminderDeadLetterQueue');
    const schedules = statements.find((s) => actions([s]).includes('scheduler:CreateSchedule'))!;
    expect(actions([schedules]).sort()).toEqual(['scheduler:CreateSchedule', 'scheduler:DeleteSchedule']);
    expect(JSON.stringify(schedules.Resource)).toContain(':schedule/crm-dev/*');
    const passRole = statements.find((s) => actions([s]).includes('iam:PassRole'))!;
    expect(passRole.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
    expect(JSON.stringify(passRole.Resource)).toContain('ProbeSchedulerTarget');
  });

  it('mailer: sends only from the configured sender address (or its domain) through the configuration set', () => {
    const { env, statements } = probe('mailer');
    expect(Object.keys(env).sort()).toEqual([...BASE, 'SENDER_ADDRESS', 'SES_CONFIGURATION_SET'].sort());
    expect(env.SENDER_ADDRESS).toBe('crm@example.com');
    expect(env.SES_CONFIGURATION_SET).toBeDefined();
    const send = statements.find((s) => actions([s]).includes('ses:SendEmail'))!;
    const resources = JSON.stringify(send.Resource);
    expect(resources).toContain('identity/crm@example.com');
    expect(resources).toContain('identity/example.com');
    expect(resources).toContain('configuration-set/');
    expect(resources).not.toContain('"*"');
  });

  it('userPool: the pool id and exactly the given actions on that pool', () => {
    const { env, statements } = probe('users');
    expect(Object.keys(env).sort()).toEqual([...BASE, 'USER_POOL_ID'].sort());
    const cognito = statements.filter((s) => actions([s]).some((a) => a.startsWith('cognito-idp:')));
    expect(actions(cognito).sort()).toEqual(['cognito-idp:AdminCreateUser', 'cognito-idp:AdminDisableUser']);
    for (const s of cognito) expect(JSON.stringify(s.Resource)).toContain('UserPool');
  });

  it('table read: reads the table and each index by name, writes nothing', () => {
    const { env, statements } = probe('reader');
    expect(Object.keys(env).sort()).toEqual([...BASE, 'TABLE_NAME'].sort());
    const table = statements.find((s) => actions([s]).includes('dynamodb:Query'))!;
    expect(actions([table]).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
    ]);
    const resources = JSON.stringify(table.Resource);
    for (const index of tableSpec.globalSecondaryIndexes) expect(resources).toContain(`/index/${index.indexName}`);
    expect(resources).not.toContain('/index/*');
  });

  it('mailboxOAuth: the providers without their secrets, and GetSecretValue on exactly their client secrets', () => {
    const { env, statements } = probe('mailbox-oauth');
    expect(Object.keys(env).sort()).toEqual([...BASE, 'CRM_MAILBOX_OAUTH'].sort());
    const settings = JSON.parse(String(env.CRM_MAILBOX_OAUTH));
    expect(settings.redirect_uri).toBe('https://crm.example.com/settings/mailboxes/oauth');
    expect(settings.providers.map((p: { name: string; client_secret_name: string }) => [p.name, p.client_secret_name])).toEqual([
      ['google', 'crm-dev/mailbox-oauth/google'],
      ['microsoft', 'crm-dev/mailbox-oauth/microsoft'],
    ]);
    const secrets = statements.filter((s) => actions([s]).some((a) => a.startsWith('secretsmanager:')));
    expect(actions(secrets)).toEqual(['secretsmanager:GetSecretValue']);
    const resources = JSON.stringify(secrets.map((s) => s.Resource));
    expect(resources).toContain(':secret:crm-dev/mailbox-oauth/google-??????');
    expect(resources).toContain(':secret:crm-dev/mailbox-oauth/microsoft-??????');
    expect(resources).not.toContain('*');
  });

  it('no needs: only the base variables, and only the log and X-Ray grants', () => {
    const { env, statements } = probe('nothing');
    expect(Object.keys(env).sort()).toEqual(BASE);
    expect(actions(statements).sort()).toEqual(
      ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'].sort(),
    );
  });
});
