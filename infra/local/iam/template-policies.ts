import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { functionSpecs } from '#infra/functions.ts';
import { arn, assumedRoleArn, s3Arn, secretArn, type AwsScope } from './arns.ts';
import { checkStatement, UnsupportedPolicyError, type Statement } from './policy.ts';

// Each function's IAM policy as CloudFormation would deploy it, read from the synthesized
// templates: the role of every CrmFunction (linked by the Lambda's Role property), the
// AWS::IAM::Policy / RolePolicy / ManagedPolicy documents attached to it and its inline
// policies, with every intrinsic function resolved to the ARNs the local cloud's resources
// have. The resolver is exported for whoever else needs template values locally (the
// functions' Environment.Variables hold the same Fn::GetStackOutput references).

/** A CloudFormation template, as `cdk synth` writes it (only what is read here is typed). */
export interface CfnTemplate {
  readonly Resources?: Readonly<Record<string, CfnResource>>;
  readonly Outputs?: Readonly<Record<string, { readonly Value: unknown; readonly Export?: { readonly Name: unknown } }>>;
  readonly Parameters?: Readonly<Record<string, { readonly Default?: unknown }>>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
  readonly Condition?: string;
}

/** What a physical-name override sees of a resource. */
export interface TemplateResourceRef {
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Readonly<Record<string, unknown>>;
}

export interface TemplateResolverOptions extends AwsScope {
  /** Every stack's template, by stack name (Fn::GetStackOutput and Fn::ImportValue look across them). */
  readonly templates: Readonly<Record<string, CfnTemplate>>;
  readonly urlSuffix?: string;
  /**
   * The local physical name (or id) of a resource, when it differs from the template's name
   * property: the local cloud names its table and bus "crm", for instance. Undefined keeps the
   * template's name, or a name made from the stack and logical id as CloudFormation would.
   */
  readonly physicalName?: (resource: TemplateResourceRef) => string | undefined;
  /** The stream label of the tables' streams (DescribeTable's LatestStreamLabel) for `StreamArn`. */
  readonly streamLabel?: string;
}

/** A template value this resolver cannot turn into a string, named with where it was met. */
export class UnresolvableTemplateError extends Error {
  override readonly name = 'UnresolvableTemplateError';
}

interface TypeRule {
  /** The property holding the physical name, if the template may set it. */
  readonly nameProperty?: string;
  readonly ref: (name: string) => string;
  readonly attributes: Readonly<Record<string, (name: string) => string>>;
}

/**
 * Resolves intrinsic functions in template values to plain values for one scope: Ref (resources,
 * parameters' defaults, pseudo parameters), Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split,
 * Fn::GetStackOutput and Fn::ImportValue. Anything else (Fn::If, conditions, AWS::NoValue, an
 * attribute of a resource type it does not know) throws UnresolvableTemplateError.
 */
export class TemplateResolver {
  readonly #options: TemplateResolverOptions;
  readonly #scope: AwsScope;
  readonly #rules: Readonly<Record<string, TypeRule>>;

  constructor(options: TemplateResolverOptions) {
    this.#options = options;
    this.#scope = { accountId: options.accountId, region: options.region, partition: options.partition ?? 'aws' };
    this.#rules = typeRules(this.#scope, options.streamLabel);
  }

  get scope(): AwsScope {
    return this.#scope;
  }

  template(stackName: string): CfnTemplate {
    const template = this.#options.templates[stackName];
    if (!template) {
      throw new UnresolvableTemplateError(
        `no template for stack "${stackName}" (have: ${Object.keys(this.#options.templates).join(', ')})`,
      );
    }
    return template;
  }

  resource(stackName: string, logicalId: string): CfnResource {
    const resource = this.template(stackName).Resources?.[logicalId];
    if (!resource) throw new UnresolvableTemplateError(`stack "${stackName}" has no resource "${logicalId}"`);
    return resource;
  }

