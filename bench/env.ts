import { RUNTIME_ENV } from '#shared/platform/runtime-env.ts';

// One environment for every CRM Lambda of the bench (the union of what infra/functions.ts gives each),
// with fake credentials and no endpoint unless one is given. Used for the init children and
// for the in-process handlers of the request and overhead stages.

export const BENCH_TABLE = 'crm';
export const BENCH_REGION = 'us-east-1';
/** The cursor key's secret (the bench database's Secrets Manager stand-in holds it). */
export const BENCH_CURSOR_SECRET = 'crm-bench/cursor-hmac-key';

export function lambdaEnv(
  options: { functionName?: string; dynamoEndpoint?: string; secretsManagerEndpoint?: string } = {},
): Record<string, string> {
  const name = options.functionName ?? 'bench';
  return {
    AWS_REGION: BENCH_REGION,
    AWS_DEFAULT_REGION: BENCH_REGION,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
    AWS_LAMBDA_FUNCTION_NAME: `crm-bench-${name}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    [RUNTIME_ENV.tableName]: BENCH_TABLE,
    [RUNTIME_ENV.eventBusName]: 'crm',
    [RUNTIME_ENV.cursorSecret]: BENCH_CURSOR_SECRET,
    [RUNTIME_ENV.adminMfaRequired]: 'false',
    [RUNTIME_ENV.automations]: '[]',
    [RUNTIME_ENV.accountDefaults]: JSON.stringify({
      company_name: 'Bench Inc.',
      currency: 'USD',
      time_zone: 'Etc/UTC',
      time_format: '24h',
    }),
    [RUNTIME_ENV.senderAddress]: 'crm@example.com',
    // The notifications' default channels (the config's: none) and the live WebSocket stage.
    [RUNTIME_ENV.notificationDefaults]: '{}',
    [RUNTIME_ENV.liveCallbackUrl]: 'https://bench.execute-api.us-east-1.amazonaws.com/live',
    // Read at import by user-directory-sync (never called: the bench sends it no event).
    [RUNTIME_ENV.userPoolId]: 'us-east-1_bench',
    // Documents presign URLs without calling S3; the bench never uploads.
    [RUNTIME_ENV.filesBucket]: 'crm-bench-files',
    POWERTOOLS_SERVICE_NAME: name,
    POWERTOOLS_LOG_LEVEL: 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_IDEMPOTENCY_DISABLED: 'false',
    ...(options.dynamoEndpoint ? { AWS_ENDPOINT_URL_DYNAMODB: options.dynamoEndpoint } : {}),
    ...(options.secretsManagerEndpoint ? { AWS_ENDPOINT_URL_SECRETS_MANAGER: options.secretsManagerEndpoint } : {}),
  };
}
