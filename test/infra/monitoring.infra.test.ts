import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionSpecs } from '#infra/functions.ts';
import {
  ALARM_KINDS,
  API_5XX_RATE_PERCENT,
  ASYNC_KINDS,
  crmFunctions,
  deadLetterQueues,
  DESTINATION_KINDS,
  ITERATOR_AGE_THRESHOLD,
  type AlarmKind,
} from '#infra/monitoring-stack.ts';
import { nagPacks } from '#infra/nag.ts';
import { busRules } from '#infra/rules.ts';
import { shippedConfig, synthCrmApp, type SynthesizedCrmApp } from './crm-app.ts';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };

let crm: SynthesizedCrmApp;
let monitoring: Template;
let alarms: Resource[];
const config = shippedConfig();
const prefix = `crm-${config.stage}-`;

beforeAll(() => {
  crm = synthCrmApp(config);
  monitoring = Template.fromStack(crm.monitoring);
  alarms = Object.values(monitoring.findResources('AWS::CloudWatch::Alarm')) as Resource[];
});
afterAll(() => crm?.dispose());

/** Alarm names are "crm-<stage>-<kind>[-<subject>]"; the longest kind matching wins. */
function alarmsOf(kind: AlarmKind): Resource[] {
  return alarms.filter((alarm) => {
    const name = alarm.Properties.AlarmName as string;
    const matching = ALARM_KINDS.filter((k) => name === `${prefix}${k}` || name.startsWith(`${prefix}${k}-`));
    return matching.sort((a, b) => b.length - a.length)[0] === kind;
  });
}

function subjects(kind: AlarmKind): string[] {
  return alarmsOf(kind)
    .map((alarm) => (alarm.Properties.AlarmName as string).slice(`${prefix}${kind}-`.length))
    .sort();
}

const topicRef = () => ({ Ref: Object.keys(monitoring.findResources('AWS::SNS::Topic'))[0] });

describe('alarms', () => {
  it('are all of a known kind, named after it', () => {
    expect(alarms.length).toBeGreaterThan(0);
    const classified = ALARM_KINDS.flatMap((kind) => alarmsOf(kind));
    expect(classified).toHaveLength(alarms.length);
  });

  it('watch every function of the registry for errors and throttles', () => {
    const names = functionSpecs.map((spec) => spec.name).sort();
    expect(subjects('function-errors')).toEqual(names);
    expect(subjects('function-throttles')).toEqual(names);
    // And no function in the templates is left out of the registry (the rotation one is stateful).
    const inTemplates = [crm.statelessTemplate, crm.statefulTemplate].flatMap((t) =>
      Object.keys(t.findResources('AWS::Lambda::Function')),
    );
    expect(inTemplates).toHaveLength(names.length);
  });

  it('watch dropped async events of every asynchronously invoked function, and failed-destination deliveries of every consumer', () => {
    const names = (kinds: ReadonlySet<string>) =>
      functionSpecs
        .filter((spec) => kinds.has(spec.kind))
        .map((spec) => spec.name)
        .sort();
    expect(names(ASYNC_KINDS)).toEqual(expect.arrayContaining(['bootstrap', 'contact-status', 'user-directory-sync']));
    expect(subjects('async-events-dropped')).toEqual(names(ASYNC_KINDS));
    expect(names(DESTINATION_KINDS)).toEqual(
      expect.arrayContaining(['contact-status', 'outbox-publisher', 'user-directory-sync']),
    );
    expect(subjects('destination-delivery-failures')).toEqual(names(DESTINATION_KINDS));
    for (const alarm of alarmsOf('async-events-dropped')) expect(alarm.Properties.MetricName).toBe('AsyncEventsDropped');
    for (const alarm of alarmsOf('destination-delivery-failures')) {
      expect(alarm.Properties.MetricName).toBe('DestinationDeliveryFailures');
    }
  });

  it('watch the depth of every dead-letter queue in both stacks', () => {
    const dlqs = [crm.statefulTemplate, crm.statelessTemplate].flatMap(
      (template) =>
        Object.values(template.findResources('AWS::SQS::Queue')).filter((queue) => !queue.Properties.RedrivePolicy) as Resource[],
    );
    expect(dlqs.length).toBeGreaterThanOrEqual(2);
    expect(subjects('dlq-depth')).toEqual(
      dlqs.map((queue) => (queue.Properties.QueueName as string).slice(prefix.length)).sort(),
    );
    for (const alarm of alarmsOf('dlq-depth')) {
      expect(alarm.Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('watch every bus rule for failed invocations, on the crm bus', () => {
    expect(subjects('rule-failed-invocations')).toEqual(
      busRules(config)
        .map((rule) => rule.name)
        .sort(),
    );
    for (const alarm of alarmsOf('rule-failed-invocations')) {
      expect(alarm.Properties).toMatchObject({ Namespace: 'AWS/Events', MetricName: 'FailedInvocations', Threshold: 1 });
      expect(alarm.Properties.Dimensions.map((d: { Name: string }) => d.Name).sort()).toEqual(['EventBusName', 'RuleName']);
    }
  });

  it("watch the outbox publisher's iterator age", () => {
    expect(subjects('iterator-age')).toEqual(['outbox-publisher']);
    expect(alarmsOf('iterator-age')[0]!.Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Threshold: ITERATOR_AGE_THRESHOLD.toMilliseconds(),
    });
  });

  it("watch the API's 5xx rate as a share of its requests", () => {
    const [alarm, ...more] = alarmsOf('api-5xx-rate');
    expect(more).toHaveLength(0);
    expect(alarm!.Properties.Threshold).toBe(API_5XX_RATE_PERCENT);
    const metrics = alarm!.Properties.Metrics as { Id: string; Expression?: string; MetricStat?: any }[];
    expect(metrics.find((m) => m.Expression)!.Expression).toMatch(/100 \* FILL\(errors, 0\) \/ requests/);
    expect(metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat.Metric.MetricName])).toEqual([
      ['requests', 'Count'],
      ['errors', '5xx'],
    ]);
  });

  it('each notify the topic when they fire and when they clear, and treat no data as no trouble', () => {
    for (const alarm of alarms) {
      expect(alarm.Properties, alarm.Properties.AlarmName).toMatchObject({
        AlarmActions: [topicRef()],
        OKActions: [topicRef()],
        TreatMissingData: 'notBreaching',
        EvaluationPeriods: 1,
      });
      expect(alarm.Properties.AlarmDescription).toMatch(/README, "Operating"/);
    }
  });

  it('number what the registries say: one set per function, queue and rule, plus the API and the stream', () => {
    const perFunction = functionSpecs.reduce(
      (n, spec) => n + 2 + Number(ASYNC_KINDS.has(spec.kind)) + Number(DESTINATION_KINDS.has(spec.kind)),
      0,
    );
    expect(alarms).toHaveLength(perFunction + subjects('dlq-depth').length + busRules(config).length + 2);
  });
});

describe('notifications', () => {
  it('mail the config address from one topic, published to over TLS only', () => {
    monitoring.resourceCountIs('AWS::SNS::Topic', 1);
    monitoring.hasResourceProperties('AWS::SNS::Topic', { TopicName: `${prefix}alarms` });
    monitoring.resourceCountIs('AWS::SNS::Subscription', 1);
    monitoring.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: config.alarms.email,
      TopicArn: topicRef(),
    });
  });

  it('let CloudWatch and Budgets of this account publish (the topic policy replaces the default one)', () => {
    const policy = Object.values(monitoring.findResources('AWS::SNS::TopicPolicy'))[0] as Resource;
    const statements = policy.Properties.PolicyDocument.Statement as any[];
    for (const service of ['cloudwatch.amazonaws.com', 'budgets.amazonaws.com']) {
      const allow = statements.find((s) => s.Effect === 'Allow' && s.Principal?.Service === service);
      expect(allow, service).toMatchObject({
        Action: 'sns:Publish',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      });
    }
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });
});