  /** The value with every intrinsic function resolved, as it would be in the stack `stackName`. */
  resolve(value: unknown, stackName: string): unknown {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, stackName));
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0]!;
      if (key === 'Ref' || key.startsWith('Fn::') || key === 'Condition') return this.#intrinsic(key, arg, stackName);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v, stackName)]));
  }

  resolveString(value: unknown, stackName: string, what: string): string {
    const resolved = this.resolve(value, stackName);
    if (typeof resolved !== 'string') {
      throw new UnresolvableTemplateError(`${what} resolves to ${JSON.stringify(resolved)}, not a string`);
    }
    return resolved;
  }

  /** The local physical name (or id) of a resource. */
  physicalName(stackName: string, logicalId: string): string {
    const resource = this.resource(stackName, logicalId);
    const properties = resource.Properties ?? {};
    const override = this.#options.physicalName?.({ stackName, logicalId, type: resource.Type, properties });
    if (override !== undefined) return override;
    const rule = this.#rules[resource.Type];
    if (rule?.nameProperty && properties[rule.nameProperty] !== undefined) {
      return this.resolveString(properties[rule.nameProperty], stackName, `${logicalId}.${rule.nameProperty}`);
    }
    if (resource.Type === 'AWS::Cognito::UserPool') return `${this.#scope.region}_${shortHash(`${stackName}/${logicalId}`, 9)}`;
    // API Gateway's ids: 10 lower-case letters and digits.
    if (resource.Type === 'AWS::ApiGatewayV2::Api') return apiId(`${stackName}/${logicalId}`);
    // CloudFormation's generated names: stack name, logical id, a random suffix (here none).
    return `${stackName}-${logicalId}`.slice(0, 64);
  }

  ref(stackName: string, name: string): string {
    switch (name) {
      case 'AWS::AccountId':
        return this.#scope.accountId;
      case 'AWS::Region':
        return this.#scope.region;
      case 'AWS::Partition':
        return this.#scope.partition ?? 'aws';
      case 'AWS::URLSuffix':
        return this.#options.urlSuffix ?? 'amazonaws.com';
      case 'AWS::StackName':
        return stackName;
      case 'AWS::StackId':
        return arn(this.#scope, 'cloudformation', `stack/${stackName}/local`);
    }
    const template = this.template(stackName);
    const parameter = template.Parameters?.[name];
    if (parameter) {
      if (parameter.Default === undefined)
        throw new UnresolvableTemplateError(`parameter ${name} of ${stackName} has no default`);
      return this.resolveString(parameter.Default, stackName, `parameter ${name}`);
    }
    const resource = this.resource(stackName, name);
    return this.#rule(resource.Type, `Ref ${name}`).ref(this.physicalName(stackName, name));
  }

  getAtt(stackName: string, logicalId: string, attribute: string): string {
    const resource = this.resource(stackName, logicalId);
    const getter = this.#rule(resource.Type, `Fn::GetAtt ${logicalId}.${attribute}`).attributes[attribute];
    if (!getter) {
      throw new UnresolvableTemplateError(`Fn::GetAtt ${logicalId}.${attribute}: attribute unknown for ${resource.Type}`);
    }
    return getter(this.physicalName(stackName, logicalId));
  }

  #rule(type: string, what: string): TypeRule {
    const rule = this.#rules[type];
    if (!rule) throw new UnresolvableTemplateError(`${what}: resource type ${type} has no local ARN rule (add it to typeRules)`);
    return rule;
  }

  #intrinsic(key: string, arg: unknown, stackName: string): unknown {
    switch (key) {
      case 'Ref':
        if (arg === 'AWS::NoValue') throw new UnresolvableTemplateError('Ref AWS::NoValue is not supported');
        return this.ref(stackName, String(arg));
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split(/\.(.*)/s);
        return this.getAtt(stackName, String(id), this.resolveString(attribute, stackName, 'Fn::GetAtt attribute'));
      }
      case 'Fn::Join': {
        const [delimiter, parts] = arg as [string, unknown];
        const resolved = this.resolve(parts, stackName);
        if (!Array.isArray(resolved)) throw new UnresolvableTemplateError(`Fn::Join of ${JSON.stringify(resolved)}`);
        return resolved.map((p) => String(p)).join(delimiter);
      }
      case 'Fn::Select': {
        const [index, items] = arg as [unknown, unknown];
        const resolved = this.resolve(items, stackName);
        const i = Number(this.resolve(index, stackName));
        if (!Array.isArray(resolved) || !(i in resolved)) {
          throw new UnresolvableTemplateError(`Fn::Select ${i} of ${JSON.stringify(resolved)}`);
        }
        return resolved[i];
      }
      case 'Fn::Split': {
        const [delimiter, text] = arg as [string, unknown];
        return this.resolveString(text, stackName, 'Fn::Split source').split(delimiter);
      }
      case 'Fn::Sub':
        return this.#sub(arg, stackName);
      case 'Fn::GetStackOutput': {
        const spec = arg as { StackName: unknown; OutputName: unknown; Region?: unknown };
        const producer = this.resolveString(spec.StackName, stackName, 'Fn::GetStackOutput StackName');
        const region = spec.Region === undefined ? this.#scope.region : this.resolveString(spec.Region, stackName, 'Region');
        if (region !== this.#scope.region) {
          throw new UnresolvableTemplateError(
            `Fn::GetStackOutput from ${producer} in ${region}: only ${this.#scope.region} is local`,
          );
        }
        const outputName = this.resolveString(spec.OutputName, stackName, 'Fn::GetStackOutput OutputName');
        const output = this.template(producer).Outputs?.[outputName];
        if (!output) throw new UnresolvableTemplateError(`stack ${producer} has no output ${outputName}`);
        return this.resolve(output.Value, producer);
      }
      case 'Fn::ImportValue': {
        const name = this.resolveString(arg, stackName, 'Fn::ImportValue');
        for (const producer of Object.keys(this.#options.templates)) {
          for (const output of Object.values(this.template(producer).Outputs ?? {})) {
            if (output.Export && this.resolve(output.Export.Name, producer) === name) return this.resolve(output.Value, producer);
          }
        }
        throw new UnresolvableTemplateError(`no stack exports ${name}`);
      }
      default:
        throw new UnresolvableTemplateError(`${key} is not resolved locally (template conditions are not supported)`);
    }
  }

  #sub(arg: unknown, stackName: string): string {
    const [text, variables] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [arg as string, {}];
    return text.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (name in variables) return this.resolveString(variables[name], stackName, `Fn::Sub variable ${name}`);
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::')) return this.getAtt(stackName, name.slice(0, dot), name.slice(dot + 1));
      return this.ref(stackName, name);
    });
  }
}

