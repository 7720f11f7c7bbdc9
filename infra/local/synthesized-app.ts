import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { RUNTIME_ENV } from '#shared/platform/runtime-env.ts';
import { REPO_ROOT } from '../build/bundle.ts';
import type { CrmConfig } from '../config/schema.ts';
import type { LocalResourceNames } from './environment.ts';
import {
  templatesFromCloudAssembly,
  TemplateResolver,
  type CfnTemplate,
  type TemplateResolverOptions,
} from './iam/template-policies.ts';

// The CRM app as CDK synthesizes it for `cdk deploy`, read by the local cloud: the IAM policy
// of each function and the names of the resources (table, bus, schedule group, SES
// configuration set, queues) come from these templates, so a laptop cannot drift from AWS.
// Synthesis runs in-process with bundling skipped (the templates' policies and names do not
// depend on the bundles): about 3 s. The templates are cached by a hash of everything
// synthesis reads from the repository and of the config, so a restart with no change in
// infra/, shared/, functions/, cdk.json, package-lock.json or the config costs a file read.

/** Every stack's template by stack name, and how they were obtained. */
export interface SynthesizedTemplates {
  readonly templates: Readonly<Record<string, CfnTemplate>>;
  /** The cache key (sha-256 of the inputs, hex). */
  readonly key: string;
  readonly cached: boolean;
  /** Wall time spent, ms (hashing plus synthesis or the cache read). */
  readonly millis: number;
}

export interface SynthesizeOptions {
  /** Where templates are cached; default <os tmpdir>/crm-local-synth. `false` never caches. */
  readonly cacheDir?: string | false;
}

/** Folders and files whose content shapes the templates (stacks, registry, route contracts, CDK version). */
const SYNTH_INPUTS = ['infra', 'shared', 'functions', 'cdk.json', 'package-lock.json'];

/**
 * The synthesized templates of the app for `config`, from the cache when its inputs are
 * unchanged. Throws whatever synthesis throws (a config CDK refuses, a cdk-nag finding).
 */
export async function synthesizedTemplates(config: CrmConfig, options: SynthesizeOptions = {}): Promise<SynthesizedTemplates> {
  const started = Date.now();
  const key = synthInputsHash(config);
  const cacheDir = options.cacheDir === undefined ? join(tmpdir(), 'crm-local-synth') : options.cacheDir;
  const cacheFile = cacheDir ? join(cacheDir, `${key}.json`) : undefined;
  if (cacheFile && existsSync(cacheFile)) {
    try {
      const templates = JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, CfnTemplate>;
      return { templates, key, cached: true, millis: Date.now() - started };
    } catch {
      // A torn or foreign file: synthesize again and overwrite it.
    }
  }
  const templates = await synthesize(config);
  if (cacheDir && cacheFile) {
    mkdirSync(cacheDir, { recursive: true });
    const temporary = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(templates));
    renameSync(temporary, cacheFile);
    pruneCache(cacheDir);
  }
  return { templates, key, cached: false, millis: Date.now() - started };
}

