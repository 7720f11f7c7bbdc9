// IAM identity-policy evaluation for the local cloud, pure: the statements of one role against
// one (action, resource, condition context). It implements the part of AWS's evaluation logic
// that applies to a Lambda execution role calling a service of its own account with no
// resource policy, permissions boundary, session policy or SCP in play:
//
//   1. an explicit Deny in any statement wins;
//   2. otherwise an Allow in any statement allows;
//   3. otherwise the request is implicitly denied.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
//
// What it cannot evaluate faithfully (Principal in an identity policy, policy variables,
// numeric/date/IP conditions, condition keys no local request carries) is refused by
// checkStatement with an UnsupportedPolicyError, never guessed.

export type Effect = 'Allow' | 'Deny';

/** A condition value as policies spell it: strings, or booleans and numbers compared as strings. */
export type ConditionValue = string | boolean | number;

/** `{ operator: { key: value | values } }`, e.g. `{ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } }`. */
export type ConditionBlock = Readonly<Record<string, Readonly<Record<string, ConditionValue | readonly ConditionValue[]>>>>;

/** One statement of an identity policy, with every intrinsic function already resolved to strings. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: Effect;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: ConditionBlock;
}

/**
 * The request context's condition keys (names compare case-insensitively, as in AWS); a
 * multivalued key is an array. A key that is absent is absent from the request.
 */
export type RequestContext = Readonly<Record<string, string | readonly string[]>>;

/** One authorization AWS makes for a request: a request may need several (a transaction's items). */
export interface AuthorizationRequest {
  /** `service:Operation`, e.g. `dynamodb:PutItem`. */
  readonly action: string;
  /** The resource's ARN, or `*` for actions that support no resource-level permissions. */
  readonly resource: string;
  readonly context?: RequestContext;
}

export type Decision =
  | { readonly effect: 'allow'; readonly statement: Statement }
  | { readonly effect: 'explicit-deny'; readonly statement: Statement }
  | { readonly effect: 'implicit-deny' };

/** A statement this evaluator refuses to judge, rather than judging it wrongly. */
export class UnsupportedPolicyError extends Error {
  override readonly name = 'UnsupportedPolicyError';
}

/**
 * The condition keys local requests carry (see requests.ts): a condition on any other key
 * would silently evaluate as "key absent", so checkStatement refuses it instead.
 */
export const SUPPORTED_CONDITION_KEYS: readonly string[] = [
  'aws:PrincipalArn',
  'aws:PrincipalAccount',
  'aws:PrincipalType',
  'aws:RequestedRegion',
  'aws:SecureTransport',
  'iam:PassedToService',
  'events:source',
  'events:detail-type',
  'kms:EncryptionContextKeys',
];

/** Condition keys named by a prefix: KMS's kms:EncryptionContext:<context key>, whatever the context key. */
export const SUPPORTED_CONDITION_KEY_PREFIXES: readonly string[] = ['kms:EncryptionContext:'];

const SUPPORTED_OPERATORS = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'ArnEquals',
  'ArnNotEquals',
  'ArnLike',
  'ArnNotLike',
  'Bool',
]);

/**
 * Throws UnsupportedPolicyError unless the statement is a well-formed identity-policy statement
 * this evaluator judges exactly as AWS does: Effect Allow or Deny, exactly one of Action and
 * NotAction and of Resource and NotResource, no Principal, no policy variables, and conditions
 * only with the string, ARN, Bool and Null operators (optionally ...IfExists, ForAllValues:,
 * ForAnyValue:) on `supportedKeys`.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 */
