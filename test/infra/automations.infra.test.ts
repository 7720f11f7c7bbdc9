import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestedStack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#infra/build/bundle.ts';
import { parseConfig } from '#infra/config/load.ts';
import { automationSummaries } from '#shared/automations/domain.ts';
import { shippedConfig, synthCrmApp, type SynthesizedCrmApp } from './crm-app.ts';

// The admins' automated actions in the templates: one EventBridge rule per action, each
// refusing replays, targeting the automated-actions function with `{action, event}` through
// an input transformer; that function's grants; GET /automations reading only. A bad
// automation fails `cdk synth` naming the action and the field path.

type Resources = Record<string, { Properties: Record<string, any> }>;

const automations = [
  {
    name: 'quote-follow-up',
    trigger: { event: 'deal.stage_changed', stage: 'quote' },
    actions: [
      { type: 'create_task', content: 'Send the quote', assignee: 'owner', due_in: '2d' },
      { type: 'set_field', name: 'mark-quoted', field: 'Quoted', value: true },
    ],
  },
  {
    name: 'new-lead',
    trigger: { event: 'lead.created' },
    actions: [{ type: 'create_task', content: 'Call them', due_in: '3h' }],
  },
];
const config = parseConfig({ ...shippedConfig(), automations });

let crm: SynthesizedCrmApp;
const dir = mkdtempSync(join(tmpdir(), 'crm-automations-'));

beforeAll(() => {
  crm = synthCrmApp(config);
}, 240_000);
afterAll(() => {
  crm?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const resources = (type: string) => crm.statelessTemplate.findResources(type) as Resources;
const functionNamed = (name: string) =>
  Object.entries(resources('AWS::Lambda::Function')).find(([, f]) => f.Properties.FunctionName === name)!;

/** Every IAM action the function's role is granted. */
function actionsOf(name: string): string[] {
  const [, fn] = functionNamed(name);
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  const policies = Object.values(resources('AWS::IAM::Policy')).filter((p) =>
    (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId),
  );
  return policies.flatMap((p) =>
    (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) => [s.Action].flat()),
  );
}

describe('automated actions in the templates', () => {
  it('makes one rule per configured action, in a nested stack of their own, each refusing replays, with {action, event} as its input', () => {
    // The stateless stack holds the functions (the routes are in a nested stack too); the
    // actions' rules and permissions count toward their nested stack's own limit.
    expect(Object.values(resources('AWS::Events::Rule')).filter((r) => r.Properties.Targets?.[0]?.InputTransformer)).toEqual([]);
    // Two nested stacks: these actions', and the HTTP API's routes (stacks.infra.test.ts).
    const automationsStack = Object.entries(resources('AWS::CloudFormation::Stack')).filter(([id]) =>
      id.startsWith('Automations'),
    );
    expect(automationsStack).toHaveLength(1);
    const nested = Template.fromStack(crm.stateless.node.findChild('Automations') as NestedStack);
    const rules = Object.values(nested.findResources('AWS::Events::Rule') as Resources).filter(
      (r) => r.Properties.Targets?.[0]?.InputTransformer,
    );
    expect(rules).toHaveLength(3);
    nested.resourceCountIs('AWS::Lambda::Permission', 3);
    const [fnId] = functionNamed('crm-dev-automated-actions');
    const byType = rules.map((r) => r.Properties.EventPattern['detail-type'][0]).sort();
    expect(byType).toEqual(['deal.stage_changed', 'deal.stage_changed', 'lead.created']);
    for (const rule of rules) {
      expect(rule.Properties.EventPattern['replay-name']).toEqual([{ exists: false }]);
      expect(rule.Properties.Targets).toHaveLength(1);
      const target = rule.Properties.Targets[0];
      // The function's ARN, handed from the parent stack as a parameter of the nested stack.
      const parameters = automationsStack[0]![1].Properties.Parameters;
      expect(parameters[(target.Arn as { Ref: string }).Ref]).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
      expect(target.InputTransformer.InputPathsMap).toEqual({ event: '$.detail' });
      expect(target.InputTransformer.InputTemplate).toMatch(/^\{"action": \{"name":"[a-z0-9-]+",.*\}, "event": <event>\}$/);
      expect(target.DeadLetterConfig).toBeDefined();
    }
    const quote = rules.find((r) => r.Properties.EventPattern.detail?.data?.stage_key);
    expect(quote!.Properties.EventPattern.detail).toEqual({ data: { stage_key: ['quote'] } });
  });

  it('lets the automated-actions function use the table (no Scan) and nothing else of AWS', () => {
    const [, fn] = functionNamed('crm-dev-automated-actions');
    const actions = actionsOf('crm-dev-automated-actions');
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']));
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions.some((a) => /^(events|cognito-idp|ses|scheduler):/.test(a))).toBe(false);
    expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain('CRM_AUTOMATIONS');
  });

  it('gives GET /automations the list of configured actions and read access only', () => {
    const [, fn] = functionNamed('crm-dev-automations');
    const actions = actionsOf('crm-dev-automations');
    expect(actions).toContain('dynamodb:BatchGetItem');
    expect(actions.filter((a) => /^dynamodb:(Put|Update|Delete)/.test(a))).toEqual([]);
    expect(JSON.parse(fn.Properties.Environment.Variables.CRM_AUTOMATIONS)).toEqual(automationSummaries(config.automations));
    expect(automationSummaries(config.automations).map((a) => a.name)).toEqual([
      'quote-follow-up-1',
      'mark-quoted',
      'new-lead-1',
    ]);
  });

  it('fails cdk synth on a bad automation, naming the action and the field path', () => {
    const path = join(dir, 'bad.json');
    const bad = structuredClone({ ...shippedConfig(), automations }) as Record<string, any>;
    bad.automations[0].trigger.stage = 'qoute';
    bad.automations[1].actions[0].assignee = { user: 'not an e-mail' };
    writeFileSync(path, JSON.stringify(bad));
    const run = spawnSync(process.execPath, ['infra/app.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, CRM_CONFIG: path, NODE_ENV: 'production' },
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`${path}: automations[0].trigger.stage: automation "quote-follow-up": no stage "qoute"`);
    expect(run.stderr).toContain(`${path}: automations[1].actions[0].assignee`);
  });
});