/** How each resource type answers Ref and Fn::GetAtt, given its physical name (or id). */
function typeRules(scope: AwsScope, streamLabel: string | undefined): Readonly<Record<string, TypeRule>> {
  const a = (service: string, resource: string) => arn(scope, service, resource);
  return {
    'AWS::DynamoDB::Table': {
      nameProperty: 'TableName',
      ref: (name) => name,
      attributes: {
        Arn: (name) => a('dynamodb', `table/${name}`),
        StreamArn: (name) => {
          if (!streamLabel)
            throw new UnresolvableTemplateError(`${name}.StreamArn: pass streamLabel (the table's LatestStreamLabel)`);
          return a('dynamodb', `table/${name}/stream/${streamLabel}`);
        },
      },
    },
    'AWS::Events::EventBus': {
      nameProperty: 'Name',
      ref: (name) => name,
      attributes: { Arn: (name) => a('events', `event-bus/${name}`), Name: (name) => name },
    },
    'AWS::SQS::Queue': {
      nameProperty: 'QueueName',
      ref: (name) => queueUrl(scope, name),
      attributes: { Arn: (name) => a('sqs', name), QueueName: (name) => name, QueueUrl: (name) => queueUrl(scope, name) },
    },
    'AWS::SNS::Topic': {
      nameProperty: 'TopicName',
      ref: (name) => a('sns', name),
      attributes: { TopicArn: (name) => a('sns', name), TopicName: (name) => name },
    },
    'AWS::Cognito::UserPool': {
      ref: (id) => id,
      attributes: { Arn: (id) => a('cognito-idp', `userpool/${id}`), UserPoolId: (id) => id },
    },
    'AWS::SecretsManager::Secret': {
      nameProperty: 'Name',
      ref: (name) => secretArn(scope, name),
      attributes: { Id: (name) => secretArn(scope, name) },
    },
    // A key's Ref is its id.
    'AWS::KMS::Key': { ref: (id) => id, attributes: { Arn: (id) => a('kms', `key/${id}`), KeyId: (id) => id } },
    'AWS::Scheduler::ScheduleGroup': {
      nameProperty: 'Name',
      ref: (name) => name,
      attributes: { Arn: (name) => a('scheduler', `schedule-group/${name}`) },
    },
    'AWS::SES::ConfigurationSet': { nameProperty: 'Name', ref: (name) => name, attributes: {} },
    'AWS::ApiGatewayV2::Api': {
      ref: (id) => id,
      attributes: {
        ApiId: (id) => id,
        ApiEndpoint: (id) => `https://${id}.execute-api.${scope.region}.amazonaws.com`,
      },
    },
    'AWS::IAM::Role': {
      nameProperty: 'RoleName',
      ref: (name) => name,
      attributes: { Arn: (name) => a('iam', `role/${name}`) },
    },
    'AWS::IAM::ManagedPolicy': {
      nameProperty: 'ManagedPolicyName',
      ref: (name) => a('iam', `policy/${name}`),
      attributes: { PolicyArn: (name) => a('iam', `policy/${name}`) },
    },
    'AWS::Lambda::Function': {
      nameProperty: 'FunctionName',
      ref: (name) => name,
      attributes: { Arn: (name) => a('lambda', `function:${name}`) },
    },
    // Bucket ARNs carry neither region nor account.
    'AWS::S3::Bucket': {
      nameProperty: 'BucketName',
      ref: (name) => name,
      attributes: { Arn: (name) => s3Arn(scope, name), DomainName: (name) => `${name}.s3.amazonaws.com` },
    },
    'AWS::Logs::LogGroup': {
      nameProperty: 'LogGroupName',
      ref: (name) => name,
      attributes: { Arn: (name) => a('logs', `log-group:${name}:*`) },
    },
  };
}

