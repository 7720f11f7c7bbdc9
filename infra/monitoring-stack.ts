import { ArnFormat, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';
import type { CrmConfig } from '#infra/config/schema.ts';
import type { FunctionKind } from '#infra/functions.ts';
import { acknowledge } from '#infra/nag.ts';
import type { StatefulStack } from '#infra/stateful-stack.ts';
import type { StatelessStack } from '#infra/stateless-stack.ts';

// What tells an operator that something is wrong: one SNS topic (mailed to the config's
// `alarms.email`), the alarms, one dashboard and a monthly cost budget. The alarm set is read
// from the other two stacks' construct trees, so a new function, queue or bus rule gets its
// alarms without an edit here. The README's "Operating" section says what to do for each.

export interface MonitoringStackProps extends StackProps {
  readonly config: CrmConfig;
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
}

/** The kinds of alarm, one per thing that can go wrong; every alarm is one of these. */
export const ALARM_KINDS = [
  'dlq-depth',
  'iterator-age',
  'function-errors',
  'function-throttles',
  'async-events-dropped',
  'destination-delivery-failures',
  'api-5xx-rate',
  'rule-failed-invocations',
] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

/** Function kinds Lambda invokes asynchronously (bus rules, Scheduler, CloudFormation). */
export const ASYNC_KINDS: ReadonlySet<FunctionKind> = new Set(['event', 'scheduled', 'deploy']);
/**
 * Function kinds whose failures go to an on-failure destination: async consumers (issue 9
 * gives each one) and the stream publisher (its mapping's). The bootstrap has none: a failure
 * fails the deploy instead.
 */
export const DESTINATION_KINDS: ReadonlySet<FunctionKind> = new Set(['event', 'scheduled', 'stream']);

/** The stream publisher's lag past which an operator should look; see `iterator-age` below. */
export const ITERATOR_AGE_THRESHOLD = Duration.minutes(5);
/** API 5xx share (percent of requests) in five minutes past which the API alarm fires. */
export const API_5XX_RATE_PERCENT = 5;
/** Fewer requests than this in five minutes never raise the 5xx-rate alarm (one error in three is noise). */
export const API_5XX_MIN_REQUESTS = 10;

const PERIOD = Duration.minutes(5);

/** What differs between alarms; all are judged on one five-minute period. */
interface AlarmSpec {
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  /** What happened, in one sentence: the first line an operator reads. */
  readonly alarmDescription: string;
}

export class MonitoringStack extends Stack {
  readonly alarmTopic: sns.Topic;
  readonly alarms: ReadonlyMap<AlarmKind, readonly cloudwatch.Alarm[]>;
  readonly dashboard: cloudwatch.Dashboard;
  readonly budget: budgets.CfnBudget;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { config, stateful, stateless } = props;
    const name = `crm-${config.stage}`;

    // --- where notifications go -------------------------------------------------------------
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      topicName: `${name}-alarms`,
      displayName: `CRM ${config.stage} alarms`,
      enforceSSL: true,
    });
    // A topic policy replaces SNS's default one, which let the account's own services publish:
    // CloudWatch (alarms) and Budgets must now be named, each only for this account.
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: {
            'aws:SourceArn': this.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'BudgetsPublish',
        principals: [new iam.ServicePrincipal('budgets.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: { 'aws:SourceArn': `arn:${this.partition}:budgets::${this.account}:*` },
        },
      }),
    );
    // Not KMS-encrypted: notifications carry alarm names, metric values and cost figures, no
    // customer data, and CloudWatch cannot publish to a topic under the AWS-managed key.
    const mail = this.alarmTopic.addSubscription(new EmailSubscription(config.alarms.email));
    acknowledge(mail, {
      id: 'Serverless-SNSRedrivePolicy',
      reason:
        "The only subscription is the operators' e-mail: a notification it could not deliver would sit in a queue nobody is told about, while the alarm itself stays in ALARM in CloudWatch and on the dashboard, which is the record to act on.",
    });
    const notify = new SnsAction(this.alarmTopic);

    // --- alarms, from what the other stacks hold ---------------------------------------------
    const alarms = new Map<AlarmKind, cloudwatch.Alarm[]>(ALARM_KINDS.map((kind) => [kind, []]));
    // Named "crm-<stage>-<kind>[-<subject>]", which is what the e-mail's subject shows.
    const add = (kind: AlarmKind, subject: string | undefined, props: AlarmSpec): void => {
      const id = subject === undefined ? kind : `${kind}-${subject}`;
      const alarm = new cloudwatch.Alarm(this, id, {
        alarmName: `${name}-${id}`,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No data is no trouble: most of these metrics are published only when non-zero.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...props,
        alarmDescription: `${props.alarmDescription} See README, "Operating".`,
      });
      // OK too: the mail that says it cleared closes the incident.
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
      alarms.get(kind)!.push(alarm);
    };

    const queues = deadLetterQueues([stateful, stateless]);
    for (const queue of queues) {
      const label = queueLabel(queue, config.stage);
      // Maximum, threshold 1: a DLQ is empty when all is well; one message is one event (or
      // a pointer to a batch) that every retry failed on. It stays in ALARM until emptied.
      add('dlq-depth', label, {
        metric: queue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: PERIOD }),
        threshold: 1,
        alarmDescription: `Dead-letter queue ${label} holds messages: events failed every retry and wait to be redriven.`,
      });
    }

    // Both stacks: the cursor key rotation function lives beside its secret.
    const functions = crmFunctions([stateful, stateless]);
    for (const fn of functions) {
      const label = functionLabel(fn);
      // Errors >= 1 in 5 min: HTTP handlers turn every expected failure into a problem
      // response, so a Lambda error is a crash, a timeout or an init failure; for consumers it
      // is an event that will be retried. A small team's traffic makes one of them a signal.
      add('function-errors', label, {
        metric: fn.metricErrors({ statistic: cloudwatch.Stats.SUM, period: PERIOD }),
        threshold: 1,
        alarmDescription: `Lambda ${label} failed (uncaught error, timeout or init failure).`,
      });
      // Throttles >= 1: the account's concurrency (as low as 10 on a new account) ran out, so
      // requests were refused or events delayed; the fix is a quota raise, not a retry.
      add('function-throttles', label, {
        metric: fn.metricThrottles({ statistic: cloudwatch.Stats.SUM, period: PERIOD }),
        threshold: 1,
        alarmDescription: `Lambda ${label} was throttled: the account ran out of concurrency.`,
      });
      if (isKind(fn, ASYNC_KINDS)) {
        // AsyncEventsDropped >= 1: Lambda gave up on an event (retries or event age spent). It
        // went to the on-failure destination if there is one, else it is gone.
        add('async-events-dropped', label, {
          metric: fn.metric('AsyncEventsDropped', { statistic: cloudwatch.Stats.SUM, period: PERIOD }),
          threshold: 1,
          alarmDescription: `Lambda ${label} dropped asynchronous events after its retries.`,
        });
      }
      if (isKind(fn, DESTINATION_KINDS)) {
        // DestinationDeliveryFailures >= 1: a failed event could not even be parked (queue
        // policy, size, deleted queue): the one case where an event is lost for good.
        add('destination-delivery-failures', label, {
          metric: fn.metric('DestinationDeliveryFailures', { statistic: cloudwatch.Stats.SUM, period: PERIOD }),
          threshold: 1,
          alarmDescription: `Lambda ${label} could not deliver a failed event to its on-failure destination: that event is lost.`,
        });
      }
    }

    // IteratorAge (Maximum) >= 5 min: with no batching window an outbox item reaches the bus
    // within a second; minutes of lag mean the publisher is failing or throttled. The stream
    // keeps records 24 h, so acting within hours loses nothing.
    const publisher = stateless.outboxPublisher;
    add('iterator-age', functionLabel(publisher), {
      metric: publisher.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, period: PERIOD }),
      threshold: ITERATOR_AGE_THRESHOLD.toMilliseconds(),
      alarmDescription: `The table stream's events reach the bus more than ${ITERATOR_AGE_THRESHOLD.toMinutes()} minutes late.`,
    });

    // 5xx share >= 5 % of at least 10 requests in 5 min: 5xx is our fault (500 from a handler,
    // 502 from a crash, 503/504 from a timeout); below 10 requests one error is noise that the
    // per-function Errors alarm reports anyway.
    const api = stateless.httpApi;
    const apiRequests = api.metricCount({ statistic: cloudwatch.Stats.SUM, period: PERIOD });
    const apiServerErrors = api.metricServerError({ statistic: cloudwatch.Stats.SUM, period: PERIOD });
    const api5xxRate = new cloudwatch.MathExpression({
      expression: `IF(requests >= ${API_5XX_MIN_REQUESTS}, 100 * FILL(errors, 0) / requests, 0)`,
      usingMetrics: { requests: apiRequests, errors: apiServerErrors },
      label: 'API 5xx (% of requests)',
      period: PERIOD,
    });
    add('api-5xx-rate', undefined, {
      metric: api5xxRate,
      threshold: API_5XX_RATE_PERCENT,
      alarmDescription: `More than ${API_5XX_RATE_PERCENT}% of API requests answered 5xx in five minutes.`,
    });

    // FailedInvocations >= 1 per rule: EventBridge gave up delivering an event to the consumer
    // (8 retries over 6 h spent, or a permanent error such as a missing permission).
    for (const [ruleName, rule] of stateless.busRules) {
      add('rule-failed-invocations', ruleName, {
        metric: new cloudwatch.Metric({
          namespace: 'AWS/Events',
          metricName: 'FailedInvocations',
          // Rules on a custom bus publish under both dimensions.
          dimensionsMap: { EventBusName: stateful.bus.eventBusName, RuleName: rule.ruleName },
          statistic: cloudwatch.Stats.SUM,
          period: PERIOD,
        }),
        threshold: 1,
        alarmDescription: `Bus rule ${ruleName} could not deliver events to its consumer.`,
      });
    }
    this.alarms = alarms;

    // --- dashboard -----------------------------------------------------------------------------
    const everyFunction = (title: string, metric: (fn: lambda.Function) => cloudwatch.IMetric): cloudwatch.GraphWidget =>
      new cloudwatch.GraphWidget({
        title,
        width: 8,
        height: 6,
        left: functions.map(metric),
        legendPosition: cloudwatch.LegendPosition.RIGHT,
      });
    const sum = { statistic: cloudwatch.Stats.SUM, period: PERIOD };
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: name,
      defaultInterval: Duration.hours(24),
      widgets: [
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            width: 24,
            height: 4,
            alarms: [...alarms.values()].flat(),
            sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'API requests',
            width: 8,
            left: [apiRequests, api.metricClientError(sum), apiServerErrors],
          }),
          new cloudwatch.GraphWidget({
            title: 'API latency (ms)',
            width: 8,
            left: [cloudwatch.Stats.p(50), cloudwatch.Stats.p(90), cloudwatch.Stats.p(99)].map((statistic) =>
              api.metricLatency({ statistic, period: PERIOD }),
            ),
          }),
          new cloudwatch.GraphWidget({
            title: 'API 5xx (% of requests)',
            width: 8,
            left: [api5xxRate],
            leftAnnotations: [{ value: API_5XX_RATE_PERCENT, label: 'alarm' }],
          }),
        ],
        [
          everyFunction('Errors by function', (fn) => fn.metricErrors({ ...sum, label: functionLabel(fn) })),
          everyFunction('Duration p99 by function (ms)', (fn) =>
            fn.metricDuration({ statistic: cloudwatch.Stats.p(99), period: PERIOD, label: functionLabel(fn) }),
          ),
          everyFunction('Throttles by function', (fn) => fn.metricThrottles({ ...sum, label: functionLabel(fn) })),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Outbox publisher iterator age (ms)',
            width: 8,
            left: [publisher.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, period: PERIOD })],
            leftAnnotations: [{ value: ITERATOR_AGE_THRESHOLD.toMilliseconds(), label: 'alarm' }],
          }),
          new cloudwatch.GraphWidget({
            title: 'Dead-letter queue depth',
            width: 8,
            left: queues.map((queue) =>
              queue.metricApproximateNumberOfMessagesVisible({
                statistic: cloudwatch.Stats.MAXIMUM,
                period: PERIOD,
                label: queueLabel(queue, config.stage),
              }),
            ),
          }),
          new cloudwatch.GraphWidget({
            title: 'Async events dropped, bus deliveries failed',
            width: 8,
            left: [
              ...functions
                .filter((fn) => isKind(fn, ASYNC_KINDS))
                .map((fn) => fn.metric('AsyncEventsDropped', { ...sum, label: `${functionLabel(fn)} dropped` })),
              ...[...stateless.busRules].map(
                ([ruleName, rule]) =>
                  new cloudwatch.Metric({
                    namespace: 'AWS/Events',
                    metricName: 'FailedInvocations',
                    dimensionsMap: { EventBusName: stateful.bus.eventBusName, RuleName: rule.ruleName },
                    ...sum,
                    label: `${ruleName} rule failed`,
                  }),
              ),
            ],
          }),
        ],
      ],
    });

    // --- cost -------------------------------------------------------------------------------------
    // The whole account's cost, not only this app's: a per-app budget needs cost allocation tags
    // activated by hand in Billing, and a denial-of-wallet (review M4) shows in either. Budgets
    // updates its figures a few times a day, so this is a daily guard, not a real-time one.
    this.budget = new budgets.CfnBudget(this, 'MonthlyBudget', {
      budget: {
        budgetName: `${name}-monthly-cost`,
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: config.alarms.monthly_budget_usd, unit: 'USD' },
      },
      // Actual spend over the amount, and a forecast over it (Budgets forecasts once it has a
      // few weeks of history): the second warns before the money is spent.
      notificationsWithSubscribers: (['ACTUAL', 'FORECASTED'] as const).map((notificationType) => ({
        notification: { notificationType, comparisonOperator: 'GREATER_THAN', threshold: 100, thresholdType: 'PERCENTAGE' },
        subscribers: [{ subscriptionType: 'SNS', address: this.alarmTopic.topicArn }],
      })),
    });
    // Budgets checks that it may publish when the budget is created.
    this.budget.node.addDependency(this.alarmTopic);
  }
}

