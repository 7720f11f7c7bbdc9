import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SPECS } from '#shared/events/domain.ts';
import { functionSpecs } from '#infra/functions.ts';
import { busRules, busRule, NOT_REPLAYED } from '#infra/rules.ts';
import { eventBridgeJsonSchemas, eventSchemaName } from '#infra/docs/event-schemas.ts';
import { STREAM_SETTLE_SECONDS } from '#shared/events/use-cases.ts';
import { matchesPattern } from '#shared/kernel/event-patterns.ts';
import { shippedConfig, synthCrmApp, type SynthesizedCrmApp } from './crm-app.ts';

// The event stream as a product in the templates: the archive's retention from the config, the
// schema registry holding the catalogue, replay-proof rules for consumers with side effects,
// and the pull stream's function reading the table only.

let crm: SynthesizedCrmApp;
let stateful: Template;
let stateless: Template;
const config = { ...shippedConfig(), event_archive_retention_days: 90 };

beforeAll(() => {
  crm = synthCrmApp(config);
  stateful = crm.statefulTemplate;
  stateless = crm.statelessTemplate;
}, 240_000);
afterAll(() => crm?.dispose());

type Resources = Record<string, { Properties: Record<string, any> }>;

describe('the bus archive and the schema registry', () => {
  it('archives every CRM event for the configured number of days', () => {
    stateful.hasResourceProperties('AWS::Events::Archive', {
      ArchiveName: 'crm-dev-events',
      EventPattern: { source: ['crm'] },
      RetentionDays: 90,
    });
  });

  it('publishes one JSON Schema draft 4 per event type and version, as docs/events has them', () => {
    stateful.hasResourceProperties('AWS::EventSchemas::Registry', { RegistryName: 'crm-dev-events' });
    const schemas = Object.values(stateful.findResources('AWS::EventSchemas::Schema') as Resources);
    expect(schemas.map((s) => s.Properties.SchemaName).sort()).toEqual(EVENT_SPECS.map(eventSchemaName).sort());
    const expected = eventBridgeJsonSchemas();
    for (const { Properties } of schemas) {
      expect(Properties.Type).toBe('JSONSchemaDraft4');
      expect(Properties.RegistryName).toEqual({ 'Fn::GetAtt': ['EventSchemaRegistry', 'RegistryName'] });
      expect(JSON.parse(Properties.Content)).toEqual(expected.get(Properties.SchemaName));
      expect(Properties.Content.length).toBeLessThan(100_000);
    }
  });
});

describe('rules and replays', () => {
  it('gives every rule with side effects a pattern that refuses replayed events, in the template too', () => {
    const rules = busRules(config);
    expect(rules.length).toBeGreaterThan(0);
    const cdkRules = Object.values(stateless.findResources('AWS::Events::Rule') as Resources);
    for (const rule of rules) {
      expect(rule.pattern['replay-name'], rule.name).toEqual(rule.sideEffects ? [{ exists: false }] : undefined);
      const cdk = cdkRules.find((r) => r.Properties.Description === rule.description);
      expect(cdk?.Properties.EventPattern['replay-name'], rule.name).toEqual(rule.sideEffects ? [{ exists: false }] : undefined);
    }
  });

  it('leaves the pattern of a read-model rule open to replays', () => {
    const readModel = busRule({
      name: 'feed',
      description: 'a read model',
      pattern: { source: ['crm'] },
      target: 'feed',
      sideEffects: false,
    });
    expect(readModel.pattern).toEqual({ source: ['crm'] });
    expect(matchesPattern(readModel.pattern, { source: 'crm', 'replay-name': 'r1', detail: {} })).toBe(true);
    const effect = busRule({ ...readModel, sideEffects: true });
    expect(effect.pattern).toEqual({ source: ['crm'], ...NOT_REPLAYED });
    expect(matchesPattern(effect.pattern, { source: 'crm', 'replay-name': 'r1', detail: {} })).toBe(false);
    expect(matchesPattern(effect.pattern, { source: 'crm', detail: {} })).toBe(true);
  });
});

describe('the pull stream', () => {
  it('runs in a function that only reads the table (and the cursor key, to resolve a manager caller), no bus', () => {
    const fn = Object.values(stateless.findResources('AWS::Lambda::Function') as Resources).find(
      (f) => f.Properties.FunctionName === 'crm-dev-events',
    );
    const variables = Object.keys(fn!.Properties.Environment.Variables);
    expect(variables).toContain('TABLE_NAME');
    expect(variables).toContain('CURSOR_SECRET_ID');
    expect(variables).not.toContain('EVENT_BUS_NAME');
    const roleId = fn!.Properties.Role['Fn::GetAtt'][0] as string;
    const policy = Object.values(stateless.findResources('AWS::IAM::Policy') as Resources).find((p) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId),
    );
    const actions = (policy!.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) =>
      [s.Action].flat(),
    );
    expect(actions.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
    ]);
  });

  it('waits longer than any function that writes events may run (late commits are not skipped)', () => {
    // occurred_at is taken when a request starts; the write commits before the function times out.
    // external-calendars writes calendars' cached events, never an outbox item (no domain event).
    const noEvents = new Set(['external-calendars']);
    const writers = functionSpecs.filter((spec) => spec.needs.table === 'readWrite' && !noEvents.has(spec.name));
    expect(writers.length).toBeGreaterThan(0);
    for (const spec of writers) expect(spec.timeoutSeconds + 30, spec.name).toBeLessThanOrEqual(STREAM_SETTLE_SECONDS);
  });
});
