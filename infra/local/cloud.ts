import { rmSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import sesLocalModule from 'aws-ses-v2-local';
import { outboxStreamFilter } from '#shared/platform/dynamodb/table-spec.ts';
import { RUNTIME_ENV } from '#shared/platform/runtime-env.ts';
import { allRoutes } from '#shared/families.ts';
import type { CrmConfig } from '../config/schema.ts';
import { busRules } from '../rules.ts';
import { DevAuth } from './dev-auth.ts';
import { ensureTable, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.ts';
import { LocalEventBus, serveLocalBus, type LocalRule } from './eventbridge/local-bus.ts';
import type { EventPattern } from './eventbridge/pattern-matcher.ts';
import { startLocalHttp, type HttpLambda } from './http-server.ts';
import { freePort } from './ports.ts';
import { writeLocalEndpoints } from './endpoints.ts';
import { startLocalSqs, type LocalSqs } from './sqs.ts';
import { startLocalScheduler, type LocalScheduler } from './scheduler.ts';
import { StreamPoller } from './stream-poller.ts';

// The whole local cloud in one process: DynamoDB Local (a Java child process), the HTTP API,
// the stream → publisher → bus pipeline and SES. `npm start` and the e2e tests both use it.

const ROOT = resolve(import.meta.dirname, '../..');
export const TABLE_NAME = 'crm';
export const BUS_NAME = 'crm';

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
  /** The SQS stand-in holding the on-failure queues. */
  sqs: LocalSqs;
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

    // Scheduler targets are Lambdas named crm-<stage>-<name>: locally functions/scheduled/<name>.ts.
    const scheduler: LocalScheduler = await startLocalScheduler({
      ...(dataDir ? { file: join(dataDir, 'schedules.json') } : {}),
      region: options.config.region,
      invoke: async (targetArn, input) => {
        const prefix = `function:crm-${options.config.stage}-`;
        const name = targetArn.includes(prefix) ? targetArn.slice(targetArn.indexOf(prefix) + prefix.length) : undefined;
        if (!name) throw new Error(`no local function for schedule target ${targetArn}`);
        const target = await loadModuleHandler<(event: unknown) => Promise<unknown>>(`scheduled/${name}.ts`);
        await target(input);
      },
      onDeadLetter: (letter) => log(`scheduler: ${letter.scheduleArn} dead-lettered`),
      onError: (error) => log(`scheduler: ${error.message}`),
    });
    stops.push(() => scheduler.stop());

    setRuntimeEnv({
      dynamo: dynamo.endpoint,
      bus: busServer.endpoint,
      ses: sesUrl,
      scheduler: scheduler.endpoint,
      config: options.config,
    });

    for (const rule of busRules(options.config)) {
      const target = await loadModuleHandler<(event: unknown) => Promise<unknown>>(`events/${rule.target}.ts`);
      bus.addRule({ name: rule.name, pattern: rule.pattern, target });
    }
    for (const rule of options.extraRules ?? []) bus.addRule(rule);

    const publish =
      await loadModuleHandler<(e: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>>('streams/outbox-publisher.ts');
    const poller = new StreamPoller({
      endpoint: dynamo.endpoint,
      streamArn: table.streamArn,
      filter: outboxStreamFilter as unknown as EventPattern,
      handler: publish,
      ...(dataDir ? { checkpointFile: join(dataDir, 'stream-checkpoint.json') } : {}),
      onFailure: (record) => sqs.send(`${TABLE_NAME}-outbox-publisher-on-failure`, JSON.stringify(record)),
      onError: (error) => log(`stream: ${error.message}`),
    });
    poller.start();
    stops.push(() => poller.stop());

    const auth = dataDir ? DevAuth.fromFile(join(dataDir, 'dev-jwt-key.json')) : DevAuth.ephemeral();
    const handlers = new Map<string, Promise<HttpLambda>>();
    const http = await startLocalHttp({
      routes: allRoutes,
      verifier: auth.verifier,
      defaultFamily: 'platform',
      port: options.port ?? 0,
      loadHandler: (family) => {
        if (!handlers.has(family)) handlers.set(family, loadModuleHandler<HttpLambda>(`http/${family}.ts`));
        return handlers.get(family)!;
      },
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
      sqs,
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

/** The variables CrmFunction sets in AWS, pointed at the local services. */
function setRuntimeEnv(local: { dynamo: string; bus: string; ses: string; scheduler: string; config: CrmConfig }): void {
  const env: Record<string, string> = {
    AWS_REGION: local.config.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: local.dynamo,
    AWS_ENDPOINT_URL_EVENTBRIDGE: local.bus,
    AWS_ENDPOINT_URL_SES: local.ses,
    AWS_ENDPOINT_URL_SCHEDULER: local.scheduler,
    [RUNTIME_ENV.tableName]: TABLE_NAME,
    [RUNTIME_ENV.eventBusName]: BUS_NAME,
    [RUNTIME_ENV.cursorSecret]: process.env.CURSOR_SECRET ?? 'local-cursor-secret-not-for-production',
    [RUNTIME_ENV.accountDefaults]: JSON.stringify(local.config.account),
    [RUNTIME_ENV.senderAddress]: local.config.email.sender_address,
    POWERTOOLS_SERVICE_NAME: 'crm-local',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_IDEMPOTENCY_DISABLED: 'false',
  };
  Object.assign(process.env, env);
}

async function loadModuleHandler<T>(entry: string): Promise<T> {
  const module = (await import(pathToFileURL(join(ROOT, 'functions', entry)).href)) as { handler?: T };
  if (!module.handler) throw new Error(`functions/${entry} exports no handler`);
  return module.handler;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}
