import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { APIGatewayProxyResultV2, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import sesLocalModule from 'aws-ses-v2-local';
import { outboxStreamFilter } from '#shared/platform/dynamodb/table-spec.ts';
import { allRoutes } from '#shared/families.ts';
import type { Clock } from '#shared/kernel/ports.ts';
import type { CrmConfig } from '../config/schema.ts';
import { LIVE_TICKET_PARAMETER } from '#shared/live/domain.ts';
import {
  cursorKeyRotationFunction,
  DEFAULT_ROUTE_FAMILY,
  filesCorsOrigins,
  functionSpecs,
  liveAuthorizerFunction,
  apiAuthorizerFunction,
  liveConnectionsFunction,
  outboxPublisher,
  EXTERNAL_CALENDARS_SCHEDULE,
  MAILBOX_POLL_SCHEDULE,
} from '../functions.ts';
import { busRules, ruleEventPattern } from '../rules.ts';
import { startLocalCognito, type LocalCognito } from './cognito.ts';
import { DevAuth, LOCAL_CLIENT_ID, LOCAL_USER_POOL_ID } from './dev-auth.ts';
import { startWebGateway } from './web-gateway.ts';
import type { Role } from '#shared/kernel/roles.ts';
import {
  cursorSecretName,
  voiceSecretName,
  LOCAL_VOICE_AUTH_TOKEN,
  LOCAL_ACCOUNT_ID,
  localEnvironmentValues,
  localCredentialsKeyArn,
  LOCAL_CREDENTIALS_KEY_ID,
  localFunctionEnvironment,
  localFunctionName,
  operatorEnvironment,
  type ServiceEndpoints,
  type LocalFunctionSettings,
} from './environment.ts';
import { ensureTable, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.ts';
import { LocalEventBus, serveLocalBus, type LocalRule, type ReplayReport, type ReplayRequest } from './eventbridge/local-bus.ts';
import type { EventPattern } from '#shared/kernel/event-patterns.ts';
import { startLocalHttp } from './http-server.ts';
import { LocalFunction, LocalFunctions } from './local-function.ts';
import { functionAccessKeyId, type GateDecision } from './iam/gate.ts';
import { startLocalGates, type LocalGates } from './iam/local-gates.ts';
import { startLocalConnect, type LocalConnect } from './connect.ts';
import { functionPolicies, type FunctionPolicy } from './iam/template-policies.ts';
import { freePort } from './ports.ts';
import { synthesizedTemplates, templateResourceNames, type TemplateResourceNames } from './synthesized-app.ts';
import { writeLocalEndpoints } from './endpoints.ts';
import { startLocalSqs, type LocalSqs } from './sqs.ts';
import { ensureLocalBucket, localS3Client, objectCreatedNotifier } from './s3.ts';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { INBOUND_PREFIX } from '#shared/invitations/domain.ts';
import { ensureLocalSecret, startLocalSecretsManager, type LocalSecretsManager } from './secrets-manager.ts';
import { startLocalScheduler, type LocalScheduler } from './scheduler.ts';
import { startLocalSes, type LocalSes } from './ses.ts';
import { startLocalKms } from './kms.ts';
import { SqsPoller } from './sqs-poller.ts';
import type { LocalQueueMapping } from './synthesized-app.ts';
import { StreamPoller } from './stream-poller.ts';
import { startLocalWebSocketApi, type LocalWebSocketApi } from './websocket.ts';

// The whole local cloud in one process: DynamoDB Local (a Java child process), the HTTP API,
// the stream → publisher → bus pipeline, SES, Scheduler and Cognito's admin calls. Each
// function of the registry runs in its own worker thread with only its own environment
// (local-function.ts), built from the same registry entry as in AWS. Least privilege holds too:
// the app is synthesized (synthesized-app.ts), each function signs with its own access key, and
// every local AWS endpoint a function reaches is an IAM gate (iam/local-gates.ts) that checks
// the call against that function's synthesized policy and answers AccessDenied as AWS does.
// Resources are named as the templates name them. `npm start` and the e2e tests both use it.

export interface LocalCloudOptions {
  config: CrmConfig;
  /** Where data survives restarts; undefined keeps everything in memory (tests). */
  dataDir?: string;
  /** Wipe the data folder first. */
  fresh?: boolean;
  /** HTTP port; 0 picks a free one. */
  port?: number;
  sesPort?: number;
  /** The live notifications WebSocket API's port; 0 picks a free one. */
  webSocketPort?: number;
  /** Extra rules on the local bus (tests attach their own targets). */
  extraRules?: LocalRule[];
  /** Runs once when the table was just created (seed users, the default pipeline...). */
  onFreshTable?: (cloud: LocalCloud) => Promise<void>;
  /** Log level and strictness of every function (a developer's settings, not the deployment's). */
  functionSettings?: LocalFunctionSettings;
  /**
   * How the stream mapping retries a failing batch before parking it in its on-failure queue
   * (tests); default as the stack's mapping, 11 attempts with back-off.
   */
  streamRetries?: { maxAttempts?: number; retryDelayMs?: number };
  /**
   * The local Scheduler's clock (tests move it to fire reminders); default the real one, on
   * which it fires within its tick (250 ms) of a reminder's time.
   */
  schedulerClock?: Clock;
  /** Every IAM gate decision (tests); refusals are also logged. */
  onIamDecision?: (decision: GateDecision) => void;
  /**
   * Serve the web app (web-gateway.ts) and let Cognito's stand-in sign users in with one local
   * password; `devUsers` are offered on the sign-in page.
   */
  web?: { distDir: string; port?: number; password: string; devUsers?: () => { email: string; role: string }[] };
  log?: (line: string) => void;
}

/** The local IAM: what the gates check each function's calls against. */
export interface LocalIam {
  /** Each function's policy by registry name, read per request: replacing an entry applies at once (tests). */
  readonly policies: Map<string, FunctionPolicy>;
  /** The real services behind the gates (the functions never see these). */
  readonly upstreams: ServiceEndpoints;
  /** The gates, as the functions' AWS_ENDPOINT_URL_* variables name them. */
  readonly endpoints: ServiceEndpoints;
  /** How the templates were obtained: synthesized now or from the cache, and how long it took (ms). */
  readonly synthesis: { readonly cached: boolean; readonly millis: number };
}

export interface LocalCloud {
  url: string;
  /** The live notifications WebSocket API: ws://127.0.0.1:<port>/<stage> (open with ?ticket=). */
  webSocketUrl: string;
  webSocket: LocalWebSocketApi;
  /** The SES front (infra/local/ses.ts): the SDK endpoint, and the mail viewer's GET /store. */
  sesUrl: string;
  /** The SES front: the account's MaxSendRate (settable) and sends so far. */
  ses: LocalSes;
  /** Resolves when the mail-sender's pollers hold no batch (the mail queue's event source). */
  mailIdle(): Promise<void>;
  /**
   * Resolves once the mail queue holds no message (visible, in flight, or within its delivery
   * delay) and no batch is being handled: every request the bus put there has been sent or
   * dead-lettered. Rejects after `timeoutMs` (default 30,000).
   */
  mailDrained(timeoutMs?: number): Promise<void>;
  /** Mail requests the bus rule has put on the mail queue since start (tests: a replay puts none). */
  mailRequestsQueued(): number;
  /** DynamoDB Local itself, ungated (fixtures and tools with any key). */
  dynamoEndpoint: string;
  /** The table, bus, schedule group... named as the synthesized templates name them. */
  names: TemplateResourceNames;
  iam: LocalIam;
  dataDir: string | undefined;
  auth: DevAuth;
  bus: LocalEventBus;
  /**
   * Replays the bus archive's events of a window to the rules (shuffled by default, marked with
   * `replay-name`); resolves when every delivery is done. `npm run replay` does the same over the wire.
   */
  replay(request: ReplayRequest): Promise<ReplayReport>;
  scheduler: LocalScheduler;
  cognito: LocalCognito;
  /** The web app's URL (its /api/* is the API) when `web` was asked for. */
  webUrl?: string;
  /** The SQS stand-in holding the on-failure queues. */
  sqs: LocalSqs;
  /** The Secrets Manager stand-in holding the cursor key (RotateSecret runs the rotation function). */
  secretsManager: LocalSecretsManager;
  /** Amazon Connect's DescribeContact stand-in: seed the contacts a contact event names. */
  connect: LocalConnect;
  /** The registry's functions, each in its own worker. */
  functions: LocalFunctions;
  tableCreated: boolean;
  stop(): Promise<void>;
}

export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const log = options.log ?? (() => undefined);
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  if (dataDir && options.fresh) rmSync(dataDir, { recursive: true, force: true });
  if (dataDir) mkdirSync(dataDir, { recursive: true });

  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((e: Error) => log(`stop: ${e.message}`));
    stops.length = 0;
  };

  try {
    // The JVM boots while the app synthesizes (a child process: the two overlap).
    const dynamoStarting = startDynamoDbLocal({
      port: await freePort(),
      ...(dataDir ? { dataDir: join(dataDir, 'dynamodb') } : {}),
    });
    // A failed start (no Java) is reported once, by the await below (not as unhandled meanwhile).
    dynamoStarting.catch(() => undefined);
    stops.push(() =>
      dynamoStarting.then(
        (dynamo) => dynamo.stop(),
        () => undefined,
      ),
    );
    const synthesis = await synthesizedTemplates(options.config);
    const scope = { accountId: LOCAL_ACCOUNT_ID, region: options.config.region };
    // A user pool's id is the service's choice, not the template's: the local one is fixed.
    const templateOptions = {
      ...scope,
      templates: synthesis.templates,
      // Likewise a KMS key's id: the local one is fixed, so its material (the data folder) keeps opening what it sealed.
      physicalName: (resource: { type: string }) =>
        resource.type === 'AWS::Cognito::UserPool'
          ? LOCAL_USER_POOL_ID
          : resource.type === 'AWS::KMS::Key'
            ? LOCAL_CREDENTIALS_KEY_ID
            : undefined,
    };
    const names = templateResourceNames(templateOptions);
    const dynamo: DynamoDbLocal = await dynamoStarting;
    log(
      `IAM policies and names from the synthesized app (${synthesis.cached ? 'cached' : 'synthesized'}, ${synthesis.millis} ms)`,
    );
    const table = await ensureTable(dynamo.endpoint, names.tableName);
    log(`DynamoDB Local on ${dynamo.endpoint}${table.created ? ` (table ${names.tableName} created)` : ''}`);
    const policies = new Map(
      functionPolicies({
        ...templateOptions,
        stage: options.config.stage,
        streamLabel: table.streamArn.slice(table.streamArn.lastIndexOf('/') + 1),
      }),
    );

    const sesPort = options.sesPort ?? 0;
    // CommonJS default export: under Node's ESM loader the function sits on `.default`.
    const sesLocal = ((sesLocalModule as unknown as { default?: typeof sesLocalModule }).default ??
      sesLocalModule) as unknown as (c: { host: string; port: number }) => Promise<Server>;
    // The mail viewer (aws-ses-v2-local) behind our SES front, which serves what it does not
    // emulate (GetAccount's quota, the suppression list, tracking, SES events) and forwards the rest.
    const viewerPort = await freePort();
    const viewer: Server = await sesLocal({ host: '127.0.0.1', port: viewerPort });
    stops.push(() => closeServer(viewer));
    // SES publishes the configuration set's events to the default bus, whose rule forwards them
    // to the CRM bus (stateful stack): locally they go straight onto the one local bus. Received
    // mail goes into the files bucket through the S3 gate (set up below), so its Object Created
    // event reaches the inbound-mail function as the receipt rule's does in AWS.
    const sesEvents: { bus?: LocalEventBus } = {};
    const inbound: { receive?: (eml: Buffer) => Promise<string> } = {};
    // Received mail dropped as .eml files (a temporary folder when the cloud keeps no data).
    const inboundFolder = dataDir ? join(dataDir, 'inbound-mail') : mkdtempSync(join(tmpdir(), 'crm-inbound-mail-'));
    if (!dataDir) stops.push(async () => rmSync(inboundFolder, { recursive: true, force: true }));
    const ses = await startLocalSes({
      upstream: `http://127.0.0.1:${viewerPort}`,
      port: sesPort,
      trackedConfigurationSets: [names.sesConfigurationSet],
      publish: (entries) => {
        if (!sesEvents.bus) throw new Error('SES events before the local bus is up');
        sesEvents.bus.put(entries);
      },
      region: options.config.region,
      accountId: LOCAL_ACCOUNT_ID,
      receive: (eml) => {
        if (!inbound.receive) throw new Error('the local S3 is not up yet');
        return inbound.receive(eml);
      },
      ...(dataDir ? { file: join(dataDir, 'ses-suppression-list.json') } : {}),
      inboundFolder,
    });
    stops.push(() => ses.stop());
    const sesUrl = ses.endpoint;

    // Durable delivery: the bus's pending log and the on-failure queues live in the data folder.
    const sqs = await startLocalSqs({ region: options.config.region, ...(dataDir ? { dataDir } : {}) });
    stops.push(() => sqs.stop());
    // Lambda sends a failed async invocation to its destination with the function's role, and
    // so does the local bus for the registry's consumers (tests' own rules park as admin).
    const senders = new Map<string, string>();
    const bus = new LocalEventBus({
      region: options.config.region,
      name: names.eventBusName,
      onFailure: {
        send: (queue, body) => {
          const sender = senders.get(queue);
          return sender ? queueSender.send(sender, queue, body) : sqs.send(queue, body);
        },
      },
      ...(dataDir ? { dataDir } : {}),
    });
    sesEvents.bus = bus;
    const busServer = await serveLocalBus(bus);
    stops.push(async () => {
      await bus.close();
      await closeServer(busServer.server);
    });

    const auth = dataDir ? DevAuth.fromFile(join(dataDir, 'dev-jwt-key.json')) : DevAuth.ephemeral();
    const web = options.web;
    const cognito = await startLocalCognito({
      userPoolId: LOCAL_USER_POOL_ID,
      ...(web
        ? {
            signIn: {
              clientId: LOCAL_CLIENT_ID,
              password: web.password,
              token: (u, ttlSeconds) => auth.token({ sub: u.sub, email: u.email, role: u.role as Role }, { ttlSeconds }),
            },
          }
        : {}),
      ...(dataDir ? { file: join(dataDir, 'cognito-users.json') } : {}),
      log,
    });
    stops.push(() => cognito.stop());

    // Scheduler targets are Lambdas named crm-<stage>-<name>: the registry's functions (made
    // below, once the scheduler's endpoint is known; it fires nothing before then).
    const scheduler: LocalScheduler = await startLocalScheduler({
      ...(dataDir ? { file: join(dataDir, 'schedules.json') } : {}),
      ...(options.schedulerClock ? { clock: options.schedulerClock } : {}),
      region: options.config.region,
      invoke: async (targetArn, input) => {
        const prefix = `function:crm-${options.config.stage}-`;
        const name = targetArn.includes(prefix) ? targetArn.slice(targetArn.indexOf(prefix) + prefix.length) : undefined;
        if (!name || !functions.has(name)) throw new Error(`no local function for schedule target ${targetArn}`);
        await functions.get(name).invoke(input);
      },
      onDeadLetter: (letter) => log(`scheduler: ${letter.scheduleArn} dead-lettered`),
      onError: (error) => log(`scheduler: ${error.message}`),
    });
    stops.push(() => scheduler.stop());

    // The cursor key, kept with the local data so that cursors survive a restart.
    const secretsManager = await startLocalSecretsManager({
      scope: { accountId: LOCAL_ACCOUNT_ID, region: options.config.region },
      ...(dataDir ? { file: join(dataDir, 'secrets-manager.json') } : {}),
      rotate: async (event) => {
        await functions.get(cursorKeyRotationFunction.name).invoke(event);
      },
    });
    stops.push(() => secretsManager.stop());
    await ensureLocalSecret({
      endpoint: secretsManager.endpoint,
      region: options.config.region,
      name: cursorSecretName(options.config),
      description: 'HMAC key that signs the opaque list cursors of the CRM API (local)',
    });
    // The voice provider's webhook auth token (a known local value until a developer puts a real one in).
    await ensureLocalSecret({
      endpoint: secretsManager.endpoint,
      region: options.config.region,
      name: voiceSecretName(options.config),
      value: LOCAL_VOICE_AUTH_TOKEN,
      description: "The voice provider's webhook auth token (local)",
    });

    // The live notifications WebSocket API: its authorizer and routes are the registry's
    // functions (made below, once the gates are up; nothing connects before then).
    const webSocket = await startLocalWebSocketApi({
      region: options.config.region,
      accountId: LOCAL_ACCOUNT_ID,
      apiId: names.liveWebSocket.apiId,
      stage: names.liveWebSocket.stageName,
      identityQueryParameter: LIVE_TICKET_PARAMETER,
      authorize: (event) => functions.get(liveAuthorizerFunction.name).invoke(event),
      route: (_, event) => functions.get(liveConnectionsFunction.name).invoke<APIGatewayProxyResultV2>(event),
      port: options.webSocketPort ?? 0,
      log,
    });
    stops.push(() => webSocket.stop());

    // The key that seals mailbox credentials; its material is kept with the local data.
    const kms = await startLocalKms({
      scope,
      keys: [{ keyId: LOCAL_CREDENTIALS_KEY_ID }],
      ...(dataDir ? { file: join(dataDir, 'kms-keys.json') } : {}),
    });
    stops.push(() => kms.stop());

    // Amazon Connect's DescribeContact, answering the contacts tests seed (connect.seed).
    const connect = await startLocalConnect();
    stops.push(() => connect.stop());
    const upstreams: ServiceEndpoints = {
      dynamodb: dynamo.endpoint,
      eventbridge: busServer.endpoint,
      ses: sesUrl,
      scheduler: scheduler.endpoint,
      cognito: cognito.endpoint,
      sqs: sqs.endpoint,
      secretsmanager: secretsManager.endpoint,
      apigatewaymanagement: webSocket.managementEndpoint,
      // fauxqs serves S3 on the SQS port.
      s3: sqs.endpoint,
      kms: kms.endpoint,
      connect: connect.endpoint,
    };
    const s3 = localS3Client(sqs.endpoint, options.config.region);
    stops.push(async () => s3.destroy());
    await ensureLocalBucket(s3, names.filesBucketName);
    // Functions (and this process, with the admin key) reach every service through its gate.
    let streamWritten = (): void => undefined; // the stream poller, once it runs
    const gates: LocalGates = await startLocalGates({
      upstreams,
      scope,
      policies,
      onDecision: (decision) => {
        options.onIamDecision?.(decision);
        if (decision.denied) {
          log(`iam: ${decision.function} denied ${decision.denied.access.action} on ${decision.denied.access.resource}`);
        }
      },
      onRefusal: (message) => log(`iam: ${message}`),
      s3CorsOrigins: filesCorsOrigins(options.config),
      // The files bucket's EventBridge notifications: Object Created on the (one) local bus.
      onForwarded: (service, request) => {
        if (service === 's3') notifyObjectCreated(request);
        // A write reached the table: its stream has a record for the event source mapping.
        else if (service === 'dynamodb' && request.status === 200 && TABLE_WRITES.test(String(request.headers['x-amz-target'])))
          streamWritten();
      },
    });
    stops.push(() => gates.stop());
    const notifyObjectCreated = objectCreatedNotifier({
      client: s3,
      buckets: new Set([names.filesBucketName]),
      put: (entries) => bus.put(entries),
      onError: (error) => log(`s3 events: ${error.message}`),
    });
    const endpoints = gates.endpoints;
    const inboundS3 = localS3Client(endpoints.s3!, options.config.region);
    stops.push(async () => inboundS3.destroy());
    inbound.receive = async (eml) => {
      const key = `${INBOUND_PREFIX}${randomUUID()}`;
      await inboundS3.send(new PutObjectCommand({ Bucket: names.filesBucketName, Key: key, Body: eml }));
      return key;
    };
    const queueSender = functionQueueSender(endpoints.sqs!, options.config.region);
    stops.push(async () => queueSender.destroy());
    const values = localEnvironmentValues(options.config, {
      ...names,
      importQueueUrl: `https://sqs.${options.config.region}.amazonaws.com/${LOCAL_ACCOUNT_ID}/${names.importQueue.queueName}`,
      bulkQueueUrl: `https://sqs.${options.config.region}.amazonaws.com/${LOCAL_ACCOUNT_ID}/${names.bulkQueue.queueName}`,
      exportQueueUrl: `https://sqs.${options.config.region}.amazonaws.com/${LOCAL_ACCOUNT_ID}/${names.exportQueue.queueName}`,
      credentialsKey: localCredentialsKeyArn(options.config),
      sellImportQueueUrl: `https://sqs.${options.config.region}.amazonaws.com/${LOCAL_ACCOUNT_ID}/${names.sellImportQueue.queueName}`,
      logLevel: options.functionSettings?.logLevel ?? 'WARN',
      // The management API behind its gate, naming the API and stage as AWS's host and path do.
      liveCallbackUrl: `${endpoints.apigatewaymanagement}/${names.liveWebSocket.apiId}/${names.liveWebSocket.stageName}`,
    });
    // Functions: each with exactly its registry environment, in its own sandbox.
    const functions = new LocalFunctions(
      functionSpecs.map(
        (spec) =>
          new LocalFunction({
            spec,
            functionName: localFunctionName(options.config, spec),
            env: localFunctionEnvironment(spec, {
              config: options.config,
              endpoints,
              values,
              ...(options.functionSettings ? { settings: options.functionSettings } : {}),
            }),
            region: options.config.region,
          }),
      ),
    );
    // Stopped after the bus has delivered what it holds (stops run last pushed first).
    stops.push(() => functions.stop());
    stops.push(() => bus.idle());
    // Closed before the functions stop, so that each open connection's $disconnect runs.
    stops.push(() => webSocket.stop());
    // This process is no function: it seeds and (in tests) reads the table as an operator.
    Object.assign(process.env, operatorEnvironment({ config: options.config, endpoints, values }));

    const mailQueueUrl = await ensureMappedQueue(sqs.client, names.mailQueue, scope);
    let mailRequestsQueued = 0;
    for (const rule of busRules(options.config)) {
      if (rule.via === 'queue') {
        // EventBridge's SQS target: the whole event as the message body (the queue's policy lets the rule send).
        bus.addRule({
          name: rule.name,
          pattern: rule.pattern,
          target: async (event) => {
            await sqs.client.send(new SendMessageCommand({ QueueUrl: mailQueueUrl, MessageBody: JSON.stringify(event) }));
            mailRequestsQueued++;
          },
          onFailureQueue: `crm-${options.config.stage}-bus-rules-dlq`,
        });
        continue;
      }
      const target = functions.get(rule.target);
      const onFailureQueue = names.asyncOnFailureQueues[target.functionName];
      if (!onFailureQueue) throw new Error(`the templates give ${target.functionName} no on-failure destination`);
      await sqs.queueUrl(onFailureQueue); // the stack creates it in AWS
      senders.set(onFailureQueue, rule.target);
      bus.addRule({
        name: rule.name,
        // One local bus stands for both the CRM bus and the default bus (S3's events).
        pattern: ruleEventPattern(rule, { filesBucketName: names.filesBucketName }),
        target: target.handler,
        onFailureQueue,
        ...(rule.input ? { input: rule.input } : {}),
      });
    }
    for (const rule of options.extraRules ?? []) bus.addRule(rule);

    // The mail queue's event source mapping: the mail-sender's workers, with its own role.
    const mailSender = functions.all().find((fn) => fn.functionName === names.mailQueue.functionName)?.spec.name;
    if (!mailSender) throw new Error(`no local function is named ${names.mailQueue.functionName}`);
    const mailPoller = new SqsPoller({
      endpoint: endpoints.sqs!,
      region: options.config.region,
      credentials: functionCredentials(mailSender),
      queueUrl: mailQueueUrl,
      queueArn: queueArnOf(scope, names.mailQueue.queueName),
      batchSize: names.mailQueue.batchSize,
      concurrency: names.mailQueue.maximumConcurrency,
      handler: (event) => functions.get(mailSender).invoke(event),
      onError: (error) => log(`mail queue: ${error.message}`),
    });
    mailPoller.start();
    stops.push(() => mailPoller.stop());

    // The external calendars' recurring schedule (rate() in AWS; the local Scheduler runs at()
    // only): a timer on the real clock invoking the same function with the same input.
    const refreshTimer = setInterval(() => {
      functions
        .get(EXTERNAL_CALENDARS_SCHEDULE.target)
        .invoke(EXTERNAL_CALENDARS_SCHEDULE.input)
        .catch((error: Error) => log(`external calendars: ${error.message}`));
    }, EXTERNAL_CALENDARS_SCHEDULE.everyMs);
    refreshTimer.unref();
    stops.push(async () => clearInterval(refreshTimer));
    const pollTimer = setInterval(() => {
      functions
        .get(MAILBOX_POLL_SCHEDULE.target)
        .invoke(MAILBOX_POLL_SCHEDULE.input)
        .catch((error: Error) => log(`mailbox poll: ${error.message}`));
    }, MAILBOX_POLL_SCHEDULE.everyMs);
    pollTimer.unref();
    stops.push(async () => clearInterval(pollTimer));
    // The import queue's event source mapping: the import-worker's workers, with its own role.
    const importQueueUrl = await ensureMappedQueue(sqs.client, names.importQueue, scope);
    const importWorker = functions.all().find((fn) => fn.functionName === names.importQueue.functionName)?.spec.name;
    if (!importWorker) throw new Error(`no local function is named ${names.importQueue.functionName}`);
    const importPoller = new SqsPoller({
      endpoint: endpoints.sqs!,
      region: options.config.region,
      credentials: functionCredentials(importWorker),
      queueUrl: importQueueUrl,
      queueArn: queueArnOf(scope, names.importQueue.queueName),
      batchSize: names.importQueue.batchSize,
      concurrency: names.importQueue.maximumConcurrency,
      handler: (event) => functions.get(importWorker).invoke(event),
      onError: (error) => log(`import queue: ${error.message}`),
    });
    importPoller.start();
    stops.push(() => importPoller.stop());
    // The bulk operations queue's event source mapping: the bulk-worker's, likewise.
    const bulkQueueUrl = await ensureMappedQueue(sqs.client, names.bulkQueue, scope);
    const bulkWorker = functions.all().find((fn) => fn.functionName === names.bulkQueue.functionName)?.spec.name;
    if (!bulkWorker) throw new Error(`no local function is named ${names.bulkQueue.functionName}`);
    const bulkPoller = new SqsPoller({
      endpoint: endpoints.sqs!,
      region: options.config.region,
      credentials: functionCredentials(bulkWorker),
      queueUrl: bulkQueueUrl,
      queueArn: queueArnOf(scope, names.bulkQueue.queueName),
      batchSize: names.bulkQueue.batchSize,
      concurrency: names.bulkQueue.maximumConcurrency,
      handler: (event) => functions.get(bulkWorker).invoke(event),
      onError: (error) => log(`bulk operations queue: ${error.message}`),
    });
    bulkPoller.start();
    stops.push(() => bulkPoller.stop());
    // The export queue's, likewise (the export-worker's workers, with its own role).
    const exportQueueUrl = await ensureMappedQueue(sqs.client, names.exportQueue, scope);
    const exportWorker = functions.all().find((fn) => fn.functionName === names.exportQueue.functionName)?.spec.name;
    if (!exportWorker) throw new Error(`no local function is named ${names.exportQueue.functionName}`);
    const exportPoller = new SqsPoller({
      endpoint: endpoints.sqs!,
      region: options.config.region,
      credentials: functionCredentials(exportWorker),
      queueUrl: exportQueueUrl,
      queueArn: queueArnOf(scope, names.exportQueue.queueName),
      batchSize: names.exportQueue.batchSize,
      concurrency: names.exportQueue.maximumConcurrency,
      handler: (event) => functions.get(exportWorker).invoke(event),
      onError: (error) => log(`export queue: ${error.message}`),
    });
    exportPoller.start();
    stops.push(() => exportPoller.stop());
    // The Sell import queue's, likewise (the sell-import-worker's workers, with its own role).
    const sellImportQueueUrl = await ensureMappedQueue(sqs.client, names.sellImportQueue, scope);
    const sellImportWorker = functions.all().find((fn) => fn.functionName === names.sellImportQueue.functionName)?.spec.name;
    if (!sellImportWorker) throw new Error(`no local function is named ${names.sellImportQueue.functionName}`);
    const sellImportPoller = new SqsPoller({
      endpoint: endpoints.sqs!,
      region: options.config.region,
      credentials: functionCredentials(sellImportWorker),
      queueUrl: sellImportQueueUrl,
      queueArn: queueArnOf(scope, names.sellImportQueue.queueName),
      batchSize: names.sellImportQueue.batchSize,
      concurrency: names.sellImportQueue.maximumConcurrency,
      handler: (event) => functions.get(sellImportWorker).invoke(event),
      onError: (error) => log(`Sell import queue: ${error.message}`),
    });
    sellImportPoller.start();
    stops.push(() => sellImportPoller.stop());

    // The publisher is always busy: warm it now, so the first event is not late by a cold start.
    const publisher = functions.get(outboxPublisher.name);
    await publisher.start();
    // The event source mapping reads the stream, and parks what fails in its on-failure queue,
    // with its function's role (as in AWS): it signs with the publisher's key at the gates.
    await sqs.queueUrl(names.streamOnFailureQueue); // the stack creates it in AWS
    const poller = new StreamPoller({
      endpoint: endpoints.dynamodb,
      region: options.config.region,
      credentials: functionCredentials(outboxPublisher.name),
      streamArn: table.streamArn,
      ...options.streamRetries,
      filter: outboxStreamFilter as unknown as EventPattern,
      handler: (event: DynamoDBStreamEvent) => publisher.invoke<DynamoDBBatchResponse>(event),
      ...(dataDir ? { checkpointFile: join(dataDir, 'stream-checkpoint.json') } : {}),
      onFailure: (record) => queueSender.send(outboxPublisher.name, names.streamOnFailureQueue, JSON.stringify(record)),
      onError: (error) => log(`stream: ${error.message}`),
    });
    poller.start();
    streamWritten = () => poller.nudge();
    stops.push(() => poller.stop());

    const http = await startLocalHttp({
      routes: allRoutes,
      verifier: auth.verifier,
      authorize: (event) => functions.get(apiAuthorizerFunction.name).invoke(event),
      defaultFamily: DEFAULT_ROUTE_FAMILY,
      corsAllowOrigins: values.corsAllowOrigins,
      port: options.port ?? 0,
      invoke: (family, event) => functions.get(family).invoke<APIGatewayProxyResultV2>(event),
    });
    stops.push(() => closeServer(http.server));
    const gateway = web
      ? await startWebGateway({
          distDir: web.distDir,
          apiUrl: http.url,
          port: web.port ?? 0,
          runtimeConfig: {
            apiUrl: '/api',
            webSocketUrl: webSocket.url,
            cognito: { endpoint: cognito.endpoint, clientId: LOCAL_CLIENT_ID },
            mailboxOAuthProviders: Object.keys(options.config.mailbox_oauth),
            get devUsers() {
              return web.devUsers?.() ?? [];
            },
          },
        })
      : undefined;
    if (gateway) stops.push(() => closeServer(gateway.server));

    const cloud: LocalCloud = {
      url: http.url,
      webSocketUrl: webSocket.url,
      webSocket,
      ...(gateway ? { webUrl: gateway.url } : {}),
      sesUrl,
      ses,
      mailIdle: () => mailPoller.idle(),
      async mailDrained(timeoutMs = 30_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          await mailPoller.idle();
          const out = await sqs.client.send(
            new GetQueueAttributesCommand({
              QueueUrl: mailQueueUrl,
              AttributeNames: [
                'ApproximateNumberOfMessages',
                'ApproximateNumberOfMessagesNotVisible',
                'ApproximateNumberOfMessagesDelayed',
              ],
            }),
          );
          const held = Object.values(out.Attributes ?? {}).reduce((n, v) => n + Number(v), 0);
          if (held === 0) return mailPoller.idle();
          if (Date.now() > deadline) throw new Error(`the mail queue still holds ${held} message(s) after ${timeoutMs} ms`);
          await new Promise((r) => setTimeout(r, 250));
        }
      },
      mailRequestsQueued: () => mailRequestsQueued,
      dynamoEndpoint: dynamo.endpoint,
      names,
      iam: { policies, upstreams, endpoints, synthesis: { cached: synthesis.cached, millis: synthesis.millis } },
      dataDir,
      auth,
      bus,
      replay: (request) => bus.replay(request),
      scheduler,
      cognito,
      sqs,
      secretsManager,
      connect,
      functions,
      tableCreated: table.created,
      stop,
    };
    // For tools in another process (npm run redrive -- --local): the ports change at each start.
    if (dataDir) {
      writeLocalEndpoints(dataDir, {
        http: http.url,
        websocket: webSocket.url,
        dynamodb: dynamo.endpoint,
        eventbridge: busServer.endpoint,
        sqs: sqs.endpoint,
        region: options.config.region,
        table: names.tableName,
        bus: names.eventBusName,
        pid: process.pid,
      });
    }
    if (table.created && options.onFreshTable) await options.onFreshTable(cloud);
    return cloud;
  } catch (error) {
    await stop();
    throw error;
  }
}