export function checkStatement(statement: Statement, supportedKeys: readonly string[] = SUPPORTED_CONDITION_KEYS): void {
  const where = statement.Sid ? `statement "${statement.Sid}": ` : '';
  const raw = statement as unknown as Record<string, unknown>;
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    throw new UnsupportedPolicyError(`${where}Effect must be "Allow" or "Deny", got ${JSON.stringify(raw.Effect)}`);
  }
  if ('Principal' in raw || 'NotPrincipal' in raw) {
    throw new UnsupportedPolicyError(`${where}Principal/NotPrincipal belong to resource policies, not identity policies`);
  }
  if ((statement.Action === undefined) === (statement.NotAction === undefined)) {
    throw new UnsupportedPolicyError(`${where}exactly one of Action and NotAction is required`);
  }
  if ((statement.Resource === undefined) === (statement.NotResource === undefined)) {
    throw new UnsupportedPolicyError(`${where}exactly one of Resource and NotResource is required`);
  }
  for (const action of list(statement.Action ?? statement.NotAction)) {
    if (typeof action !== 'string' || (action !== '*' && !/^[a-z0-9-]+:[A-Za-z0-9*?]+$/i.test(action))) {
      throw new UnsupportedPolicyError(
        `${where}${JSON.stringify(action)} is not an action ("service:Action", wildcards allowed)`,
      );
    }
  }
  for (const resource of list(statement.Resource ?? statement.NotResource)) {
    if (typeof resource !== 'string') {
      throw new UnsupportedPolicyError(`${where}resource ${JSON.stringify(resource)} is not a string (unresolved intrinsic?)`);
    }
    if (/\$\{(?![*?$]\})/.test(resource)) {
      throw new UnsupportedPolicyError(`${where}policy variables (${resource}) are not evaluated locally`);
    }
  }
  const known = new Set(supportedKeys.map((k) => k.toLowerCase()));
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    const { base } = parseOperator(operator);
    if (!SUPPORTED_OPERATORS.has(base) && base !== 'Null') {
      throw new UnsupportedPolicyError(
        `${where}condition operator ${operator} is not evaluated locally (supported: ${[...SUPPORTED_OPERATORS, 'Null'].join(', ')}, with IfExists, ForAllValues:, ForAnyValue:)`,
      );
    }
    for (const [key, values] of Object.entries(keys)) {
      const prefixed =
        supportedKeys === SUPPORTED_CONDITION_KEYS &&
        SUPPORTED_CONDITION_KEY_PREFIXES.some((p) => key.toLowerCase().startsWith(p.toLowerCase()));
      if (!known.has(key.toLowerCase()) && !prefixed) {
        throw new UnsupportedPolicyError(
          `${where}condition key ${key} is not in the local request context (supported: ${supportedKeys.join(', ')})`,
        );
      }
      for (const value of list(values)) {
        if (typeof value === 'string' && /\$\{(?![*?$]\})/.test(value)) {
          throw new UnsupportedPolicyError(`${where}policy variables (${value}) are not evaluated locally`);
        }
      }
    }
  }
}

/**
 * The decision for one authorization: explicit deny if a Deny statement applies, else allow if
 * an Allow statement applies, else implicit deny. A statement applies when its action, its
 * resource and all its conditions match. Statements should have passed checkStatement.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
 */
export function evaluate(statements: readonly Statement[], request: AuthorizationRequest): Decision {
  const applicable = statements.filter((s) => applies(s, request));
  const deny = applicable.find((s) => s.Effect === 'Deny');
  if (deny) return { effect: 'explicit-deny', statement: deny };
  const allow = applicable.find((s) => s.Effect === 'Allow');
  if (allow) return { effect: 'allow', statement: allow };
  return { effect: 'implicit-deny' };
}

function applies(statement: Statement, request: AuthorizationRequest): boolean {
  const actionHit = statement.Action
    ? list(statement.Action).some((p) => matchesAction(p, request.action))
    : !list(statement.NotAction).some((p) => matchesAction(p, request.action));
  if (!actionHit) return false;
  const resourceHit = statement.Resource
    ? list(statement.Resource).some((p) => matchesResource(p, request.resource))
    : !list(statement.NotResource).some((p) => matchesResource(p, request.resource));
  if (!resourceHit) return false;
  return conditionsHold(statement.Condition ?? {}, request.context ?? {});
}

/**
 * Action matching: `*` matches any run of characters and `?` one character, and the comparison
 * ignores case ("dynamodb:getitem" grants dynamodb:GetItem).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
 */
export function matchesAction(pattern: string, action: string): boolean {
  if (pattern === '*') return true;
  return new RegExp(`^${globSource(pattern, false)}$`, 'i').test(action);
}

/**
 * Resource matching, case-sensitive. `*` is any run of characters inside one colon-separated
 * segment of the ARN, and may run past colons when it ends a segment (so `arn:aws:s3:::b/*` and
 * `log-group:x:*` match as in AWS); `?` is one character; `*` alone matches every resource.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 */
