import { rmSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { APIGatewayProxyResultV2, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import sesLocalModule from 'aws-ses-v2-local';
import { outboxStreamFilter } from '#shared/platform/dynamodb/table-spec.ts';
import { allRoutes } from '#shared/families.ts';
import type { CrmConfig } from '../config/schema.ts';
import { cursorKeyRotationFunction, DEFAULT_ROUTE_FAMILY, functionSpecs, outboxPublisher } from '../functions.ts';
import { busRules } from '../rules.ts';
import { startLocalCognito, type LocalCognito } from './cognito.ts';
import { DevAuth, LOCAL_USER_POOL_ID } from './dev-auth.ts';
import {
  cursorSecretName,
  LOCAL_ACCOUNT_ID,
  LOCAL_BUS_NAME,
  LOCAL_TABLE_NAME,
  localEnvironmentValues,
  localFunctionEnvironment,
  localFunctionName,
  operatorEnvironment,
  type ServiceEndpoints,
  type LocalFunctionSettings,
} from './environment.ts';
import { ensureTable, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.ts';
import { LocalEventBus, serveLocalBus, type LocalRule } from './eventbridge/local-bus.ts';
import type { EventPattern } from './eventbridge/pattern-matcher.ts';
import { startLocalHttp } from './http-server.ts';
import { LocalFunction, LocalFunctions } from './local-function.ts';
import { freePort } from './ports.ts';
import { writeLocalEndpoints } from './endpoints.ts';
import { startLocalSqs, type LocalSqs } from './sqs.ts';
import { ensureLocalSecret, startLocalSecretsManager, type LocalSecretsManager } from './secrets-manager.ts';
import { startLocalScheduler, type LocalScheduler } from './scheduler.ts';
import { StreamPoller } from './stream-poller.ts';

// The whole local cloud in one process: DynamoDB Local (a Java child process), the HTTP API,
// the stream → publisher → bus pipeline, SES, Scheduler and Cognito's admin calls. Each
// function of the registry runs in its own worker thread with only its own environment
// (local-function.ts), built from the same registry entry as in AWS. `npm start` and the e2e
// tests both use it.

export const TABLE_NAME = LOCAL_TABLE_NAME;
export const BUS_NAME = LOCAL_BUS_NAME;

export interface LocalCloudOptions {
  config: CrmConfig;
  /** Where data survives restarts; undefined keeps everything in memory (tests). */
  dataDir?: string;
  /** Wipe the data folder first. */
  fresh?: boolean;
  /** HTTP port; 0 picks a free one. */
  port?: number;
  sesPort?: number;
  /** Extra rules on the local bus (tests attach their own targets). */
  extraRules?: LocalRule[];
  /** Runs once when the table was just created (seed users, the default pipeline...). */
  onFreshTable?: (cloud: LocalCloud) => Promise<void>;
  /** Log level and strictness of every function (a developer's settings, not the deployment's). */
  functionSettings?: LocalFunctionSettings;
  log?: (line: string) => void;
}

export interface LocalCloud {
  url: string;
  sesUrl: string;
  dynamoEndpoint: string;
  dataDir: string | undefined;
  auth: DevAuth;
  bus: LocalEventBus;
  scheduler: LocalScheduler;
  cognito: LocalCognito;
  /** The SQS stand-in holding the on-failure queues. */
  sqs: LocalSqs;
  /** The Secrets Manager stand-in holding the cursor key (RotateSecret runs the rotation function). */
  secretsManager: LocalSecretsManager;
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
    const dynamo: DynamoDbLocal = await startDynamoDbLocal({
      port: await freePort(),
      ...(dataDir ? { dataDir: join(dataDir, 'dynamodb') } : {}),
    });
    stops.push(() => dynamo.stop());
    const table = await ensureTable(dynamo.endpoint, TABLE_NAME);
    log(`DynamoDB Local on ${dynamo.endpoint}${table.created ? ' (table created)' : ''}`);

    const sesPort = options.sesPort || (await freePort());
    // CommonJS default export: under Node's ESM loader the function sits on `.default`.
    const sesLocal = ((sesLocalModule as unknown as { default?: typeof sesLocalModule }).default ??
      sesLocalModule) as unknown as (c: { host: string; port: number }) => Promise<Server>;
    const ses: Server = await sesLocal({ host: '127.0.0.1', port: sesPort });
    stops.push(() => closeServer(ses));
    const sesUrl = `http://127.0.0.1:${sesPort}`;

    // Durable delivery: the bus's pending log and the on-failure queues live in the data folder.
    const sqs = await startLocalSqs({ region: options.config.region, ...(dataDir ? { dataDir } : {}) });
    stops.push(() => sqs.stop());
    const bus = new LocalEventBus({
      region: options.config.region,
      name: BUS_NAME,
      onFailure: sqs,
      ...(dataDir ? { dataDir } : {}),
    });
    const busServer = await serveLocalBus(bus);
    stops.push(async () => {
      await bus.close();
      await closeServer(busServer.server);
    });

    const cognito = await startLocalCognito({
      userPoolId: LOCAL_USER_POOL_ID,
      ...(dataDir ? { file: join(dataDir, 'cognito-users.json') } : {}),
      log,
    });
    stops.push(() => cognito.stop());

    // Scheduler targets are Lambdas named crm-<stage>-<name>: the registry's functions (made
    // below, once the scheduler's endpoint is known; it fires nothing before then).
    const scheduler: LocalScheduler = await startLocalScheduler({
      ...(dataDir ? { file: join(dataDir, 'schedules.json') } : {}),
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

    const endpoints: ServiceEndpoints = {
      dynamodb: dynamo.endpoint,
      eventbridge: busServer.endpoint,
      ses: sesUrl,
      scheduler: scheduler.endpoint,
      cognito: cognito.endpoint,
      sqs: sqs.endpoint,
      secretsmanager: secretsManager.endpoint,
    };
    const values = localEnvironmentValues(options.config, {
      logLevel: options.functionSettings?.logLevel ?? 'WARN',
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
    // This process is no function: it seeds and (in tests) reads the table as an operator.
    Object.assign(process.env, operatorEnvironment({ config: options.config, endpoints, values }));

    for (const rule of busRules(options.config)) {
      bus.addRule({ name: rule.name, pattern: rule.pattern, target: functions.get(rule.target).handler });
    }
    for (const rule of options.extraRules ?? []) bus.addRule(rule);

    // The publisher is always busy: warm it now, so the first event is not late by a cold start.
    const publisher = functions.get(outboxPublisher.name);
    await publisher.start();
    const poller = new StreamPoller({
      endpoint: dynamo.endpoint,
      streamArn: table.streamArn,
      filter: outboxStreamFilter as unknown as EventPattern,
      handler: (event: DynamoDBStreamEvent) => publisher.invoke<DynamoDBBatchResponse>(event),
      ...(dataDir ? { checkpointFile: join(dataDir, 'stream-checkpoint.json') } : {}),
      onFailure: (record) => sqs.send(`${TABLE_NAME}-outbox-publisher-on-failure`, JSON.stringify(record)),
      onError: (error) => log(`stream: ${error.message}`),
    });
    poller.start();
    stops.push(() => poller.stop());

    const auth = dataDir ? DevAuth.fromFile(join(dataDir, 'dev-jwt-key.json')) : DevAuth.ephemeral();
    const http = await startLocalHttp({
      routes: allRoutes,
      verifier: auth.verifier,
      defaultFamily: DEFAULT_ROUTE_FAMILY,
      corsAllowOrigins: values.corsAllowOrigins,
      port: options.port ?? 0,
      invoke: (family, event) => functions.get(family).invoke<APIGatewayProxyResultV2>(event),
    });
    stops.push(() => closeServer(http.server));

    const cloud: LocalCloud = {
      url: http.url,
      sesUrl,
      dynamoEndpoint: dynamo.endpoint,
      dataDir,
      auth,
      bus,
      scheduler,
      cognito,
      sqs,
      secretsManager,
      functions,
      tableCreated: table.created,
      stop,
    };
    // For tools in another process (npm run redrive -- --local): the ports change at each start.
    if (dataDir) {
      writeLocalEndpoints(dataDir, {
        http: http.url,
        dynamodb: dynamo.endpoint,
        eventbridge: busServer.endpoint,
        sqs: sqs.endpoint,
        region: options.config.region,
        table: TABLE_NAME,
        bus: BUS_NAME,
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

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}
