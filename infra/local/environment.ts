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
import { LOCAL_CLIENT_ID, LOCAL_USER_POOL_ID } from './dev-auth.ts';
import { arn, secretArn } from './iam/arns.ts';
import { functionAccessKeyId, LOCAL_ADMIN_ACCESS_KEY_ID } from './iam/gate.ts';

// A function's environment on a laptop: what CDK gives it in AWS (functionEnvironment, from
// the same registry entry), valued with local names, plus what Lambda itself sets, the local
// endpoints and the function's own credentials (its access key is its identity at the IAM
// gates). Nothing else: a variable the registry does not declare is missing here exactly as it
// is in AWS.

/**
 * Names for code that runs no synthesized app (the integration tests' tables). The local cloud
 * names its resources as the templates do (synthesized-app.ts: templateResourceNames).
 */
const UNSYNTHESIZED_NAME = 'crm';
export const LOCAL_ACCOUNT_ID = '000000000000';
/** LIVE_CALLBACK_URL where no local WebSocket API runs (integration tests): nothing answers there. */
const NO_LIVE_CALLBACK_URL = 'http://127.0.0.1:9/no-websocket-api/live';

/** The cursor key secret's name, as the stateful stack names it. */
export function cursorSecretName(config: Pick<CrmConfig, 'stage'>): string {
  return `crm-${config.stage}/cursor-hmac-key`;
}

/** The local cursor key secret's ARN (the local Secrets Manager serves it; infra/local/iam/arns.ts). */
export function localCursorSecretArn(config: Pick<CrmConfig, 'stage' | 'region'>): string {
  return secretArn({ accountId: LOCAL_ACCOUNT_ID, region: config.region }, cursorSecretName(config));
}

/**
 * The local voice auth token (a fresh local cloud's secret value; a developer may put their
 * provider's real one in): local webhooks and tests sign with it.
 */
export const LOCAL_VOICE_AUTH_TOKEN = 'local-voice-auth-token';

/** The voice provider's auth token secret's name, as the stateful stack names it. */
export function voiceSecretName(config: Pick<CrmConfig, 'stage'>): string {
  return `crm-${config.stage}/voice-auth-token`;
}

/**
 * The id of the local KMS key that seals mailbox credentials (the stateful stack's
 * CredentialsKey): fixed, so the key material in the local cloud's data folder keeps opening
 * what it sealed across restarts.
 */
export const LOCAL_CREDENTIALS_KEY_ID = '0c0ffee0-c4ed-4000-8000-000000000001';

/** The local credentials key's ARN (the local KMS serves it; infra/local/kms.ts). */
export function localCredentialsKeyArn(config: Pick<CrmConfig, 'region'>): string {
  return arn({ accountId: LOCAL_ACCOUNT_ID, region: config.region }, 'kms', `key/${LOCAL_CREDENTIALS_KEY_ID}`);
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
  /**
   * The WebSocket management API (PostToConnection). No AWS_ENDPOINT_URL_* names it: functions
   * reach it through LIVE_CALLBACK_URL, this endpoint followed by "/<api id>/<stage>".
   */
  readonly apigatewaymanagement?: string;
  readonly s3?: string;
  readonly kms?: string;
  /** Amazon Connect's DescribeContact (infra/local/connect.ts). */
  readonly connect?: string;
}

/** Settings of a developer's machine, not of the deployment: how loud, how strict. */
export interface LocalFunctionSettings {
  /** Powertools' level (AWS: the config's, INFO); WARN keeps `npm start` readable. */
  readonly logLevel?: LogLevel;
  /** Check every 2xx body against its route's response schema (CRM_VALIDATE_RESPONSES, tests). */
  readonly validateResponses?: boolean;
  /**
   * How old an event must be before GET /events/stream serves it (CRM_EVENT_STREAM_SETTLE_SECONDS;
   * default and AWS: STREAM_SETTLE_SECONDS). e2e tests shorten it; nothing local runs long.
   */
  readonly eventStreamSettleSeconds?: number;
}

