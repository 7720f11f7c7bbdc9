import { describe, expect, it } from 'vitest';
import {
  functionPolicies,
  TemplateResolver,
  UnresolvableTemplateError,
  type CfnTemplate,
  type FunctionPoliciesOptions,
} from '#infra/local/iam/template-policies.ts';
import { UnsupportedPolicyError } from '#infra/local/iam/policy.ts';

// Hand-written templates shaped like `cdk synth`'s (weak cross-stack references, an inline
// policy, a customer-managed policy, an AWS::IAM::Policy), so that each intrinsic function is
// resolved at least once; iam-gate.infra.test.ts reads the real synthesized templates.

const STATEFUL = 'crm-dev-stateful';
const STATELESS = 'crm-dev-stateless';
const output = (OutputName: string) => ({ 'Fn::GetStackOutput': { StackName: STATEFUL, Region: 'eu-west-1', OutputName } });

const stateful: CfnTemplate = {
  Resources: {
    Table: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'crm-dev' } },
    Secret: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: 'crm-dev/cursor-hmac-key' } },
    Pool: { Type: 'AWS::Cognito::UserPool', Properties: {} },
    Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'crm-dev-dlq' } },
  },
  Outputs: {
    TableArn: { Value: { 'Fn::GetAtt': ['Table', 'Arn'] } },
    StreamArn: { Value: { 'Fn::GetAtt': 'Table.StreamArn' } },
    PoolArn: { Value: { 'Fn::GetAtt': ['Pool', 'Arn'] } },
    QueueUrl: { Value: { Ref: 'Queue' } },
    SecretArn: { Value: { Ref: 'Secret' }, Export: { Name: { 'Fn::Sub': '${AWS::StackName}-secret' } } },
  },
};

function stateless(extraStatements: unknown[] = [], role: Record<string, unknown> = {}): CfnTemplate {
  return {
    Parameters: { BootstrapVersion: { Default: '/cdk-bootstrap/hnb659fds/version' } },
    Resources: {
      ContactsRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Policies: [
            {
              PolicyName: 'inline',
              PolicyDocument: {
                Statement: {
                  Effect: 'Allow',
                  Action: 'secretsmanager:GetSecretValue',
                  Resource: { 'Fn::ImportValue': `${STATEFUL}-secret` },
                },
              },
            },
          ],
          ManagedPolicyArns: [{ Ref: 'Reminders' }],
          ...role,
        },
      },
      Reminders: {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: {
          PolicyDocument: {
            Statement: [
              {
                Effect: 'Allow',
                Action: 'scheduler:CreateSchedule',
                Resource: {
                  'Fn::Sub': [
                    'arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${Group}/*',
                    { Group: 'crm-dev' },
                  ],
                },
              },
            ],
          },
        },
      },
      ContactsPolicy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: 'ContactsRole' }],
          PolicyDocument: {
            Statement: [
              {
                Effect: 'Allow',
                Action: ['dynamodb:GetItem', 'dynamodb:Query'],
                Resource: [output('TableArn'), { 'Fn::Join': ['', [output('TableArn'), '/index/*']] }],
              },
              {
                Effect: 'Allow',
                Action: 'sqs:SendMessage',
                Resource: {
                  'Fn::Join': [
                    ':',
                    [
                      'arn:aws:sqs',
                      { Ref: 'AWS::Region' },
                      { Ref: 'AWS::AccountId' },
                      { 'Fn::Select': [4, { 'Fn::Split': ['/', output('QueueUrl')] }] },
                    ],
                  ],
                },
              },
              { Effect: 'Allow', Action: 'cognito-idp:AdminCreateUser', Resource: output('PoolArn') },
              { Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: '*' },
              ...extraStatements,
            ],
          },
        },
      },
      ContactsFunction: {
        Type: 'AWS::Lambda::Function',
        Properties: { FunctionName: 'crm-dev-contacts', Role: { 'Fn::GetAtt': ['ContactsRole', 'Arn'] } },
      },
      // Not in the registry (a CDK singleton, say): ignored.
      ProviderFunction: {
        Type: 'AWS::Lambda::Function',
        Properties: { FunctionName: 'crm-dev-provider', Role: 'arn:aws:iam::1:role/x' },
      },
    },
  };
}

const options = (template = stateless(), more: Partial<FunctionPoliciesOptions> = {}): FunctionPoliciesOptions => ({
  templates: { [STATEFUL]: stateful, [STATELESS]: template },
  stage: 'dev',
  accountId: '000000000000',
  region: 'eu-west-1',
  functionNames: ['contacts'],
  ...more,
});

