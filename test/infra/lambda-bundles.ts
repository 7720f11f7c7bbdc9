import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { BUNDLE_ENTRY_FILE } from '#infra/build/bundle.ts';
import { functionSpecs, type FunctionSpec } from '#infra/functions.ts';
import { secretArn } from '#infra/local/iam/arns.ts';
import type { SynthesizedCrmApp } from './crm-app.ts';

// Each synthesized Lambda as AWS would run it: its bundle from cdk.out, and the environment
// its CloudFormation template gives it, with the deploy-time values (cross-stack outputs,
// refs, the secret's dynamic reference) resolved to plausible local ones.

type Json = Record<string, any>;

export interface SynthesizedFunction {
  readonly spec: FunctionSpec;
  readonly logicalId: string;
  readonly functionName: string;
  /** The asset folder (Lambda's /var/task) and its index.mjs. */
  readonly assetDir: string;
  readonly bundle: string;
  /** The template's Environment.Variables, resolved. */
  readonly variables: Record<string, string>;
}

/** What a resolved secret looks like: the stateful stack generates 64 characters. */
export const RESOLVED_SECRET = 'resolved-secret-'.padEnd(64, '0');

/** The account resolved ARNs name (and the local stand-ins serve). */
export const RESOLVED_ACCOUNT = '123456789012';

/** The id a KMS key of the templates resolves to (KMS makes a key's id; the local KMS serves it). */
export const RESOLVED_KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';

/**
 * Every function of both templates (a rotation function lives in the stateful one), one per
 * registry entry, with its variables resolved.
 */
