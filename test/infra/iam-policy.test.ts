import { describe, expect, it } from 'vitest';
import {
  checkStatement,
  evaluate,
  matchesAction,
  matchesResource,
  UnsupportedPolicyError,
  type AuthorizationRequest,
  type Statement,
} from '#infra/local/iam/policy.ts';

const TABLE = 'arn:aws:dynamodb:eu-west-1:000000000000:table/crm';
const allow = (Action: string | string[], Resource: string | string[], extra: Partial<Statement> = {}): Statement => ({
  Effect: 'Allow',
  Action,
  Resource,
  ...extra,
});
const effect = (statements: Statement[], request: AuthorizationRequest) => evaluate(statements, request).effect;

describe('evaluate: explicit deny, allow, default deny', () => {
  it('allows what a statement grants and implicitly denies everything else', () => {
    const statements = [allow('dynamodb:GetItem', TABLE)];
    expect(effect(statements, { action: 'dynamodb:GetItem', resource: TABLE })).toBe('allow');
    expect(effect(statements, { action: 'dynamodb:PutItem', resource: TABLE })).toBe('implicit-deny');
    expect(effect(statements, { action: 'dynamodb:GetItem', resource: `${TABLE}-other` })).toBe('implicit-deny');
    expect(effect([], { action: 'dynamodb:GetItem', resource: TABLE })).toBe('implicit-deny');
  });

  it('lets an explicit Deny win over any Allow, in whatever order', () => {
    const deny: Statement = { Effect: 'Deny', Action: 'dynamodb:*', Resource: TABLE };
    for (const statements of [
      [allow('*', '*'), deny],
      [deny, allow('*', '*')],
    ]) {
      const decision = evaluate(statements, { action: 'dynamodb:GetItem', resource: TABLE });
      expect(decision).toEqual({ effect: 'explicit-deny', statement: deny });
    }
    expect(effect([allow('*', '*'), deny], { action: 'dynamodb:GetItem', resource: `${TABLE}2` })).toBe('allow');
  });

  it('answers the statement that decided', () => {
    const granting = allow('dynamodb:Query', `${TABLE}/index/*`, { Sid: 'Indexes' });
    expect(
      evaluate([allow('events:PutEvents', '*'), granting], { action: 'dynamodb:Query', resource: `${TABLE}/index/gsi1` }),
    ).toEqual({
      effect: 'allow',
      statement: granting,
    });
  });
});

describe('actions', () => {
  it('match case-insensitively, with * and ? wildcards', () => {
    expect(matchesAction('dynamodb:getitem', 'dynamodb:GetItem')).toBe(true);
    expect(matchesAction('DynamoDB:GetItem', 'dynamodb:GetItem')).toBe(true);
    expect(matchesAction('dynamodb:*', 'dynamodb:PutItem')).toBe(true);
    expect(matchesAction('dynamodb:Get*', 'dynamodb:GetRecords')).toBe(true);
    expect(matchesAction('dynamodb:Get*', 'dynamodb:BatchGetItem')).toBe(false);
    expect(matchesAction('dynamodb:?etItem', 'dynamodb:GetItem')).toBe(true);
    expect(matchesAction('dynamodb:?etItem', 'dynamodb:PutItem')).toBe(false);
    expect(matchesAction('*', 'sqs:SendMessage')).toBe(true);
    expect(matchesAction('dynamodb:GetItem', 'dynamodb:GetItems')).toBe(false);
    expect(matchesAction('events:*', 'dynamodb:GetItem')).toBe(false);
  });

  it('NotAction allows every action but those listed', () => {
    const statements: Statement[] = [{ Effect: 'Allow', NotAction: ['dynamodb:Delete*', 'dynamodb:Scan'], Resource: TABLE }];
    expect(effect(statements, { action: 'dynamodb:GetItem', resource: TABLE })).toBe('allow');
    expect(effect(statements, { action: 'dynamodb:DeleteItem', resource: TABLE })).toBe('implicit-deny');
    expect(effect(statements, { action: 'dynamodb:scan', resource: TABLE })).toBe('implicit-deny');
  });
});