describe('budget', () => {
  it('alerts the topic when the month costs more than the config amount, actual or forecast', () => {
    monitoring.resourceCountIs('AWS::Budgets::Budget', 1);
    const budget = Object.values(monitoring.findResources('AWS::Budgets::Budget'))[0] as Resource;
    expect(budget.Properties.Budget).toEqual({
      BudgetName: `${prefix}monthly-cost`,
      BudgetType: 'COST',
      TimeUnit: 'MONTHLY',
      BudgetLimit: { Amount: config.alarms.monthly_budget_usd, Unit: 'USD' },
    });
    const notifications = budget.Properties.NotificationsWithSubscribers as any[];
    expect(notifications.map((n) => n.Notification.NotificationType).sort()).toEqual(['ACTUAL', 'FORECASTED']);
    for (const n of notifications) {
      expect(n.Notification).toMatchObject({ ComparisonOperator: 'GREATER_THAN', Threshold: 100, ThresholdType: 'PERCENTAGE' });
      expect(n.Subscribers).toEqual([{ SubscriptionType: 'SNS', Address: topicRef() }]);
    }
    // Created once the topic policy lets Budgets publish.
    expect(budget.DependsOn).toEqual(expect.arrayContaining(Object.keys(monitoring.findResources('AWS::SNS::TopicPolicy'))));
  });
});

describe('dashboard', () => {
  it('shows every alarm, the API, each function, the iterator age and the DLQs', () => {
    monitoring.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const dashboard = Object.values(monitoring.findResources('AWS::CloudWatch::Dashboard'))[0] as Resource;
    expect(dashboard.Properties.DashboardName).toBe(`crm-${config.stage}`);
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const title of [
      'Alarms',
      'API requests',
      'API latency (ms)',
      'API 5xx (% of requests)',
      'Errors by function',
      'Duration p99 by function (ms)',
      'Throttles by function',
      'Outbox publisher iterator age (ms)',
      'Dead-letter queue depth',
    ]) {
      expect(body).toContain(`\\"title\\":\\"${title}\\"`);
    }
    for (const id of Object.keys(monitoring.findResources('AWS::CloudWatch::Alarm'))) expect(body).toContain(id);
    for (const spec of functionSpecs) expect(body, spec.name).toContain(`\\"label\\":\\"${spec.name}\\"`);
  });
});

describe('cdk-nag on the monitoring stack', () => {
  it('finds nothing unacknowledged with the AwsSolutions and Serverless packs', () => {
    const open = nagPacks().flatMap((pack) =>
      pack
        .validateScope(crm.monitoring)
        .violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`),
    );
    expect(open).toEqual([]);
  });
});

describe('what is watched is read from the construct tree', () => {
  it('takes every queue without a DLQ of its own as a DLQ, and every function', () => {
    const stack = new Stack(new App(), 'probe');
    const dlq = new sqs.Queue(stack, 'Dlq');
    new sqs.Queue(stack, 'Work', { deadLetterQueue: { queue: dlq, maxReceiveCount: 3 } });
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('export const handler = async () => {};'),
      timeout: Duration.seconds(3),
    });
    expect(deadLetterQueues([stack])).toEqual([dlq]);
    expect(crmFunctions([stack])).toEqual([fn]);
  });

  it('leaves no alarm kind without alarms in the shipped app', () => {
    for (const kind of ALARM_KINDS) expect(alarmsOf(kind).length, kind).toBeGreaterThan(0);
  });
});