async function synthesize(config: CrmConfig): Promise<Record<string, CfnTemplate>> {
  // Loaded only on a cache miss: aws-cdk-lib alone takes most of a second to import.
  const { createCrmApp } = await import('../app.ts');
  const context = (JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> })
    .context;
  const outdir = mkdtempSync(join(tmpdir(), 'crm-local-synth-'));
  try {
    // An empty list of bundling stacks: CDK skips every asset's bundling (what `cdk synth
    // --exclusively` with no stack does), which only changes asset hashes and paths.
    // The web stack is left out: the local web gateway (web-gateway.ts) stands in for it, and
    // with no built app to point at, synthesis does not copy web/dist.
    const { WEB_DIST_CONTEXT } = await import('../constructs/web-hosting.ts');
    // Without CDK's built-in CloudFormation validation (10-30 s of CPU in WebAssembly): the
    // local cloud reads the templates only; `cdk synth` and cfn-validation.infra.test.ts validate them.
    const crm = createCrmApp(config, {
      context: { ...context, 'aws:cdk:bundling-stacks': [], [WEB_DIST_CONTEXT]: join(outdir, 'no-web-app') },
      outdir,
      builtinCloudFormationValidation: false,
    });
    crm.app.synth();
    const templates = templatesFromCloudAssembly(outdir);
    delete templates[crm.web.stackName];
    return templates;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const CACHE_MAX_AGE_MS = 7 * 24 * 3600_000;

/** Drops cached templates not written for a week (each edit of the inputs leaves one behind). */
function pruneCache(cacheDir: string): void {
  for (const entry of readdirSync(cacheDir)) {
    const path = join(cacheDir, entry);
    try {
      if (Date.now() - statSync(path).mtimeMs > CACHE_MAX_AGE_MS) rmSync(path, { force: true });
    } catch {
      // Gone already (another process pruned it).
    }
  }
}

/** sha-256 over the config and every file under SYNTH_INPUTS (path and content). */
export function synthInputsHash(config: CrmConfig): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(config));
  const visit = (path: string) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) {
        if (entry === 'node_modules' || entry.startsWith('.')) continue;
        visit(join(path, entry));
      }
      return;
    }
    hash.update(`\0${relative(REPO_ROOT, path)}\0`);
    hash.update(readFileSync(path));
  };
  for (const input of SYNTH_INPUTS) visit(join(REPO_ROOT, input));
  return hash.digest('hex');
}

/** The names the templates give the resources the functions reach, as the local cloud must name them. */
export interface TemplateResourceNames extends LocalResourceNames {
  /** The on-failure destination of the table stream's event source mapping (an SQS queue name). */
  readonly streamOnFailureQueue: string;
  /** Each bus consumer's async on-failure destination (SQS queue name), by deployed function name. */
  readonly asyncOnFailureQueues: Readonly<Record<string, string>>;
  /** The live notifications WebSocket API: its id (as the policies name it) and its stage. */
  readonly liveWebSocket: { readonly apiId: string; readonly stageName: string };
  /** The mail queue as the stack makes it, and how its event source mapping drains it. */
  readonly mailQueue: LocalQueueMapping;
  /** The import queue (batches of CSV rows), likewise. */
  readonly importQueue: LocalQueueMapping;
  /** The bulk operations queue (batches of records), likewise. */
  readonly bulkQueue: LocalQueueMapping;
  /** The export queue (slices of CSV exports), likewise. */
  readonly exportQueue: LocalQueueMapping;
  /** The Sell import queue (slices of Sell imports), likewise. */
  readonly sellImportQueue: LocalQueueMapping;
}

/** An SQS queue with a Lambda event source mapping, as the templates configure both. */
export interface LocalQueueMapping {
  readonly queueName: string;
  readonly deadLetterQueueName: string;
  readonly maxReceiveCount: number;
  readonly delaySeconds: number;
  readonly visibilityTimeoutSeconds: number;
  /** The deployed name of the function the mapping invokes. */
  readonly functionName: string;
  readonly batchSize: number;
  readonly maximumConcurrency: number;
}

/**
 * Reads the physical names of the app's single table, bus, schedule group and SES
 * configuration set, and the stream mapping's on-failure queue, from the templates.
 * Throws when a template holds none or several of one of them.
 */