describe('resources', () => {
  it('match case-sensitively', () => {
    expect(matchesResource(TABLE, TABLE)).toBe(true);
    expect(matchesResource(TABLE.replace('crm', 'CRM'), TABLE)).toBe(false);
  });

  it('match index/* and prefixes, and * alone matches everything', () => {
    expect(matchesResource(`${TABLE}/index/*`, `${TABLE}/index/gsi1`)).toBe(true);
    expect(matchesResource(`${TABLE}/index/*`, TABLE)).toBe(false);
    expect(matchesResource(`${TABLE}*`, `${TABLE}/index/gsi6`)).toBe(true);
    expect(matchesResource(`${TABLE}*`, `${TABLE}-archive`)).toBe(true);
    expect(matchesResource(`${TABLE}/index/gsi?`, `${TABLE}/index/gsi3`)).toBe(true);
    expect(matchesResource(`${TABLE}/index/gsi?`, `${TABLE}/index/gsi10`)).toBe(false);
    expect(matchesResource('arn:aws:dynamodb:*:*:table/crm', TABLE)).toBe(true);
    expect(matchesResource('*', 'arn:aws:sqs:eu-west-1:000000000000:q')).toBe(true);
  });

  it('keep a * inside a segment within that segment, and let a segment-ending * run past colons', () => {
    expect(matchesResource('arn:aws:s3:::logs-*-eu', 'arn:aws:s3:::logs-a:b-eu')).toBe(false);
    expect(matchesResource('arn:aws:s3:::logs-*-eu', 'arn:aws:s3:::logs-ab-eu')).toBe(true);
    const group = 'arn:aws:logs:eu-west-1:000000000000:log-group:/aws/lambda/crm-dev-contacts';
    expect(matchesResource(`${group}:*`, `${group}:log-stream:2024/01/01`)).toBe(true);
    expect(matchesResource(`${group}:*`, `${group}-x:log-stream:a`)).toBe(false);
  });

  it('read ${*}, ${?} and ${$} as the literal characters', () => {
    expect(matchesResource('arn:aws:s3:::b/${*}', 'arn:aws:s3:::b/*')).toBe(true);
    expect(matchesResource('arn:aws:s3:::b/${*}', 'arn:aws:s3:::b/x')).toBe(false);
  });

  it('NotResource applies to every resource but those listed', () => {
    const statements: Statement[] = [
      { Effect: 'Deny', Action: 'dynamodb:*', NotResource: `${TABLE}*` },
      allow('dynamodb:*', '*'),
    ];
    expect(effect(statements, { action: 'dynamodb:GetItem', resource: `${TABLE}/index/gsi1` })).toBe('allow');
    expect(effect(statements, { action: 'dynamodb:GetItem', resource: 'arn:aws:dynamodb:eu-west-1:000000000000:table/x' })).toBe(
      'explicit-deny',
    );
  });
});

