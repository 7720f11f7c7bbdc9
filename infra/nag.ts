import { Aspects, Stack, Validations, type Acknowledgment, type Stage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
// cdk-nag's own rendering of a resource in IAM5 findings (no exports map: a deep import).
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';
import type { FunctionKind } from '#infra/functions.ts';

// cdk-nag 3 is a CDK policy-validation plugin: it runs at the end of synthesis, and any
// unacknowledged error fails `cdk synth`; with "@aws-cdk/core:strictCfnValidateErrors" on
// (cdk.json) warnings fail it too. Two packs run: AwsSolutions (security) and Serverless
// (failure handling, limits, tracing). Findings are acknowledged next to the construct they are
// about, each with the reason it is acceptable, through `acknowledge` below.

export const MIN_REASON_LENGTH = 10;

/** The packs `addNagChecks` runs; without a scope, for tests that run them on a tree directly. */
export function nagPacks(scope?: IConstruct): [AwsSolutionsChecks, ServerlessChecks] {
  return [new AwsSolutionsChecks(scope, { verbose: true }), new ServerlessChecks(scope, { verbose: true })];
}

/**
 * Runs the AWS Solutions and Serverless rules on everything in the app (or stage), after
 * acknowledging Serverless-LambdaDLQ where it is moot (see below) on the finished tree.
 */
export function addNagChecks(scope: Stage): [AwsSolutionsChecks, ServerlessChecks] {
  const packs = nagPacks(scope);
  Validations.of(scope).addPlugins(...packs);
  // Aspects run at synthesis, before the validation plugins: functions added after this call
  // (a test's probe, a later stack) are seen too.
  Aspects.of(scope).add({ visit: (node) => node === scope && acknowledgeLambdaDeadLetterFindings(scope) });
  return packs;
}

/**
 * Rules of the two packs that check the same property of the same resource: acknowledging the
 * first acknowledges the others with the same reason, so one reason is written once.
 */
const SAME_FINDING: Record<string, readonly string[]> = {
  // Both: "this queue has no dead-letter queue of its own".
  'AwsSolutions-SQS3': ['Serverless-SQSRedrivePolicy'],
};

/** Acknowledges cdk-nag findings on a construct and everything under it; a reason is mandatory. */
export function acknowledge(scope: IConstruct, ...rules: Acknowledgment[]): void {
  for (const rule of rules) {
    if (rule.reason.trim().length < MIN_REASON_LENGTH) {
      throw new Error(
        `acknowledging ${rule.id} on ${scope.node.path} needs a real reason (at least ${MIN_REASON_LENGTH} characters)`,
      );
    }
  }
  const same = rules.flatMap((rule) => (SAME_FINDING[rule.id] ?? []).map((id) => ({ id, reason: rule.reason })));
  Validations.of(scope).acknowledge(...rules, ...same);
}

/**
 * Why Serverless-LambdaDLQ (no DeadLetterConfig) does not apply, by how the registry's kinds of
 * function are invoked. Kinds invoked asynchronously by the bus or Scheduler are absent: for
 * them the finding is acknowledged only when an on-failure destination really exists.
 */
const SYNCHRONOUS_OR_VISIBLE: Partial<Record<FunctionKind, string>> = {
  http: "Invoked only synchronously, by API Gateway: a DeadLetterConfig applies to asynchronous invocations, which this function never receives; a failed request is the caller's 5xx and counts in the Errors and API 5xx-rate alarms.",
  stream:
    "Invoked synchronously by its event source mapping (the table stream), never asynchronously: batches that fail every retry go to the mapping's on-failure destination (checked by Serverless-LambdaEventSourceMappingDestination), which a DeadLetterConfig would not see.",
  queue:
    "Invoked synchronously by its SQS event source mapping, never asynchronously: a message that fails its receives goes to the queue's own dead-letter queue (its redrive policy), which the monitoring stack alarms on; a DeadLetterConfig would not see it.",
  ops: "Invoked only by an operator, synchronously (aws lambda invoke, RequestResponse): its answer is the redrive report, and a failure is the operator's error on screen, not an event to keep.",
  deploy:
    "Invoked asynchronously by CloudFormation for custom-resource requests only: a request still failing after Lambda's retries fails the deploy itself (a FAILED answer, or none until the service timeout), so whoever deploys sees it, and a queued CloudFormation request could not be replayed once the stack has rolled back.",
  authorizer:
    "Invoked only synchronously, by API Gateway, as the HTTP API's authorizer: a failure is the caller's refused request (403, or 500 on an error), counted in the API's 4xx/5xx; there is no event to keep.",
  websocket:
    "Invoked only synchronously, by the live notifications WebSocket API (its $connect authorizer and its routes): a failure is the client's refused or closed connection, and the client reconnects and refetches the inbox; there is no event to keep.",
  rotation:
    'Invoked by Secrets Manager, once per rotation step, with nothing but the secret and the version: a failed step leaves the new key AWSPENDING (unused) and the keys in use unchanged; Secrets Manager marks the rotation failed (RotationFailed in CloudTrail) and tries again, so there is no event worth keeping.',
};

const ON_FAILURE_DESTINATION_REASON =
  'Asynchronous failures go to the on-failure destination of its EventInvokeConfig (an invocation record with the event and the error, checked by Serverless-LambdaAsyncFailureDestination); a DeadLetterConfig would be a second, poorer copy.';

/**
 * Acknowledges Serverless-LambdaDLQ on each CRM function whose invocation makes it moot (see
 * above), and on any function with an on-failure destination for async invocations; a bus
 * consumer without a destination keeps its finding, and fails synth. `addNagChecks` runs it.
 */
export function acknowledgeLambdaDeadLetterFindings(root: IConstruct): void {
  const destinations = asyncFailureDestinations(root);
  for (const node of root.node.findAll()) {
    if (!(node instanceof lambda.Function)) continue;
    const kind = (node as { spec?: { kind?: FunctionKind } }).spec?.kind;
    const reason = destinations.has(node) ? ON_FAILURE_DESTINATION_REASON : kind && SYNCHRONOUS_OR_VISIBLE[kind];
    if (reason) acknowledge(node, { id: 'Serverless-LambdaDLQ', reason });
  }
}

/** Functions with an EventInvokeConfig that names an on-failure destination. */
function asyncFailureDestinations(root: IConstruct): Set<lambda.Function> {
  const configured = new Set<string>();
  for (const node of root.node.findAll()) {
    if (!(node instanceof lambda.CfnEventInvokeConfig)) continue;
    const destination = Stack.of(node).resolve(node.destinationConfig) as { onFailure?: { destination?: unknown } } | undefined;
    if (destination?.onFailure?.destination) configured.add(referenceKey(node, node.functionName));
  }
  const found = new Set<lambda.Function>();
  for (const node of root.node.findAll()) {
    if (node instanceof lambda.Function && configured.has(referenceKey(node, node.functionName))) found.add(node);
  }
  return found;
}

function referenceKey(scope: IConstruct, value: unknown): string {
  return `${Stack.of(scope).stackName}:${JSON.stringify(Stack.of(scope).resolve(value))}`;
}

/**
 * The id of the AwsSolutions-IAM5 finding a wildcard resource ARN produces, for acknowledging
 * it where the grant is made. Only for ARNs made of literals and pseudo parameters (resolved
 * now, not after cross-stack references are wired).
 */
export function wildcardResourceFinding(scope: IConstruct, resourceArn: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(resourceArn))}]`;
}

export interface RecordedAcknowledgment {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every acknowledgment recorded in a construct tree (for tests and reviews). */
export function acknowledgments(root: IConstruct): RecordedAcknowledgment[] {
  const found: RecordedAcknowledgment[] = [];
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ path: construct.node.path, id: id.replace(/^annotation::/i, ''), reason });
      }
    }
  }
  return found;
}