describe('functionPolicies', () => {
  it('collects the inline, managed and attached policies of the function’s role, resolved to local ARNs', () => {
    const policy = functionPolicies(options()).get('contacts')!;
    expect(policy).toMatchObject({
      name: 'contacts',
      functionName: 'crm-dev-contacts',
      roleName: `${STATELESS}-ContactsRole`,
      roleArn: `arn:aws:iam::000000000000:role/${STATELESS}-ContactsRole`,
      principalArn: `arn:aws:sts::000000000000:assumed-role/${STATELESS}-ContactsRole/crm-dev-contacts`,
    });
    const pool = new TemplateResolver(options()).ref(STATEFUL, 'Pool');
    expect(pool).toMatch(/^eu-west-1_[A-Za-z0-9]{9}$/);
    expect(policy.statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:crm-dev/cursor-hmac-key-LOCAL0',
      },
      {
        Effect: 'Allow',
        Action: 'scheduler:CreateSchedule',
        Resource: 'arn:aws:scheduler:eu-west-1:000000000000:schedule/crm-dev/*',
      },
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:Query'],
        Resource: [
          'arn:aws:dynamodb:eu-west-1:000000000000:table/crm-dev',
          'arn:aws:dynamodb:eu-west-1:000000000000:table/crm-dev/index/*',
        ],
      },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:eu-west-1:000000000000:crm-dev-dlq' },
      {
        Effect: 'Allow',
        Action: 'cognito-idp:AdminCreateUser',
        Resource: `arn:aws:cognito-idp:eu-west-1:000000000000:userpool/${pool}`,
      },
      { Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: '*' },
    ]);
  });

  it('gives resources the local cloud’s names when told, and needs the stream label for a StreamArn', () => {
    const renamed = options(stateless([{ Effect: 'Allow', Action: 'dynamodb:GetRecords', Resource: output('StreamArn') }]), {
      physicalName: (r) => (r.type === 'AWS::DynamoDB::Table' ? 'crm' : undefined),
      streamLabel: '2026-01-01T00:00:00.000',
    });
    const statements = functionPolicies(renamed).get('contacts')!.statements;
    expect(statements[2]!.Resource).toEqual([
      'arn:aws:dynamodb:eu-west-1:000000000000:table/crm',
      'arn:aws:dynamodb:eu-west-1:000000000000:table/crm/index/*',
    ]);
    expect(statements.at(-1)!.Resource).toBe('arn:aws:dynamodb:eu-west-1:000000000000:table/crm/stream/2026-01-01T00:00:00.000');
    expect(() => functionPolicies({ ...renamed, streamLabel: undefined })).toThrow(/pass streamLabel/);
  });

  it('Fn::Sub leaves ${!Literal} as ${Literal} and resolves Ref and GetAtt forms', () => {
    const resolver = new TemplateResolver(options());
    expect(resolver.resolve({ 'Fn::Sub': '${!Literal}/${AWS::Region}/${Pool.Arn}' }, STATEFUL)).toMatch(
      /^\$\{Literal\}\/eu-west-1\/arn:aws:cognito-idp:eu-west-1:000000000000:userpool\/eu-west-1_/,
    );
    expect(resolver.resolve({ Ref: 'BootstrapVersion' }, STATELESS)).toBe('/cdk-bootstrap/hnb659fds/version');
  });

  it('names the function of the registry it cannot find', () => {
    expect(() => functionPolicies(options(stateless(), { functionNames: ['contacts', 'deals'] }))).toThrow(/crm-dev-deals/);
  });

  it('refuses loudly what it cannot evaluate: unsupported conditions, boundaries, AWS managed policies, template conditions', () => {
    const numeric = {
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: { NumericLessThan: { 'aws:MultiFactorAuthAge': 60 } },
    };
    expect(() => functionPolicies(options(stateless([numeric])))).toThrow(UnsupportedPolicyError);
    expect(() => functionPolicies(options(stateless([numeric])))).toThrow(
      /ContactsPolicy statement 4: condition operator NumericLessThan/,
    );
    expect(() => functionPolicies(options(stateless([], { PermissionsBoundary: 'arn:aws:iam::aws:policy/x' })))).toThrow(
      /permissions boundary/,
    );
    expect(() =>
      functionPolicies(options(stateless([], { ManagedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] }))),
    ).toThrow(/managed policies not in the templates: arn:aws:iam::aws:policy\/AdministratorAccess/);
    const conditional = { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::If': ['IsProd', 'arn:a', 'arn:b'] } };
    expect(() => functionPolicies(options(stateless([conditional])))).toThrow(UnresolvableTemplateError);
    const foreign = {
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetStackOutput': { StackName: STATEFUL, Region: 'us-east-1', OutputName: 'QueueUrl' } },
    };
    expect(() => functionPolicies(options(stateless([foreign])))).toThrow(/only eu-west-1 is local/);
  });
});