function queueUrl(scope: AwsScope, name: string): string {
  return `https://sqs.${scope.region}.amazonaws.com/${scope.accountId}/${name}`;
}

function apiId(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

function shortHash(text: string, length: number): string {
  return createHash('sha256')
    .update(text)
    .digest('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, length);
}

// ---- Function policies --------------------------------------------------------------------------

/** One function's identity: its role and every statement of the policies attached to that role. */
export interface FunctionPolicy {
  /** The registry's name (infra/functions.ts), e.g. "contacts". */
  readonly name: string;
  /** The deployed function name, "crm-<stage>-<name>"; the role session name in AWS. */
  readonly functionName: string;
  readonly roleName: string;
  readonly roleArn: string;
  /** Who AccessDenied messages name: arn:aws:sts::<account>:assumed-role/<role>/<function>. */
  readonly principalArn: string;
  /** Resolved statements, each accepted by checkStatement. */
  readonly statements: readonly Statement[];
}

export interface FunctionPoliciesOptions extends TemplateResolverOptions {
  /** The deployment's stage: functions are named "crm-<stage>-<name>". */
  readonly stage: string;
  /** The functions to find (default: every function of infra/functions.ts); each must be there. */
  readonly functionNames?: readonly string[];
}

/**
 * Every registry function's policy, by registry name. Throws UnresolvableTemplateError or
 * UnsupportedPolicyError (naming the policy) when a document cannot be resolved or evaluated
 * locally, and an Error when a function of the registry is not in the templates.
 */
export function functionPolicies(options: FunctionPoliciesOptions): ReadonlyMap<string, FunctionPolicy> {
  const resolver = new TemplateResolver(options);
  const wanted = new Set(options.functionNames ?? functionSpecs.map((spec) => spec.name));
  const prefix = `crm-${options.stage}-`;
  const policies = new Map<string, FunctionPolicy>();
  for (const [stackName, template] of Object.entries(options.templates)) {
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      if (resource.Type !== 'AWS::Lambda::Function' || resource.Properties?.FunctionName === undefined) continue;
      const functionName = resolver.resolveString(resource.Properties.FunctionName, stackName, `${logicalId}.FunctionName`);
      const name = functionName.startsWith(prefix) ? functionName.slice(prefix.length) : undefined;
      if (!name || !wanted.has(name)) continue;
      const roleArn = resolver.resolveString(resource.Properties.Role, stackName, `${logicalId}.Role`);
      const role = findRole(resolver, options.templates, roleArn);
      const roleName = resolver.physicalName(role.stackName, role.logicalId);
      policies.set(name, {
        name,
        functionName,
        roleName,
        roleArn,
        principalArn: assumedRoleArn(resolver.scope, roleName, functionName),
        statements: roleStatements(resolver, options.templates, role, roleName),
      });
    }
  }
  const missing = [...wanted].filter((name) => !policies.has(name));
  if (missing.length > 0)
    throw new Error(`no Lambda function named ${missing.map((n) => prefix + n).join(', ')} in the templates`);
  return policies;
}

interface RoleRef {
  readonly stackName: string;
  readonly logicalId: string;
  readonly resource: CfnResource;
}

function findRole(resolver: TemplateResolver, templates: Readonly<Record<string, CfnTemplate>>, roleArn: string): RoleRef {
  for (const [stackName, template] of Object.entries(templates)) {
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      if (resource.Type === 'AWS::IAM::Role' && resolver.getAtt(stackName, logicalId, 'Arn') === roleArn) {
        return { stackName, logicalId, resource };
      }
    }
  }
  throw new UnsupportedPolicyError(`role ${roleArn} is not in the templates, so its policies are unknown`);
}

