import { RUNTIME_ENV } from '#shared/platform/runtime-env.ts';
import type { CrmConfig } from '../config/schema.ts';
import {
  BASE_VARIABLE_NAMES,
  functionEnvironment,
  type EnvironmentValues,
  type FunctionNeeds,
  type FunctionSpec,
  type LogLevel,
} from '../functions.ts';
import { LOCAL_USER_POOL_ID } from './dev-auth.ts';
import { secretArn } from './iam/arns.ts';

// A function's environment on a laptop: what CDK gives it in AWS (functionEnvironment, from
// the same registry entry), valued with local names, plus what Lambda itself sets, the local
// endpoints and fake credentials. Nothing else: a variable the registry does not declare is
// missing here exactly as it is in AWS.

export const LOCAL_TABLE_NAME = 'crm';
export const LOCAL_BUS_NAME = 'crm';
export const LOCAL_ACCOUNT_ID = '000000000000';

/** The cursor key secret's name, as the stateful stack names it. */
export function cursorSecretName(config: Pick<CrmConfig, 'stage'>): string {
  return `crm-${config.stage}/cursor-hmac-key`;
}

/** The local cursor key secret's ARN (the local Secrets Manager serves it; infra/local/iam/arns.ts). */
export function localCursorSecretArn(config: Pick<CrmConfig, 'stage' | 'region'>): string {
  return secretArn({ accountId: LOCAL_ACCOUNT_ID, region: config.region }, cursorSecretName(config));
}

/** Where each AWS service the functions call answers on the laptop (the SDK's AWS_ENDPOINT_URL_<SERVICE>). */
export interface ServiceEndpoints {
  readonly dynamodb: string;
  readonly eventbridge?: string;
  readonly ses?: string;
  readonly scheduler?: string;
  readonly cognito?: string;
  readonly sqs?: string;
  readonly secretsmanager?: string;
}

/** Settings of a developer's machine, not of the deployment: how loud, how strict. */
export interface LocalFunctionSettings {
  /** Powertools' level (AWS: the config's, INFO); WARN keeps `npm start` readable. */
  readonly logLevel?: LogLevel;
  /** Check every 2xx body against its route's response schema (CRM_VALIDATE_RESPONSES, tests). */
  readonly validateResponses?: boolean;
  /**
   * How long a function trusts its copy of the custom field definitions (AWS: 30 s, so a
   * field changed through one function shows in another within that). Tests that change a
   * field and use it at once elsewhere set 0 (CRM_CUSTOM_FIELD_CACHE_TTL_MS).
   */
  readonly customFieldCacheTtlMs?: number;
}

/** The local value of each variable a need gives (compare the CDK tokens in crm-function.ts). */
export function localEnvironmentValues(
  config: CrmConfig,
  /** `cursorSecret`: the ARN of the cursor key secret (default: the local cloud's). */
  options: { tableName?: string; cursorSecret?: string; logLevel?: LogLevel } = {},
): EnvironmentValues {
  return {
    tableName: options.tableName ?? LOCAL_TABLE_NAME,
    cursorSecret: options.cursorSecret ?? localCursorSecretArn(config),
    eventBusName: LOCAL_BUS_NAME,
    userPoolId: LOCAL_USER_POOL_ID,
    scheduleGroupName: `crm-${config.stage}`,
    sesConfigurationSet: `crm-${config.stage}`,
    senderAddress: config.email.sender_address,
    corsAllowOrigins: config.api.cors_allow_origins.join(','),
    config,
    logLevel: options.logLevel ?? 'WARN',
  };
}

/** What Lambda sets in every function's environment (the reserved variables we can fake). */
export function lambdaRuntimeVariables(functionName: string, region: string, memorySize: number): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'local',
  };
}

/** The SDK reads these before any other credential source; the local services accept anything. */
export const LOCAL_CREDENTIAL_VARIABLES = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' } as const;