export function synthesizedFunctions(crm: SynthesizedCrmApp, stage: string, region: string): SynthesizedFunction[] {
  const stateless = crm.statelessTemplate.toJSON() as Json;
  const stateful = crm.statefulTemplate.toJSON() as Json;
  return [
    ...Object.entries(stateless.Resources as Record<string, Json>),
    ...Object.entries(stateful.Resources as Record<string, Json>),
  ]
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([logicalId, resource]) => {
      const functionName = resource.Properties.FunctionName as string;
      const spec = functionSpecs.find((s) => functionName === `crm-${stage}-${s.name}`);
      if (!spec) throw new Error(`${functionName} is in the template but not in the registry`);
      const assetDir = join(crm.outdir, `asset.${String(resource.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
      const variables = Object.fromEntries(
        Object.entries((resource.Properties.Environment?.Variables ?? {}) as Record<string, unknown>).map(([name, value]) => [
          name,
          resolveValue(value, { stateful, stateless, region }),
        ]),
      );
      return { spec, logicalId, functionName, assetDir, bundle: join(assetDir, BUNDLE_ENTRY_FILE), variables };
    });
}

/**
 * A template value as CloudFormation would give it at deploy time: Fn::GetStackOutput is
 * followed into the stateful template, a Ref becomes the resource's name (or a plausible id,
 * or a secret's ARN), Fn::Join joins, and a Secrets Manager dynamic reference becomes a secret. Anything else
 * throws, so a new kind of value is noticed here rather than passed on as an object.
 */
export function resolveValue(value: unknown, context: { stateful: Json; stateless?: Json; region: string }): string {
  if (typeof value === 'string') return value.replace(/\{\{resolve:secretsmanager:[^}]*\}\}/g, RESOLVED_SECRET);
  const node = value as Json;
  // The ARN of a resource of the function's own (stateless) template: reminder schedules name
  // the reminders function, the role Scheduler assumes and the reminders' DLQ.
  if (node['Fn::GetAtt'] && context.stateless) {
    const [id, attribute] = node['Fn::GetAtt'] as [string, string];
    const resource = (context.stateless.Resources as Json)[id];
    if (resource && attribute === 'Arn') {
      const props = resource.Properties as Json;
      const at = `${context.region}:${RESOLVED_ACCOUNT}`;
      if (resource.Type === 'AWS::Lambda::Function') return `arn:aws:lambda:${at}:function:${String(props.FunctionName)}`;
      if (resource.Type === 'AWS::SQS::Queue') return `arn:aws:sqs:${at}:${String(props.QueueName)}`;
      if (resource.Type === 'AWS::IAM::Role') return `arn:aws:iam::${RESOLVED_ACCOUNT}:role/crm-stateless-${id}`;
    }
  }
  // A key of the stateful stack (the credentials key), through its output.
  if (node['Fn::GetAtt']) {
    const [id, attribute] = node['Fn::GetAtt'] as [string, string];
    const resource = (context.stateful.Resources as Json)[id];
    if (resource?.Type === 'AWS::KMS::Key' && attribute === 'Arn')
      return `arn:aws:kms:${context.region}:${RESOLVED_ACCOUNT}:key/${RESOLVED_KEY_ID}`;
  }
  if (node['Fn::Join']) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return resolveValue(parts.map((part) => resolveValue(part, context)).join(separator), context);
  }
  if (node['Fn::GetStackOutput']) {
    const { OutputName } = node['Fn::GetStackOutput'] as { OutputName: string };
    const output = (context.stateful.Outputs as Json | undefined)?.[OutputName];
    if (!output) throw new Error(`the stateful stack has no output ${OutputName}`);
    return resolveValue(output.Value, context);
  }
  if (node.Ref === 'AWS::Region') return context.region;
  if (node.Ref === 'AWS::URLSuffix') return 'amazonaws.com';
  if (node.Ref) {
    // Pseudo parameters (the files bucket's name carries the account and region).
    if (node.Ref === 'AWS::AccountId') return RESOLVED_ACCOUNT;
    if (node.Ref === 'AWS::Region') return context.region;
    if (node.Ref === 'AWS::Partition') return 'aws';
    const resource =
      (context.stateful.Resources as Json)[node.Ref as string] ??
      (context.stateless?.Resources as Json | undefined)?.[node.Ref as string];
    if (!resource) throw new Error(`no resource ${String(node.Ref)} to resolve`);
    const props = resource.Properties as Json;
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
        return props.TableName as string;
      case 'AWS::Events::EventBus':
      case 'AWS::SES::ConfigurationSet':
      case 'AWS::Scheduler::ScheduleGroup':
        return props.Name as string;
      case 'AWS::Cognito::UserPool':
        return `${context.region}_Pool${String(node.Ref).slice(0, 6)}`;
      case 'AWS::Cognito::UserPoolClient':
        return `client${String(node.Ref).slice(0, 6).toLowerCase()}`;
      case 'AWS::ApiGatewayV2::Api':
        return 'a1b2c3d4e5';
      case 'AWS::SQS::Queue':
        // A queue's Ref is its URL.
        return `https://sqs.${context.region}.amazonaws.com/${RESOLVED_ACCOUNT}/${String(props.QueueName)}`;
      case 'AWS::SecretsManager::Secret':
        // The local form of a secret's ARN (a fixed suffix), so the local Secrets Manager serves it.
        return secretArn({ accountId: RESOLVED_ACCOUNT, region: context.region }, props.Name as string);
    }
    throw new Error(`cannot resolve a Ref to a ${String(resource.Type)}`);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

export type Answer = { type: 'result'; value: unknown } | { type: 'error'; error: { name: string; message: string } };

/** A bundle running in its own process (a cold Lambda sandbox). */
export interface BundleProcess {
  /** The error of the module's init, if it failed (then every invocation fails with it). */
  readonly initError: { name: string; message: string } | undefined;
  invoke(event: unknown): Promise<Answer>;
  /** What the function wrote to stdout and stderr so far. */
  logs(): string;
  close(): Promise<void>;
}

const RUNNER = join(import.meta.dirname, 'bundle-runner.ts');

/** Starts the bundle in a fresh process with exactly `env`, and waits for its init. */
export async function startBundle(fn: SynthesizedFunction, env: Record<string, string>): Promise<BundleProcess> {
  const child = spawn(process.execPath, [RUNNER, fn.bundle], {
    cwd: fn.assetDir,
    env,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdio[3] as Readable })[Symbol.asyncIterator]();
  const next = async (): Promise<Json> => {
    const line = await Promise.race([lines.next(), exited.then(() => ({ done: true, value: undefined }))]);
    if (line.done || line.value === undefined) throw new Error(`${fn.functionName} exited unexpectedly:\n${logs}`);
    return JSON.parse(line.value) as Json;
  };
  const first = await next();
  const initError = first.type === 'init-error' ? (first.error as { name: string; message: string }) : undefined;
  const input = child.stdio[0] as Writable;
  let queue = Promise.resolve();
  return {
    initError,
    invoke(event) {
      if (initError) return Promise.resolve({ type: 'error', error: initError });
      // One event at a time, as one sandbox runs them.
      const answer = queue.then(async () => {
        input.write(`${JSON.stringify(event)}\n`);
        return (await next()) as Answer;
      });
      queue = answer.then(
        () => undefined,
        () => undefined,
      );
      return answer;
    },
    logs: () => logs,
    async close() {
      input.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
