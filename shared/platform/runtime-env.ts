// The environment every CRM Lambda reads, set by CrmFunction in AWS and by the local cloud
// on a laptop. One list, so both sides set the same names.
export const RUNTIME_ENV = {
  tableName: 'TABLE_NAME',
  eventBusName: 'EVENT_BUS_NAME',
  /** ARN of the Secrets Manager secret holding the HMAC key of list cursors (read at run time). */
  cursorSecret: 'CURSOR_SECRET_ID',
  corsAllowOrigins: 'CORS_ALLOW_ORIGINS',
  /** JSON of the account defaults from the deployment config (company name, currency...). */
  accountDefaults: 'CRM_ACCOUNT_DEFAULTS',
  scheduleGroupName: 'SCHEDULE_GROUP_NAME',
  /** ARN of the Lambda reminder schedules invoke (the Scheduler target). */
  reminderTargetArn: 'REMINDER_TARGET_ARN',
  /** ARN of the role Scheduler assumes to invoke that target and to send to its dead-letter queue. */
  schedulerRoleArn: 'SCHEDULER_ROLE_ARN',
  /** ARN of the SQS queue a reminder goes to when every attempt failed. */
  reminderDeadLetterQueueArn: 'REMINDER_DLQ_ARN',
  sesConfigurationSet: 'SES_CONFIGURATION_SET',
  senderAddress: 'SENDER_ADDRESS',
  userPoolId: 'USER_POOL_ID',
  /** The app client whose tokens the API accepts (the Lambda authorizer checks aud/client_id). */
  userPoolClientId: 'USER_POOL_CLIENT_ID',
  /** "true" when admins must have activated MFA (TOTP) in Cognito to use the API (config auth.admin_mfa_required). */
  adminMfaRequired: 'CRM_ADMIN_MFA_REQUIRED',
  /** JSON {name, email} of the admin the bootstrap invites on a fresh deployment. */
  firstAdmin: 'CRM_FIRST_ADMIN',
  /** JSON of the config's default_pipeline, which the bootstrap creates on a fresh deployment. */
  defaultPipeline: 'CRM_DEFAULT_PIPELINE',
  /** JSON list of the configured automated actions (AutomationSummary), which GET /automations lists. */
  automations: 'CRM_AUTOMATIONS',
  /** JSON of the config's notifications.defaults: a channel per notification kind. */
  notificationDefaults: 'CRM_NOTIFICATION_DEFAULTS',
  /** The WebSocket stage's management endpoint (PostToConnection), https://<api>.execute-api.<region>.amazonaws.com/<stage>. */
  liveCallbackUrl: 'LIVE_CALLBACK_URL',
  /** JSON {app_url, sender_name?}: what outgoing mail links to and signs with (shared/mail/runtime.ts). */
  mailSettings: 'CRM_MAIL_SETTINGS',
  /** The files bucket (documents; uploads land under uploads/, checked files live under documents/). */
  filesBucket: 'FILES_BUCKET_NAME',
  /** The import queue's URL (batches of CSV rows; shared/imports). */
  importQueueUrl: 'IMPORT_QUEUE_URL',
  /** The bulk operations queue's URL (plans and batches of records; shared/bulk-operations). */
  bulkQueueUrl: 'BULK_QUEUE_URL',
  /** The export queue's URL (a message per slice of a CSV export; shared/exports). */
  exportQueueUrl: 'EXPORT_QUEUE_URL',
  /** The Sell import queue's URL (a message per slice of an admin-started Sell import; shared/sell-import). */
  sellImportQueueUrl: 'SELL_IMPORT_QUEUE_URL',
  /** Zendesk Sell's API base URL that admin-started imports read (config sell_import.base_url; https, or http on loopback). */
  sellBaseUrl: 'SELL_BASE_URL',
  /** ARN of the secret holding the voice provider's webhook auth token (Twilio's), read at run time. */
  voiceSecret: 'VOICE_SECRET_ID',
  /** ARN of the KMS key that seals mailbox credentials (envelope encryption; shared/mailboxes/sealer.ts). */
  credentialsKey: 'CREDENTIALS_KEY_ARN',
  /** The Amazon Connect instance whose contacts the connect-calls consumer describes (its id, not its ARN). */
  connectInstanceId: 'CONNECT_INSTANCE_ID',
  /** Connect agents (user ids) to CRM users' e-mails: JSON, config connect.agents. */
  connectAgents: 'CRM_CONNECT_AGENTS',
  /**
   * JSON {redirect_uri, providers: [{name, client_id, client_secret_name, endpoints, scope, imap...}]}:
   * the config's mailbox_oauth (shared/mailboxes/runtime.ts); the client secrets stay in Secrets Manager.
   */
  mailboxOAuth: 'CRM_MAILBOX_OAUTH',
} as const;

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is not set`);
  return value;
}
