// The ARNs the local cloud gives its resources, in one place: the template resolver
// (template-policies.ts) builds the policies' ARNs with them and the request mapper
// (requests.ts) builds the requested resources' ARNs with them, so the two always agree.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html

/** The account and region the local cloud pretends to run in. */
export interface AwsScope {
  /** 12 digits; the local cloud's account (any fixed value, e.g. "000000000000"). */
  readonly accountId: string;
  readonly region: string;
  /** "aws" unless told otherwise. */
  readonly partition?: string;
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>`; IAM and STS ARNs have no region. */
export function arn(scope: AwsScope, service: string, resource: string): string {
  const region = service === 'iam' || service === 'sts' ? '' : scope.region;
  return `arn:${scope.partition ?? 'aws'}:${service}:${region}:${scope.accountId}:${resource}`;
}

/**
 * Secrets Manager appends "-" and 6 random characters to a secret's name in its ARN. Locally
 * the suffix is fixed, so a policy's ARN and a request's ARN for the same name are equal.
 */
export const LOCAL_SECRET_SUFFIX = '-LOCAL0';

export function secretArn(scope: AwsScope, name: string): string {
  return arn(scope, 'secretsmanager', `secret:${name}${LOCAL_SECRET_SUFFIX}`);
}

/** The secret's name from a full ARN (suffix dropped), a partial ARN, or the name itself. */
export function secretNameOf(secretId: string): string {
  const match = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+)$/.exec(secretId);
  if (!match) return secretId;
  // A full ARN ends in "-" and 6 characters; a partial ARN (the name only) does not.
  return match[1]!.replace(/-[A-Za-z0-9]{6}$/, '');
}

/** The principal an AccessDenied message names for a Lambda function's execution role. */
export function assumedRoleArn(scope: AwsScope, roleName: string, sessionName: string): string {
  return arn(scope, 'sts', `assumed-role/${roleName}/${sessionName}`);
}

/** A bucket's ARN, or an object's with `key`: `arn:aws:s3:::<bucket>[/<key>]` (no region, no account). */
export function s3Arn(scope: Pick<AwsScope, 'partition'>, bucket: string, key?: string): string {
  return `arn:${scope.partition ?? 'aws'}:s3:::${bucket}${key === undefined ? '' : `/${key}`}`;
}
