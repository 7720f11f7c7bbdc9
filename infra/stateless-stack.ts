import { CfnOutput, CustomResource, Duration, Lazy, NestedStack, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpLambdaIntegration, WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  HttpLambdaAuthorizer,
  HttpLambdaResponseType,
  WebSocketLambdaAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { LambdaFunction, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import { outboxStreamFilter } from '#shared/platform/dynamodb/table-spec.ts';
import { routeKey, type AnyRoute } from '#shared/platform/http/contract.ts';
import { allRoutes } from '#shared/families.ts';
import { LIVE_TICKET_PARAMETER } from '#shared/live/domain.ts';
import type { CrmConfig } from '#infra/config/schema.ts';
import { CrmFunction, type CrmResources } from '#infra/constructs/crm-function.ts';
import {
  bootstrapFunction,
  DEFAULT_ROUTE_FAMILY,
  eventFunctions,
  EXTERNAL_CALENDARS_SCHEDULE,
  MAILBOX_POLL_SCHEDULE,
  functionSpecs,
  scheduledFunctions,
  httpFunctions,
  liveAuthorizerFunction,
  apiAuthorizerFunction,
  liveConnectionsFunction,
  outboxPublisher,
  type FunctionSpec,
} from '#infra/functions.ts';
import { busRules, ruleEventPattern } from '#infra/rules.ts';
import { AUTOMATIONS_TARGET } from '#infra/automations.ts';
import { MAIL_SENDER_CONCURRENCY } from '#shared/mail/domain.ts';
import { acknowledge } from '#infra/nag.ts';
import {
  accessLogGroupName,
  onFailureQueueName,
  queueRuleName,
  WORK_QUEUES,
  type StatefulStack,
  type WorkQueueKey,
} from '#infra/stateful-stack.ts';

// The functions and the HTTP API: everything here can be destroyed and redeployed without
// losing data. Routes come from the route contracts, one API Gateway route per contract.

export interface StatelessStackProps extends StackProps {
  readonly config: CrmConfig;
  readonly stateful: StatefulStack;
  /**
   * Browser origins allowed by CORS; by default the config's `api.cors_allow_origins`. The API
   * takes bearer tokens, never cookies, so "*" lets no other site act as a signed-in user.
   */
  readonly corsAllowOrigins?: readonly string[];
}

/**
 * Public routes (no token: /health, /openapi.json, $default) are throttled per route well below
 * the stage default, so a scanner or a loop costs cents, not the month's budget.
 */
export const PUBLIC_ROUTE_THROTTLE = { rateLimit: 5, burstLimit: 10 } as const;

/** The live notifications WebSocket API's stage: wss://<api>.execute-api.<region>.amazonaws.com/live. */
export const LIVE_STAGE_NAME = 'live';
/**
 * Import workers at once (the event source's maximum concurrency, Lambda's minimum being 2):
 * the records of a kind share index partitions, and interactive writes come first.
 */
export const IMPORT_WORKER_CONCURRENCY = 2;
/** Bulk workers at once (Lambda's minimum): records of a kind share index partitions. */
export const BULK_WORKER_CONCURRENCY = 2;
/** Export workers at once (Lambda's minimum maximum concurrency): an export reads the table a page at a time. */
export const EXPORT_WORKER_CONCURRENCY = 2;

/** Sell import workers at once (Lambda's minimum maximum concurrency); one import's slices never overlap (its lease). */
export const SELL_IMPORT_WORKER_CONCURRENCY = 2;

/** Request headers the API reads (X4 idempotency, If-Match versions, correlation ids). */
/** How long API Gateway keeps an authorizer answer per Authorization header (revocation delay). */
export const API_AUTHORIZER_CACHE_SECONDS = 60;

const CORS_ALLOW_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'if-match', 'x-correlation-id'];
const CORS_EXPOSE_HEADERS = ['etag', 'location', 'x-correlation-id'];

export class StatelessStack extends Stack {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly apiAuthorizer: HttpLambdaAuthorizer;
  readonly httpFunctions: ReadonlyMap<string, CrmFunction>;
  readonly outboxPublisher: CrmFunction;
  readonly routes: ReadonlyMap<string, apigwv2.HttpRoute>;
  /** The nested stack of the HTTP API's routes, integrations and invoke permissions (not the API, stage or authorizer). */
  readonly httpRoutesStack: NestedStack;
  readonly eventFunctions: ReadonlyMap<string, CrmFunction>;
  readonly busRules: ReadonlyMap<string, events.Rule>;
  /** Each bus consumer's on-failure destination, by function name. */
  readonly onFailureQueues: ReadonlyMap<string, sqs.IQueue>;
  /**
   * The work queues (mail, imports, bulk operations, exports) as this stack names them: they
   * live in the stateful stack (StatefulStack.workQueues), each drained by its queue function here.
   */
  readonly workQueues: Readonly<Record<WorkQueueKey, sqs.IQueue>>;
  /** Every function of the registry, by name. */
  readonly functions: ReadonlyMap<string, CrmFunction>;
  readonly bootstrapFunction: CrmFunction;
  /** The live notifications WebSocket API (README "Live notifications"). */
  readonly webSocketApi: apigwv2.WebSocketApi;
  readonly webSocketStage: apigwv2.WebSocketStage;
  /** The role EventBridge Scheduler assumes to invoke the reminders function and to use its DLQ. */
  readonly schedulerTargetRole: iam.Role;
  /** Reminders Scheduler could not deliver (after its retry policy): the stateful stack's, named by ARN. */
  readonly reminderDeadLetterQueue: sqs.IQueue;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, stateful } = props;
    const origins = [...(props.corsAllowOrigins ?? config.api.cors_allow_origins)];
    const functionDefaults = { stage: config.stage, logRetentionDays: config.log_retention_days };

    // --- live notifications WebSocket API (its routes come with the functions below) --------
    // Made first: the functions that push are given its stage's management endpoint.
    this.webSocketApi = new apigwv2.WebSocketApi(this, 'LiveWebSocketApi', {
      apiName: `crm-${config.stage}-live`,
      description: `Live notifications of the CRM of ${config.account.company_name}`,
      // The body's "action" picks no route: $default answers the only message, the ping.
      routeSelectionExpression: '$request.body.action',
    });
    const liveAccessLogs = logs.LogGroup.fromLogGroupName(this, 'LiveAccessLogs', accessLogGroupName(config.stage, 'live'));
    this.webSocketStage = new apigwv2.WebSocketStage(this, 'LiveStage', {
      webSocketApi: this.webSocketApi,
      stageName: LIVE_STAGE_NAME,
      autoDeploy: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(liveAccessLogs),
        // Never the query string: it holds the (single-use) ticket.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            routeKey: '$context.routeKey',
            eventType: '$context.eventType',
            connectionId: '$context.connectionId',
            status: '$context.status',
            error: '$context.error.message',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            userId: '$context.authorizer.principalId',
          }),
        ),
      },
    });
    // --- reminders' Scheduler target ----------------------------------------------------------
    // Schedules name the reminders function, this role and this DLQ (shared/platform/scheduler.ts);
    // the role may invoke that one function and send to that one queue, and only Scheduler of
    // this account may assume it.
    const reminderTarget = scheduledFunctions.find((spec) => spec.name === 'reminders');
    if (!reminderTarget) throw new Error('infra/functions.ts lists no "reminders" function (the reminder schedules\' target)');
    // The function itself is made below with the others: its ARN is read when the template is.
    const reminderTargetArn = Lazy.string({ produce: () => all.get(reminderTarget.name)!.functionArn });
    this.schedulerTargetRole = new iam.Role(this, 'SchedulerTargetRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
      description: `Assumed by EventBridge Scheduler to invoke crm-${config.stage}-${reminderTarget.name}`,
    });
    // A queue of the stateful stack (it holds what Scheduler failed to deliver), named by ARN.
    this.reminderDeadLetterQueue = this.#statefulQueue('ReminderDeadLetterQueue', stateful.reminderDeadLetterQueueName);
    this.reminderDeadLetterQueue.grantSendMessages(this.schedulerTargetRole);

    // --- the work queues --------------------------------------------------------------------------
    // In the stateful stack (messages in flight are data); named here by ARN, so the stacks share
    // no export: the event source mappings and the functions' grants name them.
    this.workQueues = Object.fromEntries(
      (Object.keys(WORK_QUEUES) as WorkQueueKey[]).map((key) => {
        const made = stateful.workQueues[key];
        return [key, this.#statefulQueue(pascal(`${made.spec.name}-queue`), made.queueName)];
      }),
    ) as Record<WorkQueueKey, sqs.IQueue>;

    // --- functions -------------------------------------------------------------------------
    // One per registry entry; each gets the variables and grants its needs declare, on these.
    const resources: CrmResources = {
      statefulLogGroups: stateful.functionLogGroups,
      importQueue: this.workQueues.imports,
      bulkQueue: this.workQueues.bulk,
      exportQueue: this.workQueues.exports,
      sellImportQueue: this.workQueues.sellImports,
      webSocketStage: this.webSocketStage,
      table: stateful.table,
      bus: stateful.bus,
      cursorSecret: stateful.cursorSecret,
      voiceSecret: stateful.voiceSecret,
      credentialsKey: stateful.credentialsKey,
      userPool: stateful.userPool,
      userPoolClientId: stateful.userPoolClient.userPoolClientId,
      scheduleGroupName: stateful.scheduleGroupName,
      schedulerTargetRole: this.schedulerTargetRole,
      reminderTargetArn,
      reminderDeadLetterQueue: this.reminderDeadLetterQueue,
      configurationSet: stateful.configurationSet,
      filesBucketName: stateful.filesBucketName,
      config,
      corsAllowOrigins: origins,
    };
    const all = new Map<string, CrmFunction>();
    // A rotation function lives beside its secret, in the stateful stack.
    for (const spec of functionSpecs.filter((s) => s.kind !== 'rotation')) {
      all.set(spec.name, new CrmFunction(this, pascal(`${spec.name}-function`), { ...functionDefaults, spec, resources }));
    }
    this.functions = all;
    const pick = (spec: FunctionSpec) => all.get(spec.name)!;
    this.httpFunctions = new Map(httpFunctions.map((spec) => [spec.name, pick(spec)]));
    const defaultFunction = this.httpFunctions.get(DEFAULT_ROUTE_FAMILY);
    if (!defaultFunction) throw new Error(`no route has family "${DEFAULT_ROUTE_FAMILY}", which serves the $default route`);

    this.outboxPublisher = pick(outboxPublisher);
    this.outboxPublisher.addEventSource(
      new DynamoEventSource(stateful.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        // Only new outbox items wake the publisher; every other change is dropped by Lambda.
        filters: [lambda.FilterCriteria.filter(outboxStreamFilter)],
        batchSize: 100,
        // No batching window: an event should reach its rules within a second (bench: event lag).
        maxBatchingWindow: Duration.seconds(0),
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: 10,
        // The stream keeps records 24 h; past that they are gone anyway, so give up there and
        // leave a pointer to the batch in the DLQ (the outbox items stay in the table until TTL).
        maxRecordAge: Duration.hours(24),
        onFailure: new SqsDlq(stateful.deadLetterQueue),
      }),
    );
    acknowledge(this.outboxPublisher.executionRole, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Reading the table stream: dynamodb:ListStreams supports no resource-level permissions; X-Ray writes (PutTraceSegments, PutTelemetryRecords) neither.',
    });

    // Scheduler's invocations of the reminders function (the target's only caller), unqualified
    // as schedules name it: no "<arn>:*" for versions and aliases.
    this.schedulerTargetRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: scheduledFunctions.map((spec) => pick(spec).functionArn),
      }),
    );

    // The external calendars' refresh: a recurring schedule (default group: the reminders' group
    // holds one-time schedules only), invoking through the same role, failures to the same DLQ.
    const refresh = all.get(EXTERNAL_CALENDARS_SCHEDULE.target);
    if (!refresh) throw new Error(`infra/functions.ts lists no "${EXTERNAL_CALENDARS_SCHEDULE.target}" function`);
    new CfnSchedule(this, 'ExternalCalendarsSchedule', {
      name: `crm-${config.stage}-external-calendars`,
      description: "Refreshes users' external ICS calendars",
      scheduleExpression: EXTERNAL_CALENDARS_SCHEDULE.rate,
      flexibleTimeWindow: { mode: 'FLEXIBLE', maximumWindowInMinutes: 15 },
      target: {
        arn: refresh.functionArn,
        roleArn: this.schedulerTargetRole.roleArn,
        input: JSON.stringify(EXTERNAL_CALENDARS_SCHEDULE.input),
        retryPolicy: { maximumRetryAttempts: 1, maximumEventAgeInSeconds: 900 },
        deadLetterConfig: { arn: this.reminderDeadLetterQueue.queueArn },
      },
    });

    // The connected mailboxes' poll: the same kind of recurring schedule.
    const poll = all.get(MAILBOX_POLL_SCHEDULE.target);
    if (!poll) throw new Error(`infra/functions.ts lists no "${MAILBOX_POLL_SCHEDULE.target}" function`);
    new CfnSchedule(this, 'MailboxPollSchedule', {
      name: `crm-${config.stage}-mailbox-poll`,
      description: "Polls users' connected IMAP mailboxes",
      scheduleExpression: MAILBOX_POLL_SCHEDULE.rate,
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: poll.functionArn,
        roleArn: this.schedulerTargetRole.roleArn,
        input: JSON.stringify(MAILBOX_POLL_SCHEDULE.input),
        retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 300 },
        deadLetterConfig: { arn: this.reminderDeadLetterQueue.queueArn },
      },
    });

    // --- bus consumers -----------------------------------------------------------------------
    const consumers = new Map(eventFunctions.map((spec) => [spec.name, pick(spec)]));
    this.eventFunctions = consumers;
    // What a consumer still fails after Lambda's async retries goes to its own queue (the
    // rule's DLQ below only catches events EventBridge could not hand to Lambda at all):
    // `npm run redrive -- --queue <name>` replays it, and the monitoring stack alarms on depth.
    // The queues live in the stateful stack (they hold failed events); named here by ARN, so
    // the stacks share no CloudFormation export.
    const onFailureQueues = new Map<string, sqs.IQueue>();
    // Scheduler invokes its targets asynchronously too: the same destination.
    const asyncTargets = new Map([...consumers, ...scheduledFunctions.map((spec) => [spec.name, pick(spec)] as const)]);
    for (const [name, fn] of asyncTargets) {
      const queueName = onFailureQueueName(config.stage, name);
      if (!stateful.onFailureQueues.has(name)) throw new Error(`the stateful stack has no on-failure queue for ${name}`);
      const queue = sqs.Queue.fromQueueAttributes(this, pascal(`${name}-on-failure-queue`), {
        queueName,
        queueArn: this.formatArn({ service: 'sqs', resource: queueName }),
      });
      fn.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(6), onFailure: new SqsDestination(queue) });
      onFailureQueues.set(name, queue);
    }
    this.onFailureQueues = onFailureQueues;
    // Bus rules' failed deliveries: a queue in this stack, since its policy names the rules
    // (a queue in the stateful stack would make the two stacks depend on each other).
    const ruleDlq = new sqs.Queue(this, 'BusRulesDeadLetterQueue', {
      queueName: `crm-${config.stage}-bus-rules-dlq`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(ruleDlq, {
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the bus rule targets; a DLQ of a DLQ would only move the problem.',
    });
    // --- the work queues' consumers ------------------------------------------------------------
    // The mail-sender takes batches of 10 at the SES rate (MAIL_SENDER_CONCURRENCY workers, each
    // paced); the import, bulk and export workers one message (a plan, a batch, a slice) at a time.
    const drains: Record<WorkQueueKey, { batchSize: number; maxConcurrency: number }> = {
      mail: { batchSize: 10, maxConcurrency: MAIL_SENDER_CONCURRENCY },
      imports: { batchSize: 1, maxConcurrency: IMPORT_WORKER_CONCURRENCY },
      bulk: { batchSize: 1, maxConcurrency: BULK_WORKER_CONCURRENCY },
      exports: { batchSize: 1, maxConcurrency: EXPORT_WORKER_CONCURRENCY },
      sellImports: { batchSize: 1, maxConcurrency: SELL_IMPORT_WORKER_CONCURRENCY },
    };
    for (const key of Object.keys(WORK_QUEUES) as WorkQueueKey[]) {
      const worker = pick(WORK_QUEUES[key].consumer);
      worker.addEventSource(
        new SqsEventSource(this.workQueues[key], {
          ...drains[key],
          maxBatchingWindow: Duration.seconds(0),
          reportBatchItemFailures: true,
        }),
      );
      for (const mapping of worker.node.children.filter((c) => c instanceof lambda.EventSourceMapping)) {
        acknowledge(mapping, {
          id: 'Serverless-LambdaEventSourceMappingDestination',
          reason:
            "SQS event source mappings take no on-failure destination: a message failing its receives moves to the queue's own dead-letter queue (its redrive policy), which the monitoring stack alarms on.",
        });
      }
    }

    const rules = new Map<string, events.Rule>();
    // Automated actions (a rule and a Lambda permission each, up to max_automation_rules) go in
    // a nested stack: its resources count toward its own 500, not this stack's, which the
    // functions half fill (the routes have a nested stack of their own, below).
    let automations: NestedStack | undefined;
    const scopeOf = (rule: { target: string }) =>
      rule.target === AUTOMATIONS_TARGET
        ? (automations ??= new NestedStack(this, 'Automations', {
            description: `CRM (${config.stage}): the bus rules of the configured automated actions`,
          }))
        : this;
    // A rule "via" a queue targets the work queue its target function drains.
    const queueOf = (consumer: string) =>
      (Object.keys(WORK_QUEUES) as WorkQueueKey[]).find((key) => WORK_QUEUES[key].consumer.name === consumer);
    for (const rule of busRules(config)) {
      const target = rule.via === 'queue' ? undefined : consumers.get(rule.target);
      if (!target && rule.via !== 'queue')
        throw new Error(`bus rule ${rule.name} targets ${rule.target}, which infra/functions.ts does not list`);
      const queue = rule.via === 'queue' ? queueOf(rule.target) : undefined;
      if (rule.via === 'queue' && !queue)
        throw new Error(`bus rule ${rule.name} targets the queue of ${rule.target}, which drains none`);
      // Async delivery is at least once; what still fails after the retries is kept.
      const delivery = { deadLetterQueue: ruleDlq, retryAttempts: 8, maxEventAge: Duration.hours(6) };
      const busRule = new events.Rule(scopeOf(rule), pascal(`${rule.name}-rule`), {
        // AWS services (S3) publish to the account's default bus only.
        ...(rule.bus === 'default' ? {} : { eventBus: stateful.bus }),
        // A queue's policy (stateful stack) names the rule: a fixed name, not CloudFormation's.
        ...(queue ? { ruleName: queueRuleName(config.stage, rule.name) } : {}),
        description: rule.description,
        eventPattern: toCdkPattern(ruleEventPattern(rule, { filesBucketName: stateful.filesBucketName })),
        targets: [target ? new LambdaFunction(target, delivery) : new SqsQueue(this.workQueues[queue!], delivery)],
      });
      // The transformer exactly as declared (the local bus applies the same one).
      if (rule.input) {
        (busRule.node.defaultChild as events.CfnRule).addPropertyOverride('Targets.0.InputTransformer', rule.input);
      }
      rules.set(rule.name, busRule);
    }
    this.busRules = rules;

    // --- live notifications WebSocket routes ---------------------------------------------------
    // $connect only with a ticket (the authorizer redeems it; API Gateway answers 401 without
    // the parameter); $disconnect and $default follow on an authorized connection (API Gateway
    // authorizes a WebSocket at $connect only). $default answers the ping through its route
    // response.
    const liveConnections = pick(liveConnectionsFunction);
    const liveRoutes = {
      connect: this.webSocketApi.addRoute('$connect', {
        integration: new WebSocketLambdaIntegration('LiveConnectIntegration', liveConnections),
        authorizer: new WebSocketLambdaAuthorizer('LiveTicketAuthorizer', pick(liveAuthorizerFunction), {
          authorizerName: 'live-ticket',
          identitySource: [`route.request.querystring.${LIVE_TICKET_PARAMETER}`],
        }),
      }),
      disconnect: this.webSocketApi.addRoute('$disconnect', {
        integration: new WebSocketLambdaIntegration('LiveDisconnectIntegration', liveConnections),
      }),
      default: this.webSocketApi.addRoute('$default', {
        integration: new WebSocketLambdaIntegration('LiveDefaultIntegration', liveConnections),
        returnResponse: true,
      }),
    };
    for (const [name, route] of Object.entries({ disconnect: liveRoutes.disconnect, default: liveRoutes.default })) {
      acknowledge(route, {
        id: 'AwsSolutions-APIG4',
        reason: `$${name} runs on a connection its $connect authorizer accepted (a single-use ticket): API Gateway authorizes a WebSocket connection at $connect only, and no other route takes an authorizer.`,
      });
    }

    // --- bootstrap after each deploy ---------------------------------------------------------
    // Invites the first admin from the config when the company has none; runs once the bus
    // rules and the publisher exist, so its user.created reaches the directory sync.
    const bootstrap = pick(bootstrapFunction);
    this.bootstrapFunction = bootstrap;
    const run = new CustomResource(this, 'Bootstrap', {
      serviceToken: bootstrap.functionArn,
      resourceType: 'Custom::CrmBootstrap',
      // CloudFormation's default is an hour: a bootstrap that crashes or times out (Lambda
      // retries async invocations twice) would hold the stack that long before rolling back.
      serviceTimeout: Duration.minutes(5),
      // A new value re-runs it: the config's first admin, or new bootstrap code.
      properties: {
        firstAdmin: config.first_admin,
        defaultPipeline: config.default_pipeline,
        code: bootstrap.currentVersion.version,
      },
    });
    for (const dependency of [...rules.values(), this.outboxPublisher, ...consumers.values()]) run.node.addDependency(dependency);

    // --- HTTP API ----------------------------------------------------------------------------
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `crm-${config.stage}`,
      description: `CRM API of ${config.account.company_name}`,
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: origins,
        allowMethods: [apigwv2.CorsHttpMethod.ANY],
        allowHeaders: CORS_ALLOW_HEADERS,
        exposeHeaders: CORS_EXPOSE_HEADERS,
        maxAge: Duration.hours(1),
      },
    });

    // In the stateful stack (retained with the data): named here, not exported.
    const accessLogs = logs.LogGroup.fromLogGroupName(this, 'AccessLogs', accessLogGroupName(config.stage, 'http'));
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            routeKey: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            userId: '$context.authorizer.user_id',
          }),
        ),
      },
    });

    // One Lambda authorizer for Cognito tokens and personal access tokens (issue 17): the JWT
    // authorizer API Gateway offers cannot accept a token that is not a JWT. Its answer is cached
    // per Authorization header for API_AUTHORIZER_CACHE_SECONDS: a revoked personal access token
    // stops working within that time (the user record, read on every call, stays immediate).
    this.apiAuthorizer = new HttpLambdaAuthorizer('ApiAuthorizer', pick(apiAuthorizerFunction), {
      authorizerName: 'crm-bearer',
      identitySource: ['$request.header.Authorization'],
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      resultsCacheTtl: Duration.seconds(API_AUTHORIZER_CACHE_SECONDS),
    });
    const authorizer = this.apiAuthorizer;

    const integrations = new Map<CrmFunction, HttpLambdaIntegration>();
    const integrationOf = (fn: CrmFunction): HttpLambdaIntegration => {
      let integration = integrations.get(fn);
      if (!integration) {
        // One invoke permission per function for the whole API, not one per route: a family
        // with dozens of routes would otherwise grow the function's resource policy past its
        // 20 KB limit.
        integration = new HttpLambdaIntegration(`${fn.node.id}Integration`, fn, {
          payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
          scopePermissionToRoute: false,
        });
        integrations.set(fn, integration);
      }
      return integration;
    };

    // The routes (one per contract), their integrations (one per function) and the functions'
    // invoke permissions live in a nested stack: they count toward its own 500 resources, not
    // this stack's, which the functions fill. CDK puts an integration and its permission under
    // the route that first uses it, so all three kinds land there; the API, its stage and the
    // authorizer (made under the API) stay here, handed to the nested stack as parameters.
    // With the shipped config it holds 245 (191 routes); test/infra/stacks.infra.test.ts keeps it
    // at 400 at most: past about 350 routes, split it in two nested stacks by family.
    const routesStack = new NestedStack(this, 'HttpRoutes', {
      description: `CRM (${config.stage}): the HTTP API's routes, their Lambda integrations and invoke permissions`,
    });
    this.httpRoutesStack = routesStack;

    // $default first: the platform integration (and its invoke permission) is created under
    // the first route that uses it, and this route never goes away. Unknown paths reach the
    // platform function, which answers a problem+json 404.
    const routes = new Map<string, apigwv2.HttpRoute>();
    const defaultRoute = new apigwv2.HttpRoute(routesStack, 'Route-default', {
      httpApi: this.httpApi,
      routeKey: apigwv2.HttpRouteKey.DEFAULT,
      integration: integrationOf(defaultFunction),
    });
    acknowledgePublicRoute(defaultRoute, undefined);
    routes.set('$default', defaultRoute);
    for (const contract of allRoutes) {
      const fn = this.httpFunctions.get(contract.family);
      if (!fn) throw new Error(`route ${contract.id} names family "${contract.family}", which has no function`);
      const route = new apigwv2.HttpRoute(routesStack, `Route-${contract.id}`, {
        httpApi: this.httpApi,
        routeKey: apigwv2.HttpRouteKey.with(contract.path, apigwv2.HttpMethod[contract.method]),
        integration: integrationOf(fn),
        ...(contract.access === 'public' ? {} : { authorizer }),
      });
      if (contract.access === 'public') acknowledgePublicRoute(route, contract);
      routes.set(routeKey(contract), route);
    }
    this.routes = routes;

    // Route-level throttles of the public routes (the L2 stage has no route settings). The
    // stage names the routes by key, so CloudFormation must create them first.
    const publicRoutes = ['$default', ...allRoutes.filter((c) => c.access === 'public').map((c) => routeKey(c))];
    const cfnStage = this.stage.node.defaultChild as apigwv2.CfnStage;
    cfnStage.routeSettings = Object.fromEntries(
      publicRoutes.map((key) => [
        key,
        { ThrottlingRateLimit: PUBLIC_ROUTE_THROTTLE.rateLimit, ThrottlingBurstLimit: PUBLIC_ROUTE_THROTTLE.burstLimit },
      ]),
    );
    for (const key of publicRoutes) this.stage.node.addDependency(routes.get(key)!);

    // --- outputs -----------------------------------------------------------------------------
    new CfnOutput(this, 'ApiUrl', { value: this.stage.url, description: 'Base URL of the CRM API' });
    new CfnOutput(this, 'LiveWebSocketUrl', {
      value: this.webSocketStage.url,
      description: 'WebSocket URL of live notifications (open with ?ticket= from POST /notifications/live_ticket)',
    });
    new CfnOutput(this, 'UserPoolId', { value: stateful.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: stateful.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'TableName', { value: stateful.table.tableName });
    new CfnOutput(this, 'EventBusName', { value: stateful.bus.eventBusName });
  }

  /** A queue of the stateful stack by its literal name: an ARN built here, no cross-stack export. */
  #statefulQueue(id: string, queueName: string): sqs.IQueue {
    return sqs.Queue.fromQueueAttributes(this, id, {
      queueName,
      queueArn: this.formatArn({ service: 'sqs', resource: queueName }),
    });
  }
}

function acknowledgePublicRoute(route: apigwv2.HttpRoute, contract: AnyRoute | undefined): void {
  const what = contract
    ? `${routeKey(contract)} is public by its contract (access: "public"): ${contract.summary.toLowerCase()}`
    : '$default answers unknown paths with a problem+json 404 and runs no use case';
  acknowledge(route, { id: 'AwsSolutions-APIG4', reason: `${what}; it must answer without a token.` });
}

function pascal(kebab: string): string {
  return kebab.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

/** Our patterns use EventBridge's own keys; CDK's EventPattern spells the envelope keys in camelCase. */
function toCdkPattern(pattern: Record<string, unknown>): events.EventPattern {
  const renames: Record<string, string> = { 'detail-type': 'detailType' };
  return Object.fromEntries(Object.entries(pattern).map(([key, value]) => [renames[key] ?? key, value])) as events.EventPattern;
}