/** The SDK's AWS_ENDPOINT_URL_<SERVICE> variables for the services given (SES v1 and v2 share one). */
export function endpointVariables(endpoints: ServiceEndpoints): Record<string, string> {
  const entries: [string, string | undefined][] = [
    ['AWS_ENDPOINT_URL_DYNAMODB', endpoints.dynamodb],
    ['AWS_ENDPOINT_URL_EVENTBRIDGE', endpoints.eventbridge],
    ['AWS_ENDPOINT_URL_SES', endpoints.ses],
    ['AWS_ENDPOINT_URL_SESV2', endpoints.ses],
    ['AWS_ENDPOINT_URL_SCHEDULER', endpoints.scheduler],
    ['AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER', endpoints.cognito],
    ['AWS_ENDPOINT_URL_SQS', endpoints.sqs],
    ['AWS_ENDPOINT_URL_SECRETS_MANAGER', endpoints.secretsmanager],
  ];
  return Object.fromEntries(entries.filter((e): e is [string, string] => e[1] !== undefined));
}

function settingVariables(settings: LocalFunctionSettings): Record<string, string> {
  return {
    // EMF metrics would print a JSON blob per request on a terminal nobody ships to CloudWatch.
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...(settings.validateResponses ? { CRM_VALIDATE_RESPONSES: 'true' } : {}),
    ...(settings.customFieldCacheTtlMs !== undefined
      ? { CRM_CUSTOM_FIELD_CACHE_TTL_MS: String(settings.customFieldCacheTtlMs) }
      : {}),
  };
}

export interface LocalFunctionEnvironmentOptions {
  readonly config: CrmConfig;
  readonly endpoints: ServiceEndpoints;
  readonly values?: EnvironmentValues;
  readonly settings?: LocalFunctionSettings;
}

/** The function's whole environment on the laptop: registry variables, Lambda's, endpoints, credentials, settings. */
export function localFunctionEnvironment(spec: FunctionSpec, options: LocalFunctionEnvironmentOptions): Record<string, string> {
  const settings = options.settings ?? {};
  const values = options.values ?? localEnvironmentValues(options.config, { logLevel: settings.logLevel });
  const functionName = localFunctionName(options.config, spec);
  return {
    ...lambdaRuntimeVariables(functionName, options.config.region, spec.memorySize ?? 1024),
    ...LOCAL_CREDENTIAL_VARIABLES,
    ...endpointVariables(options.endpoints),
    ...settingVariables(settings),
    ...functionEnvironment(spec, values),
  };
}

/** The function's name in AWS, "crm-<stage>-<name>", which the local one keeps. */
export function localFunctionName(config: Pick<CrmConfig, 'stage'>, spec: Pick<FunctionSpec, 'name'>): string {
  return `crm-${config.stage}-${spec.name}`;
}

/**
 * The environment of code that is no function but reaches into the table as an operator
 * would with admin credentials: the local seed, and tests that read or write items directly.
 * Functions never see it; they run in workers with their own.
 */
export function operatorEnvironment(options: {
  config: CrmConfig;
  endpoints: ServiceEndpoints;
  values: EnvironmentValues;
  needs?: FunctionNeeds;
}): Record<string, string> {
  const operator: FunctionSpec = {
    name: 'operator',
    kind: 'deploy',
    entry: '',
    description: 'local seed and tests',
    timeoutSeconds: 0,
    needs: options.needs ?? { table: 'readWrite', cursorSecret: 'read' },
  };
  const variables = Object.entries(functionEnvironment(operator, options.values)).filter(
    ([name]) => !BASE_VARIABLE_NAMES.includes(name),
  );
  return {
    AWS_REGION: options.config.region,
    ...LOCAL_CREDENTIAL_VARIABLES,
    ...endpointVariables(options.endpoints),
    ...Object.fromEntries(variables),
  };
}

/** Every variable the runtime reads from a function's environment (RUNTIME_ENV), for tests that clear them. */
export const RUNTIME_VARIABLE_NAMES: readonly string[] = Object.values(RUNTIME_ENV);