/** Inline policies, attached customer-managed policies, AWS::IAM::Policy and RolePolicy resources. */
function roleStatements(
  resolver: TemplateResolver,
  templates: Readonly<Record<string, CfnTemplate>>,
  role: RoleRef,
  roleName: string,
): Statement[] {
  const documents: { where: string; stackName: string; document: unknown }[] = [];
  const properties = role.resource.Properties ?? {};
  if (properties.PermissionsBoundary !== undefined) {
    throw new UnsupportedPolicyError(`role ${role.logicalId} has a permissions boundary, which is not evaluated locally`);
  }
  for (const [i, inline] of ((properties.Policies as { PolicyDocument: unknown }[] | undefined) ?? []).entries()) {
    documents.push({ where: `${role.logicalId}.Policies[${i}]`, stackName: role.stackName, document: inline.PolicyDocument });
  }
  const managedArns = ((properties.ManagedPolicyArns as unknown[] | undefined) ?? []).map((m) =>
    resolver.resolveString(m, role.stackName, `${role.logicalId}.ManagedPolicyArns`),
  );
  const attachedManaged = new Set<string>();
  for (const [stackName, template] of Object.entries(templates)) {
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      const props = resource.Properties ?? {};
      const where = `${stackName}/${logicalId}`;
      let attached = false;
      if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
        const roles = ((props.Roles as unknown[] | undefined) ?? []).map((r) =>
          resolver.resolveString(r, stackName, `${where}.Roles`),
        );
        attached = roles.includes(roleName);
        if (resource.Type === 'AWS::IAM::ManagedPolicy' && managedArns.includes(resolver.ref(stackName, logicalId))) {
          attached = true;
          attachedManaged.add(resolver.ref(stackName, logicalId));
        }
      } else if (resource.Type === 'AWS::IAM::RolePolicy') {
        attached = resolver.resolveString(props.RoleName, stackName, `${where}.RoleName`) === roleName;
      }
      if (!attached) continue;
      if (resource.Condition)
        throw new UnsupportedPolicyError(`${where} has a template condition, which is not evaluated locally`);
      documents.push({ where, stackName, document: props.PolicyDocument });
    }
  }
  const unknownManaged = managedArns.filter((m) => !attachedManaged.has(m));
  if (unknownManaged.length > 0) {
    throw new UnsupportedPolicyError(
      `role ${role.logicalId} has managed policies not in the templates: ${unknownManaged.join(', ')}`,
    );
  }
  return documents.flatMap(({ where, stackName, document }) => {
    const resolved = resolver.resolve(document, stackName) as { Statement?: Statement | Statement[] };
    const statements = Array.isArray(resolved.Statement) ? resolved.Statement : resolved.Statement ? [resolved.Statement] : [];
    return statements.map((statement, i) => {
      try {
        checkStatement(statement);
      } catch (error) {
        throw new UnsupportedPolicyError(`${where} statement ${i}: ${(error as Error).message}`, { cause: error });
      }
      return statement;
    });
  });
}

/** The templates of a cloud assembly (`cdk synth`'s output folder), by stack name. */
export function templatesFromCloudAssembly(outdir: string): Record<string, CfnTemplate> {
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string; stackName?: string } }>;
  };
  const templates: Record<string, CfnTemplate> = {};
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    templates[artifact.properties.stackName ?? id] = JSON.parse(
      readFileSync(join(outdir, artifact.properties.templateFile), 'utf8'),
    ) as CfnTemplate;
  }
  return templates;
}
