import { App, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { PolicyViolation } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acknowledge, acknowledgments, addNagChecks, MIN_REASON_LENGTH, type RecordedAcknowledgment } from '#infra/nag.ts';
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

/** The AWS Solutions findings of a tree, acknowledged ones included when `ignoreAcknowledgments`. */
function findings(root: App, ignoreAcknowledgments = false): PolicyViolation[] {
  const checks = new AwsSolutionsChecks();
  if (ignoreAcknowledgments) {
    // A private method of NagPack; replaced here only to see what the acknowledgments hide.
    (checks as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  }
  return [...checks.validateScope(root).violations];
}

describe('cdk-nag AwsSolutions', () => {
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

  it('refuses an acknowledgment without a real reason', () => {
    const stack = new Stack(new App(), 'reasons');
    expect(() => acknowledge(stack, { id: 'AwsSolutions-SQS3', reason: 'because' })).toThrow(/real reason/);
  });
});