export function matchesResource(pattern: string, resource: string): boolean {
  if (pattern === '*') return true;
  return new RegExp(`^${globSource(unescapeVariables(pattern), true)}$`).test(resource);
}

/** `${*}`, `${?}` and `${$}` are how a policy writes those characters literally. */
function unescapeVariables(value: string): string {
  return value.replace(/\$\{([*?$])\}/g, '\u0000$1');
}

function globSource(pattern: string, segmentAware: boolean): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\u0000') {
      out += escapeRegex(pattern[++i] ?? '');
    } else if (c === '*') {
      const endsSegment = i === pattern.length - 1 || pattern[i + 1] === ':';
      out += segmentAware && !endsSegment ? '[^:]*' : '.*';
    } else if (c === '?') {
      out += '.';
    } else {
      out += escapeRegex(c);
    }
  }
  return out;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---- Conditions -------------------------------------------------------------------------------
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html

interface ParsedOperator {
  base: string;
  ifExists: boolean;
  set: 'ForAllValues' | 'ForAnyValue' | undefined;
}

function parseOperator(operator: string): ParsedOperator {
  let rest = operator;
  let set: ParsedOperator['set'];
  const qualifier = /^(ForAllValues|ForAnyValue):(.+)$/.exec(rest);
  if (qualifier) {
    set = qualifier[1] as ParsedOperator['set'];
    rest = qualifier[2]!;
  }
  const ifExists = rest.endsWith('IfExists');
  return { base: ifExists ? rest.slice(0, -'IfExists'.length) : rest, ifExists, set };
}

/** Operators AND together, keys under an operator AND together (AWS's rules for one block). */
function conditionsHold(block: ConditionBlock, context: RequestContext): boolean {
  const lookup = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.entries(block).every(([operator, keys]) => {
    const parsed = parseOperator(operator);
    return Object.entries(keys).every(([key, expected]) =>
      keyHolds(parsed, lookup.get(key.toLowerCase()), list(expected).map(String)),
    );
  });
}

function keyHolds(op: ParsedOperator, present: string | readonly string[] | undefined, expected: string[]): boolean {
  if (op.base === 'Null') {
    // "Null": "true" holds when the key is absent, "false" when it is present.
    const absent = present === undefined || (Array.isArray(present) && present.length === 0);
    return expected.some((e) => (e.toLowerCase() === 'true') === absent);
  }
  const negated = /Not/.test(op.base);
  const values = present === undefined ? [] : Array.isArray(present) ? present : [present as string];
  if (op.set === 'ForAllValues') {
    // Every value in the request matches; true for an absent or empty key.
    return values.every((v) => valueHolds(op.base, negated, v, expected));
  }
  if (op.set === 'ForAnyValue') {
    // At least one value matches; false for an absent or empty key.
    return values.some((v) => valueHolds(op.base, negated, v, expected));
  }
  if (present === undefined) {
    // An absent key: ...IfExists holds; otherwise only the negated operators hold.
    return op.ifExists || negated;
  }
  return values.every((v) => valueHolds(op.base, negated, v, expected));
}

/** Positive operators: the value matches any expected value (OR); negated ones: none (NOR). */
function valueHolds(base: string, negated: boolean, value: string, expected: string[]): boolean {
  const positive = base.replace('Not', '');
  const hit = expected.some((e) => compare(positive, value, e));
  return negated ? !hit : hit;
}

function compare(operator: string, value: string, expected: string): boolean {
  switch (operator) {
    case 'StringEquals':
      return value === expected;
    case 'StringEqualsIgnoreCase':
      return value.toLowerCase() === expected.toLowerCase();
    case 'StringLike':
      return new RegExp(`^${globSource(unescapeVariables(expected), false)}$`).test(value);
    // ArnEquals and ArnLike are the same test: wildcards per ARN segment, case-sensitive.
    case 'ArnEquals':
    case 'ArnLike':
      return matchesResource(expected, value);
    case 'Bool':
      return value.toLowerCase() === expected.toLowerCase();
    default:
      throw new UnsupportedPolicyError(`condition operator ${operator} is not evaluated locally`);
  }
}

function list<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}