/** The resources' names, as the synthesized templates give them (templateResourceNames). */
export interface LocalResourceNames {
  readonly tableName: string;
  readonly eventBusName: string;
  readonly scheduleGroupName: string;
  /** What reminder schedules name: the reminders function, the role Scheduler assumes, the DLQ (ARNs). */
  readonly reminderTargetArn: string;
  readonly schedulerRoleArn: string;
  readonly reminderDeadLetterQueueArn: string;
  readonly sesConfigurationSet: string;
  readonly filesBucketName: string;
}

/**
 * The local value of each variable a need gives (compare the CDK tokens in crm-function.ts).
 * Names not given are "crm": only code that synthesizes nothing may rely on that.
 */
export function localEnvironmentValues(
  config: CrmConfig,
  /** `cursorSecret`: the ARN of the cursor key secret (default: the local cloud's). */
  /** `liveCallbackUrl`: the local WebSocket management endpoint (default: none, unreachable). */
  /** `importQueueUrl`: the import queue's URL (AWS's form: the SDK sends to the configured, gated endpoint). */
  /** `bulkQueueUrl`: the bulk operations queue's URL, likewise. */
  /** `exportQueueUrl`: the export queue's URL, likewise. */
  /** `sellImportQueueUrl`: the Sell import queue's URL, likewise. */
  options: Partial<LocalResourceNames> & {
    cursorSecret?: string;
    voiceSecret?: string;
    /** The credentials key's ARN (default: the local one, LOCAL_CREDENTIALS_KEY_ID). */
    credentialsKey?: string;
    logLevel?: LogLevel;
    liveCallbackUrl?: string;
    importQueueUrl?: string;
    bulkQueueUrl?: string;
    exportQueueUrl?: string;
    sellImportQueueUrl?: string;
  } = {},
): EnvironmentValues {
  return {
    tableName: options.tableName ?? UNSYNTHESIZED_NAME,
    cursorSecret: options.cursorSecret ?? localCursorSecretArn(config),
    voiceSecret:
      options.voiceSecret ?? secretArn({ accountId: LOCAL_ACCOUNT_ID, region: config.region }, voiceSecretName(config)),
    credentialsKey: options.credentialsKey ?? localCredentialsKeyArn(config),
    eventBusName: options.eventBusName ?? UNSYNTHESIZED_NAME,
    userPoolId: LOCAL_USER_POOL_ID,
    userPoolClientId: LOCAL_CLIENT_ID,
    scheduleGroupName: options.scheduleGroupName ?? UNSYNTHESIZED_NAME,
    reminderTargetArn:
      options.reminderTargetArn ?? `arn:aws:lambda:${config.region}:${LOCAL_ACCOUNT_ID}:function:crm-${config.stage}-reminders`,
    schedulerRoleArn: options.schedulerRoleArn ?? `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${UNSYNTHESIZED_NAME}-scheduler`,
    reminderDeadLetterQueueArn:
      options.reminderDeadLetterQueueArn ?? `arn:aws:sqs:${config.region}:${LOCAL_ACCOUNT_ID}:crm-${config.stage}-reminders-dlq`,
    sesConfigurationSet: options.sesConfigurationSet ?? UNSYNTHESIZED_NAME,
    senderAddress: config.email.sender_address,
    filesBucketName: options.filesBucketName ?? UNSYNTHESIZED_NAME,
    importQueueUrl:
      options.importQueueUrl ?? `https://sqs.${config.region}.amazonaws.com/${LOCAL_ACCOUNT_ID}/crm-${config.stage}-imports`,
    bulkQueueUrl:
      options.bulkQueueUrl ??
      `https://sqs.${config.region}.amazonaws.com/${LOCAL_ACCOUNT_ID}/crm-${config.stage}-bulk-operations`,
    exportQueueUrl:
      options.exportQueueUrl ?? `https://sqs.${config.region}.amazonaws.com/${LOCAL_ACCOUNT_ID}/crm-${config.stage}-exports`,
    sellImportQueueUrl:
      options.sellImportQueueUrl ??
      `https://sqs.${config.region}.amazonaws.com/${LOCAL_ACCOUNT_ID}/crm-${config.stage}-sell-imports`,
    corsAllowOrigins: config.api.cors_allow_origins.join(','),
    liveCallbackUrl: options.liveCallbackUrl ?? NO_LIVE_CALLBACK_URL,
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

/** A function's credentials: its own access key id (functionAccessKeyId), checked against its policy at the gates. */
export function functionCredentialVariables(name: string): Record<string, string> {
  return { AWS_ACCESS_KEY_ID: functionAccessKeyId(name), AWS_SECRET_ACCESS_KEY: 'local' };
}

/** The local cloud's own credentials (setup, seeding, test fixtures): the gates let them through unchecked. */
export const ADMIN_CREDENTIAL_VARIABLES = {
  AWS_ACCESS_KEY_ID: LOCAL_ADMIN_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY: 'local',
} as const;

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
    ['AWS_ENDPOINT_URL_S3', endpoints.s3],
    ['AWS_ENDPOINT_URL_KMS', endpoints.kms],
    ['AWS_ENDPOINT_URL_CONNECT', endpoints.connect],
  ];
  return Object.fromEntries(entries.filter((e): e is [string, string] => e[1] !== undefined));
}

