import { Stack, Validations, type Acknowledgment, type Stage } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
// cdk-nag's own rendering of a resource in IAM5 findings (no exports map: a deep import).
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

// cdk-nag 3 is a CDK policy-validation plugin: it runs at the end of synthesis, and any
// unacknowledged error fails `cdk synth`; with "@aws-cdk/core:strictCfnValidateErrors" on
// (cdk.json) warnings fail it too. Findings are acknowledged next to the construct they are
// about, each with the reason it is acceptable, through `acknowledge` below.

export const MIN_REASON_LENGTH = 10;

/** Runs the AWS Solutions rules on everything in the app (or stage). */
export function addNagChecks(scope: Stage): AwsSolutionsChecks {
  const checks = new AwsSolutionsChecks(scope, { verbose: true });
  Validations.of(scope).addPlugins(checks);
  return checks;
}

/** Acknowledges cdk-nag findings on a construct and everything under it; a reason is mandatory. */
export function acknowledge(scope: IConstruct, ...rules: Acknowledgment[]): void {
  for (const rule of rules) {
    if (rule.reason.trim().length < MIN_REASON_LENGTH) {
      throw new Error(
        `acknowledging ${rule.id} on ${scope.node.path} needs a real reason (at least ${MIN_REASON_LENGTH} characters)`,
      );
    }
  }
  Validations.of(scope).acknowledge(...rules);
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