function functionCredentials(name: string): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: functionAccessKeyId(name), secretAccessKey: 'local' };
}

/** Sends to an SQS queue as a function (its key, through the SQS gate), as Lambda's destinations do. */
function functionQueueSender(gatedEndpoint: string, region: string) {
  const clients = new Map<string, SQSClient>();
  const client = (name: string) => {
    let found = clients.get(name);
    if (!found)
      clients.set(name, (found = new SQSClient({ endpoint: gatedEndpoint, region, credentials: functionCredentials(name) })));
    return found;
  };
  return {
    async send(functionName: string, queue: string, body: string): Promise<void> {
      const sqs = client(functionName);
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queue }));
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
    },
    destroy(): void {
      for (const c of clients.values()) c.destroy();
    },
  };
}

/** DynamoDB operations that write items (so the table stream gets records). */
const TABLE_WRITES = /^DynamoDB_20120810\.(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems)$/;

const queueArnOf = (scope: { accountId: string; region: string }, name: string) =>
  `arn:aws:sqs:${scope.region}:${scope.accountId}:${name}`;

/** Creates a queue and its DLQ as the template configures them (delay, visibility, redrive); its URL. */
async function ensureMappedQueue(
  client: SQSClient,
  queue: LocalQueueMapping,
  scope: { accountId: string; region: string },
): Promise<string> {
  const dlq = await client.send(new CreateQueueCommand({ QueueName: queue.deadLetterQueueName }));
  const dlqArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] })))
    .Attributes?.QueueArn;
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: queue.queueName }));
  await client.send(
    new SetQueueAttributesCommand({
      QueueUrl,
      Attributes: {
        DelaySeconds: String(queue.delaySeconds),
        VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn ?? queueArnOf(scope, queue.deadLetterQueueName),
          maxReceiveCount: queue.maxReceiveCount,
        }),
      },
    }),
  );
  return QueueUrl!;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}