describe('conditions', () => {
  const ROLE = 'arn:aws:iam::000000000000:role/reminders';
  const passRole = (Condition: Statement['Condition']) => [allow('iam:PassRole', ROLE, { Condition })];
  const pass = (context?: Record<string, string | string[]>) => ({
    action: 'iam:PassRole',
    resource: ROLE,
    ...(context ? { context } : {}),
  });

  it('StringEquals holds when the key has one of the values, and fails when the key is absent', () => {
    const statements = passRole({ StringEquals: { 'iam:PassedToService': ['scheduler.amazonaws.com', 'lambda.amazonaws.com'] } });
    expect(effect(statements, pass({ 'iam:PassedToService': 'scheduler.amazonaws.com' }))).toBe('allow');
    expect(effect(statements, pass({ 'iam:PassedToService': 'ec2.amazonaws.com' }))).toBe('implicit-deny');
    expect(effect(statements, pass())).toBe('implicit-deny');
  });

  it('compares condition key names case-insensitively and values case-sensitively', () => {
    const statements = passRole({ StringEquals: { 'IAM:passedtoservice': 'scheduler.amazonaws.com' } });
    expect(effect(statements, pass({ 'iam:PassedToService': 'scheduler.amazonaws.com' }))).toBe('allow');
    expect(effect(statements, pass({ 'iam:PassedToService': 'Scheduler.amazonaws.com' }))).toBe('implicit-deny');
    const ignoreCase = passRole({ StringEqualsIgnoreCase: { 'iam:PassedToService': 'SCHEDULER.amazonaws.com' } });
    expect(effect(ignoreCase, pass({ 'iam:PassedToService': 'scheduler.amazonaws.com' }))).toBe('allow');
  });

  it('negated operators hold for an absent key and match none of the values (NOR)', () => {
    const statements = passRole({ StringNotEquals: { 'iam:PassedToService': ['ec2.amazonaws.com', 'ecs.amazonaws.com'] } });
    expect(effect(statements, pass())).toBe('allow');
    expect(effect(statements, pass({ 'iam:PassedToService': 'scheduler.amazonaws.com' }))).toBe('allow');
    expect(effect(statements, pass({ 'iam:PassedToService': 'ecs.amazonaws.com' }))).toBe('implicit-deny');
  });

  it('...IfExists holds when the key is absent and tests it when present', () => {
    const statements = passRole({ StringEqualsIfExists: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
    expect(effect(statements, pass())).toBe('allow');
    expect(effect(statements, pass({ 'iam:PassedToService': 'ec2.amazonaws.com' }))).toBe('implicit-deny');
  });

  it('StringLike, ArnLike, Bool and Null', () => {
    expect(
      effect(
        passRole({ StringLike: { 'iam:PassedToService': '*.amazonaws.com' } }),
        pass({ 'iam:PassedToService': 'x.amazonaws.com' }),
      ),
    ).toBe('allow');
    const arnLike = passRole({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:sts::000000000000:assumed-role/crm-*/*' } });
    expect(effect(arnLike, pass({ 'aws:PrincipalArn': 'arn:aws:sts::000000000000:assumed-role/crm-dev-x/crm-dev-tasks' }))).toBe(
      'allow',
    );
    expect(effect(arnLike, pass({ 'aws:PrincipalArn': 'arn:aws:sts::000000000000:assumed-role/other/x' }))).toBe('implicit-deny');
    const tls = [
      { Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } } as Statement,
      allow('*', '*'),
    ];
    expect(effect(tls, pass({ 'aws:SecureTransport': 'true' }))).toBe('allow');
    expect(effect(tls, pass({ 'aws:SecureTransport': 'false' }))).toBe('explicit-deny');
    const mustPass = passRole({ Null: { 'iam:PassedToService': 'false' } });
    expect(effect(mustPass, pass({ 'iam:PassedToService': 'scheduler.amazonaws.com' }))).toBe('allow');
    expect(effect(mustPass, pass())).toBe('implicit-deny');
  });

  it('ForAllValues holds for an absent key; ForAnyValue needs one matching value', () => {
    const all = passRole({ 'ForAllValues:StringEquals': { 'events:source': ['crm', 'crm.test'] } });
    expect(effect(all, pass())).toBe('allow');
    expect(effect(all, pass({ 'events:source': ['crm', 'crm.test'] }))).toBe('allow');
    expect(effect(all, pass({ 'events:source': ['crm', 'other'] }))).toBe('implicit-deny');
    const any = passRole({ 'ForAnyValue:StringEquals': { 'events:source': 'crm' } });
    expect(effect(any, pass())).toBe('implicit-deny');
    expect(effect(any, pass({ 'events:source': ['other', 'crm'] }))).toBe('allow');
  });

  it('ANDs operators and keys', () => {
    const statements = passRole({
      StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com', 'aws:RequestedRegion': 'eu-west-1' },
    });
    expect(
      effect(statements, pass({ 'iam:PassedToService': 'scheduler.amazonaws.com', 'aws:RequestedRegion': 'eu-west-1' })),
    ).toBe('allow');
    expect(
      effect(statements, pass({ 'iam:PassedToService': 'scheduler.amazonaws.com', 'aws:RequestedRegion': 'us-east-1' })),
    ).toBe('implicit-deny');
  });
});

describe('checkStatement refuses what it cannot evaluate exactly', () => {
  const refused = (statement: unknown, pattern: RegExp) =>
    expect(() => checkStatement(statement as Statement)).toThrow(
      expect.objectContaining({ name: UnsupportedPolicyError.name, message: expect.stringMatching(pattern) }),
    );

  it('accepts the statements our templates hold', () => {
    expect(() => checkStatement(allow(['dynamodb:GetItem', 'dynamodb:Query'], [TABLE, `${TABLE}/index/gsi1`]))).not.toThrow();
    expect(() =>
      checkStatement(
        allow('iam:PassRole', 'arn:aws:iam::1:role/r', {
          Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        }),
      ),
    ).not.toThrow();
  });

  it('refuses malformed statements', () => {
    refused({ Effect: 'allow', Action: '*', Resource: '*' }, /Effect/);
    refused({ Effect: 'Allow', Action: '*', NotAction: 'x:y', Resource: '*' }, /Action and NotAction/);
    refused({ Effect: 'Allow', Action: '*' }, /Resource and NotResource/);
    refused({ Effect: 'Allow', Action: '*', Resource: '*', Principal: '*' }, /Principal/);
    refused({ Effect: 'Allow', Action: 'GetItem', Resource: '*' }, /not an action/);
    refused({ Effect: 'Allow', Action: '*', Resource: { 'Fn::GetAtt': ['T', 'Arn'] } }, /not a string/);
  });

  it('refuses policy variables, unsupported operators and keys no local request carries', () => {
    refused(allow('s3:GetObject', 'arn:aws:s3:::b/${aws:username}/*'), /policy variables/);
    refused(allow('*', '*', { Condition: { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } } }), /NumericLessThan/);
    refused(
      allow('*', '*', { Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } }),
      /DateGreaterThan/,
    );
    refused(allow('*', '*', { Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }), /IpAddress/);
    refused(
      allow('dynamodb:GetItem', TABLE, { Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CONTACT#*'] } } }),
      /dynamodb:LeadingKeys/,
    );
  });
});