export function templateResourceNames(options: TemplateResolverOptions): TemplateResourceNames {
  const resolver = new TemplateResolver(options);
  const only = (type: string): { stackName: string; logicalId: string } => {
    const found = Object.entries(options.templates).flatMap(([stackName, template]) =>
      Object.entries(template.Resources ?? {})
        .filter(([, resource]) => resource.Type === type)
        .map(([logicalId]) => ({ stackName, logicalId })),
    );
    if (found.length !== 1) throw new Error(`the templates hold ${found.length} resources of type ${type}, not one`);
    return found[0]!;
  };
  const name = (type: string) => {
    const { stackName, logicalId } = only(type);
    return resolver.physicalName(stackName, logicalId);
  };
  const mappings = Object.entries(options.templates).flatMap(([stackName, template]) =>
    Object.entries(template.Resources ?? {})
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::EventSourceMapping')
      .map(([logicalId, resource]) => ({ stackName, logicalId, properties: resource.Properties ?? {} })),
  );
  // The table stream's mapping has a starting position; an SQS queue's has none.
  const streams = mappings.filter((m) => m.properties.StartingPosition !== undefined);
  const queues = mappings.filter((m) => m.properties.StartingPosition === undefined);
  if (streams.length !== 1 || queues.length !== 5) {
    throw new Error(`the templates hold ${streams.length} stream and ${queues.length} queue event source mappings, not 1 and 5`);
  }
  const mapping = streams[0]!;
  const queueMappings = queues.map((q) => queueMapping(resolver, options.templates, q));
  const drainedBy = (suffix: string): LocalQueueMapping => {
    const found = queueMappings.find((q) => q.functionName.endsWith(suffix));
    if (!found) throw new Error(`no queue event source mapping invokes a function named *${suffix}`);
    return found;
  };
  const mailQueue = drainedBy('-mail-sender');
  const importQueue = drainedBy('-import-worker');
  const bulkQueue = drainedBy('-bulk-worker');
  const exportQueue = drainedBy('-export-worker');
  const sellImportQueue = drainedBy('-sell-import-worker');
  const mappingProperties = resolver.resource(mapping.stackName, mapping.logicalId).Properties ?? {};
  const destination = (mappingProperties.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure
    ?.Destination;
  if (destination === undefined) throw new Error(`the event source mapping ${mapping.logicalId} has no on-failure destination`);
  const queueArn = resolver.resolveString(destination, mapping.stackName, `${mapping.logicalId} on-failure destination`);
  const asyncOnFailureQueues: Record<string, string> = {};
  for (const [stackName, template] of Object.entries(options.templates)) {
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      if (resource.Type !== 'AWS::Lambda::EventInvokeConfig') continue;
      const properties = resource.Properties ?? {};
      const target = (properties.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure
        ?.Destination;
      if (target === undefined) continue;
      const functionName = resolver.resolveString(properties.FunctionName, stackName, `${logicalId}.FunctionName`);
      asyncOnFailureQueues[functionName] = queueName(resolver.resolveString(target, stackName, `${logicalId} on-failure`));
    }
  }
  const webSockets = Object.entries(options.templates).flatMap(([stackName, template]) =>
    Object.entries(template.Resources ?? {})
      .filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Api' && r.Properties?.ProtocolType === 'WEBSOCKET')
      .map(([logicalId]) => ({ stackName, logicalId })),
  );
  if (webSockets.length !== 1) throw new Error(`the templates hold ${webSockets.length} WebSocket APIs, not one`);
  const webSocket = webSockets[0]!;
  const liveApiId = resolver.ref(webSocket.stackName, webSocket.logicalId);
  const stages = Object.values(resolver.template(webSocket.stackName).Resources ?? {}).filter(
    (r) =>
      r.Type === 'AWS::ApiGatewayV2::Stage' &&
      resolver.resolve(r.Properties?.ApiId, webSocket.stackName) === liveApiId &&
      r.Properties?.StageName !== undefined,
  );
  if (stages.length !== 1) throw new Error(`the WebSocket API ${webSocket.logicalId} has ${stages.length} stages, not one`);
  const liveStage = resolver.resolveString(stages[0]!.Properties!.StageName, webSocket.stackName, 'the WebSocket stage name');
  return {
    liveWebSocket: { apiId: liveApiId, stageName: liveStage },
    ...reminderTargetNames(resolver, options.templates),
    tableName: name('AWS::DynamoDB::Table'),
    eventBusName: name('AWS::Events::EventBus'),
    scheduleGroupName: name('AWS::Scheduler::ScheduleGroup'),
    sesConfigurationSet: name('AWS::SES::ConfigurationSet'),
    filesBucketName: name('AWS::S3::Bucket'),
    streamOnFailureQueue: queueName(queueArn),
    asyncOnFailureQueues,
    mailQueue,
    importQueue,
    bulkQueue,
    exportQueue,
    sellImportQueue,
  };
}

function queueMapping(
  resolver: TemplateResolver,
  templates: Readonly<Record<string, CfnTemplate>>,
  mapping: { stackName: string; logicalId: string; properties: Record<string, unknown> },
): LocalQueueMapping {
  const { stackName, logicalId, properties } = mapping;
  const queueArn = resolver.resolveString(properties.EventSourceArn, stackName, `${logicalId}.EventSourceArn`);
  const name = queueName(queueArn);
  // The queue may live in another stack than its mapping (the stateful one, named there by ARN).
  const found = Object.entries(templates).flatMap(([queueStack, template]) =>
    Object.entries(template.Resources ?? {})
      .filter(([id, r]) => r.Type === 'AWS::SQS::Queue' && resolver.physicalName(queueStack, id) === name)
      .map(([, r]) => ({ queueStack, queue: r })),
  );
  if (found.length !== 1) throw new Error(`the templates hold ${found.length} queues named ${name} (of ${logicalId}), not one`);
  const { queueStack, queue } = found[0]!;
  const q = queue.Properties ?? {};
  const redrive = q.RedrivePolicy as { deadLetterTargetArn?: unknown; maxReceiveCount?: number } | undefined;
  if (!redrive?.deadLetterTargetArn) throw new Error(`the queue ${name} has no dead-letter queue`);
  return {
    queueName: name,
    deadLetterQueueName: queueName(resolver.resolveString(redrive.deadLetterTargetArn, queueStack, `${name} DLQ`)),
    maxReceiveCount: Number(redrive.maxReceiveCount),
    delaySeconds: Number(q.DelaySeconds ?? 0),
    visibilityTimeoutSeconds: Number(q.VisibilityTimeout ?? 30),
    functionName: resolver.resolveString(properties.FunctionName, stackName, `${logicalId}.FunctionName`),
    batchSize: Number(properties.BatchSize ?? 10),
    maximumConcurrency: Number(
      (properties.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency ?? 1,
    ),
  };
}

/**
 * What reminder schedules name, as the templates give them to the functions that create
 * schedules: their REMINDER_TARGET_ARN, SCHEDULER_ROLE_ARN and REMINDER_DLQ_ARN variables.
 */
function reminderTargetNames(
  resolver: TemplateResolver,
  templates: Readonly<Record<string, CfnTemplate>>,
): Pick<TemplateResourceNames, 'reminderTargetArn' | 'schedulerRoleArn' | 'reminderDeadLetterQueueArn'> {
  for (const [stackName, template] of Object.entries(templates)) {
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const variables = (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
      if (!variables || variables[RUNTIME_ENV.reminderTargetArn] === undefined) continue;
      const value = (name: string) => resolver.resolveString(variables[name], stackName, `${logicalId} ${name}`);
      return {
        reminderTargetArn: value(RUNTIME_ENV.reminderTargetArn),
        schedulerRoleArn: value(RUNTIME_ENV.schedulerRoleArn),
        reminderDeadLetterQueueArn: value(RUNTIME_ENV.reminderDeadLetterQueueArn),
      };
    }
  }
  throw new Error(`no function of the templates creates reminder schedules (${RUNTIME_ENV.reminderTargetArn})`);
}

function queueName(queueArn: string): string {
  if (!queueArn.startsWith('arn:') || !queueArn.includes(':sqs:')) throw new Error(`${queueArn} is not an SQS queue ARN`);
  return queueArn.slice(queueArn.lastIndexOf(':') + 1);
}
