import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { PolicyViolation } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionSpecs } from '#infra/functions.ts';
import {
  acknowledge,
  acknowledgeLambdaDeadLetterFindings,
  acknowledgments,
  addNagChecks,
  MIN_REASON_LENGTH,
  nagPacks,
  type RecordedAcknowledgment,
} from '#infra/nag.ts';
import { cdkContext, synthCrmApp, type SynthesizedCrmApp } from './crm-app.ts';

// cdk-nag 3 reports through CDK's policy validation, not through annotations: synthesis
// itself fails on an unacknowledged finding (synthCrmApp would throw), and the pack can be
// run directly on the synthesized tree to list what it finds.

let crm: SynthesizedCrmApp;
let recorded: RecordedAcknowledgment[];

beforeAll(() => {
  crm = synthCrmApp();
  recorded = acknowledgments(crm.app);
});
afterAll(() => crm?.dispose());

/** The findings of both packs on a tree, acknowledged ones included when `ignoreAcknowledgments`. */
function findings(root: Stack | App, ignoreAcknowledgments = false): PolicyViolation[] {
  return nagPacks().flatMap((checks) => {
    if (ignoreAcknowledgments) {
      // A private method of NagPack; replaced here only to see what the acknowledgments hide.
      (checks as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    }
    return [...checks.validateScope(root).violations];
  });
}

describe('cdk-nag AwsSolutions and Serverless', () => {
  it('leaves no unacknowledged error or warning', () => {
    const open = findings(crm.app).map(
      (v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(open).toEqual([]);
  });

  it('has a reason of at least 10 characters for every acknowledgment', () => {
    expect(recorded.length).toBeGreaterThan(0);
    for (const ack of recorded) {
      expect(ack.reason.trim().length, `${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(MIN_REASON_LENGTH);
    }
  });

  it('acknowledges only findings that exist (no stale acknowledgment)', () => {
    const raw = findings(crm.app, true);
    expect(raw.length).toBeGreaterThan(0);
    for (const ack of recorded) {
      const hit = raw.some(
        (v) =>
          v.ruleName === ack.id &&
          v.violatingResources.some((r) => r.constructPath === ack.path || r.constructPath?.startsWith(`${ack.path}/`)),
      );
      expect(hit, `${ack.id} acknowledged at ${ack.path} matches no finding`).toBe(true);
    }
  });

  it('fails synthesis on an unacknowledged finding', () => {
    const app = new App({ context: cdkContext });
    const stack = new Stack(app, 'nag-probe', { env: { region: 'eu-west-1' } });
    new sqs.Queue(stack, 'PlainQueue');
    addNagChecks(app);
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3|AwsSolutions-SQS4/);
  });

  it('runs the Serverless pack at synthesis too', () => {
    const app = new App({ context: cdkContext });
    const stack = new Stack(app, 'nag-probe', { env: { region: 'eu-west-1' } });
    // An e-mail subscription without a redrive policy: a Serverless finding, not an AwsSolutions one.
    new sns.CfnSubscription(stack, 'Subscription', {
      protocol: 'email',
      endpoint: 'ops@example.com',
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:probe',
    });
    addNagChecks(app);
    expect(() => app.synth()).toThrow(/Serverless-SNSRedrivePolicy/);
  });

  it('acknowledges a DLQ finding of both packs with one reason', () => {
    const queue = new sqs.Queue(new Stack(new App(), 'same-finding'), 'Dlq');
    acknowledge(queue, { id: 'AwsSolutions-SQS3', reason: 'This queue is a dead-letter queue of the probe.' });
    const acked = acknowledgments(queue).map((a) => [a.id, a.reason]);
    expect(acked).toEqual([
      ['AwsSolutions-SQS3', 'This queue is a dead-letter queue of the probe.'],
      ['Serverless-SQSRedrivePolicy', 'This queue is a dead-letter queue of the probe.'],
    ]);
  });

  it('refuses an acknowledgment without a real reason', () => {
    const stack = new Stack(new App(), 'reasons');
    expect(() => acknowledge(stack, { id: 'AwsSolutions-SQS3', reason: 'because' })).toThrow(/real reason/);
  });
});

describe('Serverless-LambdaDLQ (no DeadLetterConfig)', () => {
  const lambdaDlqAcks = (path: string) =>
    recorded.filter((a) => a.id === 'Serverless-LambdaDLQ' && a.path === path).map((a) => a.reason);
  const whyMoot: Record<string, RegExp> = {
    http: /synchronously, by API Gateway/,
    stream: /event source mapping/,
    deploy: /CloudFormation/,
  };

  it('is acknowledged on HTTP, stream and deploy functions, for how they are invoked', () => {
    for (const spec of functionSpecs.filter((s) => s.kind in whyMoot)) {
      const fn = crm.stateless.node.findAll().find((n) => (n as { spec?: unknown }).spec === spec);
      expect(fn, spec.name).toBeDefined();
      const reasons = lambdaDlqAcks(fn!.node.path);
      expect(reasons, spec.name).toHaveLength(1);
      expect(reasons[0]).toMatch(whyMoot[spec.kind]!);
    }
  });

  /** A probe function of a registry kind, with or without an on-failure destination. */
  function probe(kind: string, destination: boolean): lambda.Function {
    const stack = new Stack(new App(), `probe-${kind}-${destination}`);
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('export const handler = async () => {};'),
      timeout: Duration.seconds(3),
    });
    Object.assign(fn, { spec: { kind } });
    if (destination) fn.configureAsyncInvoke({ onFailure: new SqsDestination(new sqs.Queue(stack, 'Failed')) });
    acknowledgeLambdaDeadLetterFindings(stack);
    return fn;
  }
  const acked = (fn: lambda.Function) => acknowledgments(fn).some((a) => a.id === 'Serverless-LambdaDLQ');

  it('stays open on a bus consumer without an on-failure destination, and is acknowledged once it has one', () => {
    expect(acked(probe('event', false))).toBe(false);
    expect(acked(probe('scheduled', false))).toBe(false);
    const withDestination = probe('event', true);
    expect(acked(withDestination)).toBe(true);
    expect(acknowledgments(withDestination).find((a) => a.id === 'Serverless-LambdaDLQ')!.reason).toMatch(
      /on-failure destination/,
    );
  });

  it('stays open on a function the registry does not know', () => {
    expect(acked(probe('unknown', false))).toBe(false);
  });
});