function settingVariables(settings: LocalFunctionSettings): Record<string, string> {
  return {
    // EMF metrics would print a JSON blob per request on a terminal nobody ships to CloudWatch.
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...(settings.validateResponses ? { CRM_VALIDATE_RESPONSES: 'true' } : {}),
    ...(settings.eventStreamSettleSeconds !== undefined
      ? { CRM_EVENT_STREAM_SETTLE_SECONDS: String(settings.eventStreamSettleSeconds) }
      : {}),
  };
}

export interface LocalFunctionEnvironmentOptions {
  readonly config: CrmConfig;
  readonly endpoints: ServiceEndpoints;
  readonly values?: EnvironmentValues;
  readonly settings?: LocalFunctionSettings;
}

/** The function's whole environment on the laptop: registry variables, Lambda's, endpoints, its credentials, settings. */
export function localFunctionEnvironment(spec: FunctionSpec, options: LocalFunctionEnvironmentOptions): Record<string, string> {
  const settings = options.settings ?? {};
  const values = options.values ?? localEnvironmentValues(options.config, { logLevel: settings.logLevel });
  const functionName = localFunctionName(options.config, spec);
  return {
    ...lambdaRuntimeVariables(functionName, options.config.region, spec.memorySize ?? 1024),
    ...functionCredentialVariables(spec.name),
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
 * would with admin credentials (the gates' unchecked key): the local seed, and tests that read
 * or write items directly.
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
    // accountDefaults: `npm start` runs the migrations, whose outcome backfill counts days in the
    // account's zone; scheduleGroup: the task reminders' backfill creates schedules.
    needs: options.needs ?? { table: 'readWrite', cursorSecret: 'read', config: ['accountDefaults'], scheduleGroup: true },
  };
  const variables = Object.entries(functionEnvironment(operator, options.values)).filter(
    ([name]) => !BASE_VARIABLE_NAMES.includes(name),
  );
  return {
    AWS_REGION: options.config.region,
    ...ADMIN_CREDENTIAL_VARIABLES,
    ...endpointVariables(options.endpoints),
    ...Object.fromEntries(variables),
  };
}

/** Every variable the runtime reads from a function's environment (RUNTIME_ENV), for tests that clear them. */
export const RUNTIME_VARIABLE_NAMES: readonly string[] = Object.values(RUNTIME_ENV);