/**
 * Every Lambda function in the given stacks. All CRM functions are CrmFunctions, but any other
 * (a CDK provider, say) is watched too.
 */
export function crmFunctions(scopes: readonly IConstruct[]): lambda.Function[] {
  return scopes.flatMap((scope) =>
    scope.node.findAll().filter((node): node is lambda.Function => node instanceof lambda.Function),
  );
}

/**
 * The dead-letter queues in the given stacks: every queue with no dead-letter queue of its own.
 * A work queue without one is refused by cdk-nag (AwsSolutions-SQS3) unless acknowledged as a
 * DLQ, so the two sets are the same.
 */
export function deadLetterQueues(scopes: readonly IConstruct[]): sqs.Queue[] {
  return scopes.flatMap((scope) =>
    scope.node.findAll().filter((node): node is sqs.Queue => node instanceof sqs.Queue && node.deadLetterQueue === undefined),
  );
}

/** The registry kind of a CrmFunction; undefined for any other function. */
export function functionKind(fn: lambda.Function): FunctionKind | undefined {
  return (fn as { spec?: { kind?: FunctionKind } }).spec?.kind;
}

function isKind(fn: lambda.Function, kinds: ReadonlySet<FunctionKind>): boolean {
  const kind = functionKind(fn);
  return kind !== undefined && kinds.has(kind);
}

/** The registry name of a CrmFunction ("deals", "outbox-publisher"), else its construct id. */
export function functionLabel(fn: lambda.Function): string {
  return (fn as { spec?: { name?: string } }).spec?.name ?? fn.node.id;
}

/** A queue's literal name without its "crm-<stage>-" prefix ("dlq", "bus-rules-dlq"), else its construct id. */
export function queueLabel(queue: sqs.Queue, stage: string): string {
  const literal = (queue.node.defaultChild as sqs.CfnQueue).queueName;
  const prefix = `crm-${stage}-`;
  return typeof literal === 'string' && literal.startsWith(prefix) ? literal.slice(prefix.length) : queue.node.id;
}
