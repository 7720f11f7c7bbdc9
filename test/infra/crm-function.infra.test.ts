import type { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrmFunction } from '#infra/constructs/crm-function.ts';
import { outboxPublisher } from '#infra/functions.ts';
import { tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import { synthCrmApp, type SynthesizedCrmApp } from './crm-app.ts';

// The bind helpers that the stacks do not use yet (scheduler, mailer, user pool, read-only
// table), on probe functions added to the real app: same entry as the publisher, so CDK's
// asset cache bundles it once.

let crm: SynthesizedCrmApp;
let template: Template;

beforeAll(() => {
  crm = synthCrmApp(undefined, ({ stateful, stateless }) => {
    const probe = (name: string) =>
      new CrmFunction(stateless, `Probe-${name}`, {
        spec: { ...outboxPublisher, name: `probe-${name}` },
        stage: 'dev',
        logRetentionDays: 30,
      });
    const schedulerTarget = new iam.Role(stateless, 'ProbeSchedulerTarget', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
    });
    probe('scheduler').bindScheduleGroup(stateful.scheduleGroupName, schedulerTarget);
    probe('mailer').bindMailer(stateful.configurationSet, 'crm@example.com');
    probe('users').bindUserPool(stateful.userPool, 'cognito-idp:AdminCreateUser', 'cognito-idp:AdminDisableUser');
    probe('reader').bindTable(stateful.table, 'read');
  });
  template = crm.statelessTemplate;
});
afterAll(() => crm?.dispose());

function probe(name: string): { env: Record<string, unknown>; statements: { Action: string | string[]; Resource: unknown }[] } {
  const functions = template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: `crm-dev-probe-${name}` } });
  const fn = Object.values(functions)[0]!;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p) =>
    p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId),
  )!;
  return { env: fn.Properties.Environment.Variables, statements: policy.Properties.PolicyDocument.Statement };
}

const actions = (statements: { Action: string | string[] }[]) => statements.flatMap((s) => [s.Action].flat());

describe('CrmFunction bind helpers', () => {
  it('add no unacknowledged cdk-nag finding', () => {
    const open = new AwsSolutionsChecks()
      .validateScope(crm.app)
      .violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath)}`);
    expect(open).toEqual([]);
  });

  it('bindScheduleGroup: the group name, schedules of that group only, and PassRole on the target role', () => {
    const { env, statements } = probe('scheduler');
    expect(env.SCHEDULE_GROUP_NAME).toBe('crm-dev');
    const schedules = statements.find((s) => actions([s]).includes('scheduler:CreateSchedule'))!;
    expect(actions([schedules]).sort()).toEqual(['scheduler:CreateSchedule', 'scheduler:DeleteSchedule']);
    expect(JSON.stringify(schedules.Resource)).toContain(':schedule/crm-dev/*');
    expect(actions(statements)).toContain('iam:PassRole');
  });

  it('bindMailer: sends only from the sender address (or its domain) through the configuration set', () => {
    const { env, statements } = probe('mailer');
    expect(env.SENDER_ADDRESS).toBe('crm@example.com');
    expect(env.SES_CONFIGURATION_SET).toBeDefined();
    const send = statements.find((s) => actions([s]).includes('ses:SendEmail'))!;
    const resources = JSON.stringify(send.Resource);
    expect(resources).toContain('identity/crm@example.com');
    expect(resources).toContain('identity/example.com');
    expect(resources).toContain('configuration-set/');
    expect(resources).not.toContain('"*"');
  });

  it('bindUserPool: the pool id and the given actions on that pool', () => {
    const { env, statements } = probe('users');
    expect(env.USER_POOL_ID).toBeDefined();
    expect(actions(statements)).toEqual(expect.arrayContaining(['cognito-idp:AdminCreateUser', 'cognito-idp:AdminDisableUser']));
  });

  it('bindTable read: reads the table and each index by name, writes nothing', () => {
    const { env, statements } = probe('reader');
    expect(env.TABLE_NAME).toBeDefined();
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
});
