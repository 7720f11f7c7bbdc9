import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from '#infra/build/bundle.ts';
import { allRoutes } from '#shared/families.ts';
import { RUNTIME_ENV } from '#shared/platform/runtime-env.ts';
import type { CrmConfig } from '#infra/config/schema.ts';
import { builtinRules, CONNECT_RULE_DESCRIPTION } from '#infra/rules.ts';
import { AUTOMATIONS_TARGET } from '#infra/automations.ts';
import { automationSummaries } from '#shared/automations/domain.ts';

// The function registry: every Lambda of the CRM, once, with what it needs. The stacks create
// one CrmFunction per entry and grant exactly its needs; the local cloud and the test helpers
// build each function's environment from the same needs (functionEnvironment below), so a
// variable or grant missing here is missing on a laptop too. HTTP families come from the
// route contracts, so adding a route to a new family asks for its needs here.

/**
 * `queue`: consumes an SQS queue of the stateless stack (event source mapping).
 * `ops`: invoked by an operator only (no event source). `rotation`: invoked by Secrets Manager
 * on a secret's rotation schedule; it lives in the stateful stack, beside its secret.
 * `websocket`: invoked synchronously by the WebSocket API (its authorizer and routes).
 * `authorizer`: the HTTP API's Lambda authorizer, invoked synchronously by API Gateway.
 */
export type FunctionKind =
  'http' | 'authorizer' | 'stream' | 'event' | 'queue' | 'scheduled' | 'deploy' | 'ops' | 'rotation' | 'websocket';

export type TableAccess = 'read' | 'readWrite';

/** The Cognito admin actions a function may be granted on the CRM's user pool. */
export type UserPoolAction =
  | 'cognito-idp:AdminCreateUser'
  | 'cognito-idp:AdminGetUser'
  | 'cognito-idp:AdminListGroupsForUser'
  | 'cognito-idp:AdminAddUserToGroup'
  | 'cognito-idp:AdminRemoveUserFromGroup'
  | 'cognito-idp:AdminDisableUser'
  | 'cognito-idp:AdminEnableUser'
  | 'cognito-idp:AdminUserGlobalSignOut';

/** Values of the deployment config a function reads from its environment. */
export type ConfigVariable =
  | 'accountDefaults'
  | 'corsAllowOrigins'
  | 'firstAdmin'
  | 'defaultPipeline'
  | 'adminMfaRequired'
  | 'automations'
  | 'notificationDefaults'
  | 'mailSettings'
  | 'sellImport';

/**
 * What a function may touch. Each need is one or more environment variables and the IAM
 * grants that go with them; a function gets nothing it does not declare.
 */
export interface FunctionNeeds {
  /** TABLE_NAME, and item access to the table and each of its indexes (never Scan). */
  readonly table?: TableAccess;
  /**
   * CURSOR_SECRET_ID, the ARN of the secret holding the HMAC key of list cursors, read at run
   * time. `read`: secretsmanager:GetSecretValue on that secret only; any code that pages a list
   * through `Table.page` signs a cursor once a page is full, even a cursor it keeps to itself.
   * `rotate`: what Secrets Manager's rotation protocol takes on that secret (its rotation Lambda).
   */
  readonly cursorSecret?: 'read' | 'rotate';
  /** EVENT_BUS_NAME, and events:PutEvents on the CRM bus. */
  readonly bus?: true;
  /** USER_POOL_ID, and these admin actions on the CRM's user pool only. */
  readonly userPool?: readonly UserPoolAction[];
  /**
   * USER_POOL_ID, and cognito-idp:AdminGetUser on the pool only when the config requires MFA
   * of admins (auth.admin_mfa_required): the caller's MFA is checked then, and never otherwise.
   */
  readonly mfaCheck?: true;
  /** USER_POOL_ID and USER_POOL_CLIENT_ID: verifies Cognito tokens (public keys, no grant). */
  readonly tokenVerifier?: true;
  /**
   * SCHEDULE_GROUP_NAME, REMINDER_TARGET_ARN, SCHEDULER_ROLE_ARN and REMINDER_DLQ_ARN (what a
   * reminder schedule names), create/delete of schedules in that group, and PassRole of the
   * target role to Scheduler.
   */
  readonly scheduleGroup?: true;
  /**
   * SES_CONFIGURATION_SET and SENDER_ADDRESS, and sending from that address through that set
   * only; `paced` (the mail-sender) adds reading the account's sending quota and suppression
   * list (GetAccount, GetSuppressedDestination: no resource-level permissions), which pace and
   * guard the sends.
   */
  readonly mailer?: true | 'paced';
  /**
   * Reading the account's SES suppression list (GetSuppressedDestination, no resource-level
   * permissions) without sending: POST /emails refuses suppressed recipients with a 422.
   */
  readonly suppressionList?: true;
  /**
   * LIVE_CALLBACK_URL, the WebSocket stage's management endpoint, and
   * execute-api:ManageConnections for POST /@connections/* on that stage only (PostToConnection).
   */
  readonly live?: true;
  /**
   * FILES_BUCKET_NAME, and s3:GetObject, s3:PutObject and s3:DeleteObject on the files bucket's
   * FILE_PREFIXES only (presigning an upload or a download needs the action it presigns).
   */
  readonly files?: true;
  /**
   * FILES_BUCKET_NAME, and s3:GetObject on the files bucket's INBOUND_PREFIX only: the mail
   * SES's receipt rule stored there (read, never written or deleted).
   */
  readonly inboundMail?: true;
  /**
   * IMPORT_QUEUE_URL, and sqs:SendMessage on the import queue only (a started import's plan,
   * then its batches of rows).
   */
  readonly importQueue?: true;
  /**
   * BULK_QUEUE_URL, and sqs:SendMessage on the bulk operations queue only (an operation's plan,
   * then its batches of records).
   */
  readonly bulkQueue?: true;
  /**
   * EXPORT_QUEUE_URL, and sqs:SendMessage on the export queue only (a requested export's first
   * slice, then each slice's continuation).
   */
  readonly exportQueue?: true;
  /**
   * SELL_IMPORT_QUEUE_URL, and sqs:SendMessage on the Sell import queue only (a started Sell
   * import's first slice, then each slice's continuation).
   */
  readonly sellImportQueue?: true;
  /**
   * VOICE_SECRET_ID, the ARN of the secret holding the voice provider's webhook auth token
   * (Twilio's), and secretsmanager:GetSecretValue on that secret only.
   */
  readonly voiceSecret?: true;
  /**
   * CREDENTIALS_KEY_ARN, the KMS key that seals mailbox credentials, and on that key only, for
   * encryption contexts whose purpose is the credentials' (CREDENTIAL_PURPOSE): `seal`,
   * kms:GenerateDataKey; `open`, kms:Decrypt; `sealAndOpen`, both.
   */
  readonly credentialsKey?: 'seal' | 'open' | 'sealAndOpen';
  /**
   * CONNECT_INSTANCE_ID (config connect.instance_arn's id) and CRM_CONNECT_AGENTS (connect.agents),
   * and connect:DescribeContact on that instance's contacts only (`<instance arn>/contact/*`);
   * no grant when no instance is configured.
   */
  readonly connect?: true;
  /**
   * CRM_MAILBOX_OAUTH, the config's mailbox OAuth providers (no secrets), and
   * secretsmanager:GetSecretValue on each provider's client secret (client_secret_name) only:
   * the functions that call the providers' token endpoints.
   */
  readonly mailboxOAuth?: true;
  /** Values of the deployment config. */
  readonly config?: readonly ConfigVariable[];
}

/**
 * The key prefixes of the files bucket functions may touch: fresh uploads, checked documents,
 * import files, export files (their parts, then the joined file; expired by a lifecycle rule).
 */
export const FILE_PREFIXES = ['uploads/', 'documents/', 'imports/', 'exports/'] as const;

/**
 * The browser origins that may PUT and GET files with presigned URLs (the bucket's CORS rule;
 * locally, the S3 gate's): the web app's (app_url) and the API's explicit CORS origins ("*" is
 * not carried over: a bucket names its origins).
 */
export function filesCorsOrigins(config: Pick<CrmConfig, 'app_url' | 'api'>): string[] {
  return [...new Set([new URL(config.app_url).origin, ...config.api.cors_allow_origins.filter((o) => o !== '*')])];
}

export interface FunctionSpec {
  /** Kebab-case; also the Powertools service name and the suffix of the function's name. */
  readonly name: string;
  readonly kind: FunctionKind;
  /** The handler module, relative to the repository root. */
  readonly entry: string;
  readonly description: string;
  /** Seconds; HTTP functions stay well under API Gateway's 30 s integration timeout. */
  readonly timeoutSeconds: number;
  /** MB; CPU scales with it, and 1024 MB keeps cold starts short. */
  readonly memorySize?: number;
  readonly needs: FunctionNeeds;
}

/** The family serving API Gateway's $default route (problem+json 404 for unknown paths). */
export const DEFAULT_ROUTE_FAMILY = 'platform';

export const httpFamilies: readonly string[] = [...new Set(allRoutes.map((route) => route.family))].sort();

// Every HTTP function answers CORS itself (API Gateway only answers the preflight). Every one
// that resolves a caller may check an admin's MFA in Cognito (config auth.admin_mfa_required).
const MFA_CHECK: Pick<FunctionNeeds, 'mfaCheck'> = { mfaCheck: true };
const CRUD: FunctionNeeds = {
  table: 'readWrite',
  cursorSecret: 'read',
  ...MFA_CHECK,
  config: ['corsAllowOrigins', 'adminMfaRequired'],
};

/** Per family; a family missing here fails synth, so a new one is given its needs on purpose. */
const HTTP_NEEDS: Readonly<Record<string, FunctionNeeds>> = {
  // Public routes only (/health, /openapi.json, $default): no table, no key.
  platform: { config: ['corsAllowOrigins'] },
  // GETs only; Table.page still signs the next cursor of a full page, which search drops.
  search: { table: 'read', cursorSecret: 'read', ...MFA_CHECK, config: ['corsAllowOrigins', 'adminMfaRequired'] },
  // GETs only: the feed, timelines (a record's owner) and team members for team_id.
  activities: { table: 'read', cursorSecret: 'read', ...MFA_CHECK, config: ['corsAllowOrigins', 'adminMfaRequired'] },
  // The account's defaults: identity shows them; a new deal (also one converted from a lead)
  // takes their currency.
  identity: { ...CRUD, config: ['corsAllowOrigins', 'adminMfaRequired', 'accountDefaults'] },
  deals: { ...CRUD, config: ['corsAllowOrigins', 'adminMfaRequired', 'accountDefaults'] },
  leads: { ...CRUD, config: ['corsAllowOrigins', 'adminMfaRequired', 'accountDefaults'] },
  contacts: CRUD,
  'custom-fields': CRUD,
  notes: CRUD,
  pipelines: CRUD,
  // Admins only: the pull stream over the outbox (its position is the outbox's own key; the
  // cursor key is for resolving callers, whose direct reports are a paged list).
  events: { table: 'read', cursorSecret: 'read', ...MFA_CHECK, config: ['corsAllowOrigins', 'adminMfaRequired'] },
  // Admins only: GET /automations, the configured actions (config) and their runs (a read
  // model in the table); the cursor key and MFA check as for every caller-facing function.
  automations: {
    table: 'read',
    cursorSecret: 'read',
    ...MFA_CHECK,
    config: ['corsAllowOrigins', 'adminMfaRequired', 'automations'],
  },
  tasks: CRUD,
  // Appointments, their calendar entries and the owners of linked records and attendee leads/contacts.
  appointments: CRUD,
  // The caller's feed (its token's hash and lookup item) and external calendars; the public
  // feed route reads the token's user, their calendar entries and tasks; GET /calendar merges
  // them with the stored external events. Never fetches a URL (the refresh function does).
  calendar: CRUD,
  // The caller's own inbox and settings: reads and writes its items, its count and its
  // settings; pages sign their next cursor; settings show the config's default channels.
  // Tickets for the live WebSocket are items of the table; a read or archive pushes the new
  // unread count to the caller's open connections (live).
  notifications: { ...CRUD, live: true, config: ['corsAllowOrigins', 'adminMfaRequired', 'notificationDefaults'] },
  // Users' own mail: writes messages, their events and mail requests (the mail-sender sends);
  // matches addresses through the search index; refuses recipients on the SES suppression
  // list; creates leads and contacts (add_sender, through their use cases: custom fields);
  // the sending and inbound domains.
  // Connecting a mailbox seals its password with a KMS data key (opening is the poller's);
  // mailboxOAuth: POST /mailboxes/oauth/callback exchanges the code with the client secret.
  emails: {
    ...CRUD,
    suppressionList: true,
    credentialsKey: 'seal',
    mailboxOAuth: true,
    config: ['corsAllowOrigins', 'adminMfaRequired', 'mailSettings'],
  },
  // GETs only: the board counters, outcome buckets and task list; the outcome days are
  // counted in the account defaults' time zone. Task pages sign their next cursor.
  // Sell's Core API v2: translates each call onto the native routes in-process (identity, leads,
  // contacts, deals, pipelines, notes, tasks, custom fields), so it needs what they need, and
  // reads Sell ids (one GetItem or BatchGetItem).
  'sell-facade': { ...CRUD, config: ['corsAllowOrigins', 'adminMfaRequired', 'accountDefaults'] },
  dashboard: {
    table: 'read',
    cursorSecret: 'read',
    ...MFA_CHECK,
    config: ['corsAllowOrigins', 'adminMfaRequired', 'accountDefaults'],
  },
  // Documents: their records in the table, and presigned uploads and downloads in the files bucket.
  documents: { ...CRUD, files: true },
  // Capture forms: the admins' CRUD, and the public embed and submission, which creates the
  // lead and signs form tokens with a key derived from the cursor secret.
  'capture-forms': CRUD,
  // Public RSVP routes only (the link's token, no caller, no list): reads the token and the
  // appointment, writes the answer and its event.
  invitations: { table: 'readWrite', config: ['corsAllowOrigins'] },
  // Imports: their jobs in the table, the uploaded file and error file in the files bucket
  // (presigned PUT and GET, the dry run's read), the plan message on the import queue; the
  // custom field catalog for the mapping, users by e-mail for owners.
  // The Sell import's routes too: the job in the table, its token sealed with a key derived from
  // the cursor secret (CRUD reads it), its first message on the Sell import queue.
  // A started Sell import's token is sealed with a KMS data key (opening it is the worker's).
  // POST /sell_imports stores the configured Sell API base URL on the job (sellImport).
  imports: {
    ...CRUD,
    files: true,
    importQueue: true,
    sellImportQueue: true,
    credentialsKey: 'seal',
    config: [...CRUD.config!, 'sellImport'],
  },
  // Bulk operations: their records in the table, the plan message on the bulk queue; a filter's
  // first page read at once (the list use cases: cursors, custom fields).
  'bulk-operations': { ...CRUD, bulkQueue: true },
  // Exports: their jobs in the table, one page of the list to check the filters (the families'
  // list use cases: custom field catalog, users, cursor key), the first message on the export
  // queue, the presigned download in the files bucket.
  exports: { ...CRUD, files: true, exportQueue: true },
  // Calls and text messages (F2.4): records' owners, call outcomes.
  calls: CRUD,
  // The voice provider's public webhook: its auth token (to check signatures), the phone
  // index, and calls and texts written with their events. No caller: no MFA check, no cursor.
  'voice-webhook': { table: 'readWrite', voiceSecret: true, config: ['corsAllowOrigins'] },
};

export const httpFunctions: readonly FunctionSpec[] = httpFamilies.map((family) => {
  const needs = HTTP_NEEDS[family];
  if (!needs)
    throw new Error(`HTTP family "${family}" has no needs in infra/functions.ts (HTTP_NEEDS): declare what it may touch`);
  return {
    name: family,
    kind: 'http',
    entry: `functions/http/${family}.ts`,
    description: `CRM HTTP API: ${family} routes`,
    timeoutSeconds: 10,
    needs,
  };
});

export const outboxPublisher: FunctionSpec = {
  name: 'outbox-publisher',
  kind: 'stream',
  entry: 'functions/streams/outbox-publisher.ts',
  description: 'CRM table stream (new outbox items) to the EventBridge bus',
  timeoutSeconds: 30,
  // The stream's read grants come with its event source mapping (stateless stack).
  needs: { bus: true },
};

const ruleDescription = (target: string) => builtinRules.find((r) => r.target === target)?.description ?? target;

/** Targets of the built-in bus rules (infra/rules.ts); each rule's target must be listed here. */
export const eventFunctions: readonly FunctionSpec[] = [
  {
    name: 'user-directory-sync',
    kind: 'event',
    entry: 'functions/events/user-directory-sync.ts',
    description: `CRM bus consumer: ${ruleDescription('user-directory-sync')}`,
    timeoutSeconds: 30,
    // Cognito, and the table for the markers of the events it handled (dedupe on event_id):
    // the event carries the user, so no record is read.
    needs: {
      table: 'readWrite',
      userPool: [
        'cognito-idp:AdminCreateUser',
        'cognito-idp:AdminAddUserToGroup',
        'cognito-idp:AdminRemoveUserFromGroup',
        'cognito-idp:AdminDisableUser',
        'cognito-idp:AdminEnableUser',
        'cognito-idp:AdminUserGlobalSignOut',
      ],
    },
  },
  {
    name: 'contact-status',
    kind: 'event',
    entry: 'functions/events/contact-status.ts',
    description: `CRM bus consumer: ${ruleDescription('contact-status')}`,
    timeoutSeconds: 30,
    // Reads the contact, its deals (paged: past 100 deals a cursor is signed) and their
    // stages; writes the contact and its contact.updated event.
    needs: { table: 'readWrite', cursorSecret: 'read' },
  },
  {
    name: 'tag-registry',
    kind: 'event',
    entry: 'functions/events/tag-registry.ts',
    description: `CRM bus consumer: ${ruleDescription('tag-registry')}`,
    timeoutSeconds: 30,
    // Reads name claims, writes tags with their Sell ids (the sequence is an UpdateItem). No
    // markers: a name's claim dedupes. Publishes nothing, reads no page past a cursor.
    needs: { table: 'readWrite' },
  },
  {
    name: 'deal-outcomes',
    kind: 'event',
    entry: 'functions/events/deal-outcomes.ts',
    description: `CRM bus consumer: ${ruleDescription('deal-outcomes')}`,
    timeoutSeconds: 30,
    // Reads stages (category) and users (team); writes bucket counters and record heads. Days
    // are counted in the account defaults' time zone.
    needs: { table: 'readWrite', config: ['accountDefaults'] },
  },
  {
    name: 'activity-feed',
    kind: 'event',
    entry: 'functions/events/activity-feed.ts',
    description: `CRM bus consumer: ${ruleDescription('activity-feed')}`,
    timeoutSeconds: 60,
    // Reads and writes feed items and reads a record's owner; pages a timeline with raw
    // Queries (no cursor is signed), so no key. No markers: the entries' own conditions dedupe.
    needs: { table: 'readWrite' },
  },
  {
    name: 'migrate',
    kind: 'event',
    entry: 'functions/events/migrate.ts',
    description: `CRM bus consumer: ${ruleDescription('migrate')}`,
    // A chunk of a backfill per invocation, then a continuation through the bus (it writes
    // events, so it stays within the pull stream's settle time: test/infra/events.infra.test.ts).
    timeoutSeconds: 60,
    // Reads records, writes read models and the migration markers (and, through the outbox,
    // its own continuation event); pages with raw Queries, so no cursor key. The outcome
    // counters' backfill counts days in the account defaults' time zone; the task reminders'
    // backfill creates schedules.
    needs: { table: 'readWrite', config: ['accountDefaults'], scheduleGroup: true },
  },
  {
    // Not "notifications": that is the HTTP family's function.
    name: 'notification-delivery',
    kind: 'event',
    entry: 'functions/events/notifications.ts',
    description: `CRM bus consumer: ${ruleDescription('notification-delivery')}`,
    timeoutSeconds: 30,
    // Reads the recipient's settings and the record's current owner; writes the inbox item,
    // its count, its marker and pending e-mails in one transaction (a job's record: its marker
    // and the job's tally; the job's end sums the tallies). No cursor is signed (no
    // paged list); the config's default channels. Pushes a written item to the recipient's
    // open WebSocket connections (reads them, deletes the gone ones).
    needs: { table: 'readWrite', live: true, config: ['notificationDefaults'] },
  },
  {
    name: 'email-events',
    kind: 'event',
    entry: 'functions/events/email-events.ts',
    description: `CRM bus consumer: ${ruleDescription('email-events')}`,
    timeoutSeconds: 30,
    // Reads and writes messages, address marks and its per-event markers (one transaction).
    needs: { table: 'readWrite' },
  },
  {
    name: 'mailbox-sent-copy',
    kind: 'event',
    entry: 'functions/events/mailbox-sent-copy.ts',
    description: `CRM bus consumer: ${ruleDescription('mailbox-sent-copy')}`,
    // One IMAP login, a SEARCH and an APPEND (30 s socket timeout each); writes no events.
    timeoutSeconds: 60,
    // Reads the message and the sender's mailboxes, writes the Message-ID marker and refreshed
    // OAuth tokens; opens the sealed credentials with KMS (v1 values with the cursor key) and
    // seals a refreshed token; refreshes OAuth2 access tokens at the providers (mailboxOAuth);
    // the mail settings name the domains. Connects to the user's IMAP server over the internet.
    needs: {
      table: 'readWrite',
      cursorSecret: 'read',
      credentialsKey: 'sealAndOpen',
      mailboxOAuth: true,
      config: ['mailSettings'],
    },
  },
  {
    name: 'reminder-sync',
    kind: 'event',
    entry: 'functions/events/reminder-sync.ts',
    description: `CRM bus consumer: ${ruleDescription('reminder-sync')}`,
    timeoutSeconds: 30,
    // Reads the task or appointment (consistently) and creates and deletes its reminder schedules; no markers.
    needs: { table: 'read', scheduleGroup: true },
  },
  {
    name: AUTOMATIONS_TARGET,
    kind: 'event',
    entry: 'functions/events/automated-actions.ts',
    description: "CRM bus consumer: runs the admins' automated actions (one rule per action, input {action, event})",
    timeoutSeconds: 30,
    // Through the families' use-cases: creates tasks, sets custom fields (deals, leads,
    // contacts), reads users, teams and custom field definitions; writes its markers and its
    // read model. The rule carries the action, so no config but the account's time zone and
    // currency (the deals' adapters read them).
    needs: { table: 'readWrite', cursorSecret: 'read', config: ['accountDefaults'] },
  },
  {
    name: 'document-check',
    kind: 'event',
    entry: 'functions/events/document-check.ts',
    description: `Default bus consumer (S3 Object Created): ${ruleDescription('document-check')}`,
    // Reads a file's size and first bytes, copies an accepted one, writes the document and its
    // event (timeout + 30 s within the pull stream's settle time).
    timeoutSeconds: 60,
    // The document (get, conditional replace, its event through the outbox); no list, no key.
    needs: { table: 'readWrite', files: true },
  },
  {
    name: 'connect-calls',
    kind: 'event',
    entry: 'functions/events/connect-calls.ts',
    description: `Default bus consumer (Amazon Connect Contact Event): ${CONNECT_RULE_DESCRIPTION}`,
    // One DescribeContact, one phone index Query, one transaction with its event (timeout + 30 ≤ 90 s).
    timeoutSeconds: 30,
    // Calls with their claims and events, the phone index, users by e-mail (the agents' map);
    // no list, no key. DescribeContact on the configured instance's contacts.
    needs: { table: 'readWrite', connect: true },
  },
  {
    name: 'appointment-invitations',
    kind: 'event',
    entry: 'functions/events/appointment-invitations.ts',
    description: `CRM bus consumer: ${ruleDescription('appointment-invitations')}`,
    // Writes events (mail requests): timeout + 30 s within the pull stream's settle time.
    timeoutSeconds: 30,
    // Reads attendees (users, leads, contacts) and users' notification settings (the config's
    // defaults when unset); writes each planned mail with its mail request (outbox).
    needs: { table: 'readWrite', config: ['notificationDefaults'] },
  },
  {
    name: 'inbound-mail',
    kind: 'event',
    entry: 'functions/events/inbound-mail.ts',
    description: `Default bus consumer (S3 Object Created): ${ruleDescription('inbound-mail')}`,
    // Reads one mail (up to 40 MB), writes answers and their events (timeout + 30 ≤ 90 s).
    timeoutSeconds: 60,
    memorySize: 1024,
    // The received mail under inbound/; appointments, attendees' records and users; the app's
    // URL (the invitations' UID domain) and the mail domains (tokens). The cursor key: ordinary
    // mail is threaded and matched through index queries (the table's pages load the key).
    needs: { table: 'readWrite', inboundMail: true, cursorSecret: 'read', config: ['mailSettings'] },
  },
];

for (const rule of builtinRules) {
  if (rule.via === 'queue') continue; // checked below, once the queue consumers are listed
  if (!eventFunctions.some((spec) => spec.name === rule.target)) {
    throw new Error(`bus rule "${rule.name}" targets "${rule.target}", which infra/functions.ts (eventFunctions) does not list`);
  }
}

/**
 * The one outgoing mail path: consumes the mail queue (crm-<stage>-mail), which a bus rule fills
 * with the outbox's mail requests (infra/rules.ts), and sends each through SES at the account's
 * rate. Its event source bounds it to MAIL_SENDER_CONCURRENCY workers (stateless stack).
 */
export const mailSenderFunction: FunctionSpec = {
  name: 'mail-sender',
  kind: 'queue',
  entry: 'functions/queues/mail-sender.ts',
  description: 'CRM mail queue consumer: sends every outgoing mail through SES, paced to the sending rate',
  // Below the queue's visibility timeout (MAIL_QUEUE_VISIBILITY_SECONDS); a batch of 10 paced at 1/s fits.
  timeoutSeconds: 30,
  // Claims and settles alerts' pending e-mails and planned invitations (minting their RSVP
  // tokens), and reads the recipient, the actor and the account (its name, logo, zone) in the
  // table; SES to send (raw MIME for invitations); the app's URL for links.
  needs: { table: 'readWrite', mailer: 'paced', config: ['accountDefaults', 'mailSettings'] },
};
/**
 * The import queue's consumer (crm-<stage>-imports): splits a started import's file into
 * batches of rows and writes each batch's records through the families' use cases. Its event
 * source bounds it to IMPORT_WORKER_CONCURRENCY workers (stateless stack): records of a kind
 * share index partitions.
 */
export const importWorkerFunction: FunctionSpec = {
  name: 'import-worker',
  kind: 'queue',
  entry: 'functions/queues/import-worker.ts',
  description: 'CRM import queue consumer: writes the rows of CSV imports, a batch at a time',
  // A batch of 250 rows (one transaction each) or a 100,000-row file's split; events written,
  // so timeout + 30 s stays within the pull stream's settle time.
  timeoutSeconds: 60,
  memorySize: 1024,
  // Reads the file and writes the error file (files); sends the batches (importQueue); writes
  // records, their events and the import's counters (table); pages users (a manager's reports)
  // and search terms (match by e-mail), so the cursor key; a new deal takes the account's currency.
  needs: { table: 'readWrite', cursorSecret: 'read', files: true, importQueue: true, config: ['accountDefaults'] },
};

/**
 * The bulk operations queue's consumer (crm-<stage>-bulk-operations): selects an operation's
 * records (its filter through the list use cases) and acts on each batch through the
 * families' use cases with the requester's rights. Its event source bounds it to
 * BULK_WORKER_CONCURRENCY workers (stateless stack).
 */
export const bulkWorkerFunction: FunctionSpec = {
  name: 'bulk-worker',
  kind: 'queue',
  entry: 'functions/queues/bulk-worker.ts',
  description: 'CRM bulk operations queue consumer: reassigns, tags or deletes records, a batch at a time',
  // A batch of 50 records (a few transactions each); events written, so timeout + 30 s stays
  // within the pull stream's settle time.
  timeoutSeconds: 60,
  memorySize: 512,
  // Sends the batches (bulkQueue); reads and writes records, their events and the operation
  // (table); pages the list use cases for a filter (the cursor key); a manager's reports.
  needs: { table: 'readWrite', cursorSecret: 'read', bulkQueue: true },
};

/**
 * The export queue's consumer (crm-<stage>-exports): writes a CSV export a slice at a time
 * (parts of rows under exports/, a checkpoint after each), queues the rest, then joins the
 * parts into the file and writes export.finished.
 */
export const exportWorkerFunction: FunctionSpec = {
  name: 'export-worker',
  kind: 'queue',
  entry: 'functions/queues/export-worker.ts',
  description: 'CRM export queue consumer: writes CSV exports of lists, a slice at a time',
  // A slice writes parts for at most 20 s (SLICE_BUDGET_MS), then a part's pages and the join
  // finish; events written, so timeout + 30 s stays within the pull stream's settle time.
  timeoutSeconds: 60,
  memorySize: 1024,
  // Lists the records as the requester (table, cursor key), writes parts and the file
  // (files), queues the next slice (exportQueue), writes the job and its events (table).
  needs: { table: 'readWrite', cursorSecret: 'read', files: true, exportQueue: true },
};

/**
 * The Sell import queue's consumer (crm-<stage>-sell-imports): runs an admin-started import from
 * Zendesk Sell's API a slice at a time under a lease (shared/sell-import/jobs.ts), each slice
 * queueing the next, then writes sell_import.finished. One worker: Sell's limit is per token.
 */
export const sellImportWorkerFunction: FunctionSpec = {
  name: 'sell-import-worker',
  kind: 'queue',
  entry: 'functions/queues/sell-import-worker.ts',
  description: "CRM Sell import queue consumer: imports a Zendesk Sell account through Sell's API, a slice at a time",
  // A slice reads pages for SELL_IMPORT_SLICE_MS (30 s), then its last page finishes; events
  // written, so timeout + 30 s stays within the pull stream's settle time.
  timeoutSeconds: 60,
  memorySize: 512,
  // Opens the sealed token (credentials key), writes records through the families' use cases and
  // the job's checkpoints and events (table), pages users and lists (cursor key), queues the
  // next slice (sellImportQueue); a new deal takes the account's currency.
  needs: {
    table: 'readWrite',
    cursorSecret: 'read',
    credentialsKey: 'open',
    sellImportQueue: true,
    config: ['accountDefaults', 'sellImport'],
  },
};

/** EventBridge Scheduler targets: invoked by one-time schedules in the schedule group. */
export const scheduledFunctions: readonly FunctionSpec[] = [
  {
    name: 'reminders',
    kind: 'scheduled',
    entry: 'functions/scheduled/reminders.ts',
    description: 'CRM reminders: a reminder schedule fired (task.reminder_due or appointment.reminder_due, then notifications)',
    // Writes an event: timeout + 30 s stays within the pull stream's settle time.
    timeoutSeconds: 30,
    // Reads the record; writes the reminder_due event through the outbox.
    needs: { table: 'readWrite' },
  },
  {
    name: 'external-calendars',
    kind: 'scheduled',
    entry: 'functions/scheduled/external-calendars.ts',
    description: "CRM calendars: refreshes users' external ICS calendars (a recurring schedule, hourly)",
    // Up to 10 s a feed, four at a time; writes no events.
    timeoutSeconds: 300,
    // Walks the calendars (raw Queries, no cursor), stores each one's events and outcome. Reads
    // the users' URLs over the internet (https, public addresses only: shared/calendar/safe-fetch.ts).
    needs: { table: 'readWrite' },
  },
  {
    name: 'mailbox-poll',
    kind: 'scheduled',
    entry: 'functions/scheduled/mailbox-poll.ts',
    description: "CRM mailboxes: polls users' connected IMAP mailboxes and logs new mail (a recurring schedule)",
    // Writes events (logged mail, mailbox.synced): timeout + 30 s stays within the pull stream's settle time.
    timeoutSeconds: 60,
    // Reads and writes mailboxes, messages and their markers; opens sealed passwords with KMS
    // (the credentials key) and reseals stale ones, those sealed under a key derived from the
    // cursor secret (v1) among them; the mail settings name the deployment's domains. Connects
    // to the users' IMAP servers over the internet; refreshes OAuth2 mailboxes' access tokens
    // at the providers' token endpoints with the client secrets (mailboxOAuth).
    needs: {
      table: 'readWrite',
      cursorSecret: 'read',
      credentialsKey: 'sealAndOpen',
      mailboxOAuth: true,
      config: ['mailSettings'],
    },
  },
];

/** The recurring schedule of the connected mailboxes' poll (the stateless stack; locally, a timer). */
export const MAILBOX_POLL_SCHEDULE = {
  target: 'mailbox-poll',
  rate: 'rate(5 minutes)',
  everyMs: 300_000,
  input: { poll: 'mailboxes' },
} as const;

/** The recurring schedule of the external calendars' refresh (the stateless stack; locally, a timer). */
export const EXTERNAL_CALENDARS_SCHEDULE = {
  target: 'external-calendars',
  rate: 'rate(1 hour)',
  everyMs: 3_600_000,
  input: { refresh: 'external_calendars' },
} as const;

/** Runs after each deploy (a CDK trigger): what a fresh company needs, such as its first admin. */
export const bootstrapFunction: FunctionSpec = {
  name: 'bootstrap',
  kind: 'deploy',
  entry: 'functions/deploy/bootstrap.ts',
  description: 'CRM bootstrap after deploy: the first admin (and, later, the default pipeline)',
  timeoutSeconds: 60,
  // Writes users and the sales defaults; "is this list empty?" pages it (a cursor is signed
  // once a list holds two entries). Checks the first admin's Cognito user and repairs it
  // (invites it if missing, enables it, puts it back in the admin group), so a lost invitation
  // or a new user pool never locks the company out.
  needs: {
    table: 'readWrite',
    cursorSecret: 'read',
    userPool: [
      'cognito-idp:AdminGetUser',
      'cognito-idp:AdminCreateUser',
      'cognito-idp:AdminListGroupsForUser',
      'cognito-idp:AdminAddUserToGroup',
      'cognito-idp:AdminEnableUser',
    ],
    // Runs the migrations: the outcome counters' backfill counts days in the account's time
    // zone; the task reminders' backfill creates schedules.
    config: ['firstAdmin', 'defaultPipeline', 'accountDefaults'],
    scheduleGroup: true,
  },
};

/**
 * Rotates the cursor key every 30 days (Secrets Manager's schedule): a new random key becomes
 * AWSCURRENT and the old one AWSPREVIOUS, still accepted until the next rotation.
 */
export const cursorKeyRotationFunction: FunctionSpec = {
  name: 'cursor-key-rotation',
  kind: 'rotation',
  entry: 'functions/secrets/cursor-key-rotation.ts',
  description: 'CRM cursor key rotation (Secrets Manager rotation Lambda)',
  timeoutSeconds: 30,
  memorySize: 256,
  needs: { cursorSecret: 'rotate' },
};

/**
 * Republishes outbox events to the bus, by id or time window, for an operator (README
 * "Operating"): `aws lambda invoke --function-name crm-<stage>-redrive --payload ...`.
 */
export const redriveFunction: FunctionSpec = {
  name: 'redrive',
  kind: 'ops',
  entry: 'functions/ops/redrive.ts',
  description: 'CRM redrive: republishes outbox events from the table to the bus (operators only)',
  // A week of outbox at most; Lambda's own limit is 15 minutes.
  timeoutSeconds: 300,
  // Reads outbox items by id and by day (an index), never writes them.
  needs: { table: 'read', bus: true },
};

/** The live notifications WebSocket API's functions (infra/stateless-stack.ts). */
export const liveAuthorizerFunction: FunctionSpec = {
  name: 'live-authorizer',
  kind: 'websocket',
  entry: 'functions/websocket/authorizer.ts',
  description: 'CRM live notifications: the WebSocket $connect authorizer (single-use tickets)',
  timeoutSeconds: 10,
  // Redeems a ticket: one conditional DeleteItem.
  needs: { table: 'readWrite' },
};

export const liveConnectionsFunction: FunctionSpec = {
  name: 'live-connections',
  kind: 'websocket',
  entry: 'functions/websocket/connections.ts',
  description: 'CRM live notifications: the WebSocket $connect, $disconnect and $default (ping) routes',
  timeoutSeconds: 10,
  // Puts and deletes the user's connection items.
  needs: { table: 'readWrite' },
};

/**
 * The HTTP API's authorizer: Cognito tokens and personal access tokens (issue 17). API Gateway
 * caches its answer per Authorization header (API_AUTHORIZER_CACHE_SECONDS).
 */
export const apiAuthorizerFunction: FunctionSpec = {
  name: 'api-authorizer',
  kind: 'authorizer',
  entry: 'functions/authorizers/api.ts',
  description: 'CRM HTTP API authorizer: Cognito tokens and personal access tokens',
  timeoutSeconds: 10,
  // Reads a token's hash item (one GetItem) and records its last use (one UpdateItem a minute);
  // Cognito tokens are checked against the pool's public keys (no grant).
  needs: { table: 'readWrite', tokenVerifier: true },
};

export const websocketFunctions: readonly FunctionSpec[] = [liveAuthorizerFunction, liveConnectionsFunction];
for (const rule of builtinRules.filter((r) => r.via === 'queue')) {
  if (rule.target !== mailSenderFunction.name) {
    throw new Error(`bus rule "${rule.name}" targets the queue of "${rule.target}", which consumes no queue`);
  }
}

export const functionSpecs: readonly FunctionSpec[] = [
  ...httpFunctions,
  apiAuthorizerFunction,
  ...websocketFunctions,
  outboxPublisher,
  ...eventFunctions,
  mailSenderFunction,
  importWorkerFunction,
  bulkWorkerFunction,
  exportWorkerFunction,
  sellImportWorkerFunction,
  ...scheduledFunctions,
  bootstrapFunction,
  redriveFunction,
  cursorKeyRotationFunction,
];

// A name is a function's identity (its role, log group, `functionSpec`): two specs of one name
// would silently share one.
for (const [i, spec] of functionSpecs.entries()) {
  if (functionSpecs.findIndex((s) => s.name === spec.name) !== i) throw new Error(`two functions are named "${spec.name}"`);
}

/** Fails synth early, naming the missing file, instead of an esbuild error deep in CDK. */
export function entryPath(spec: FunctionSpec): string {
  const path = resolve(REPO_ROOT, spec.entry);
  if (!existsSync(path)) throw new Error(`function "${spec.name}" has no entry module: ${spec.entry} does not exist`);
  return path;
}

export function functionSpec(name: string): FunctionSpec {
  const spec = functionSpecs.find((s) => s.name === name);
  if (!spec) throw new Error(`no function named "${name}" in infra/functions.ts`);
  return spec;
}

// --- environment -------------------------------------------------------------------------

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/**
 * The value of each variable a need gives: CDK tokens at synth (the stateless stack), local
 * names and endpoints on a laptop (the local cloud, the test helpers).
 */
export interface EnvironmentValues {
  readonly tableName: string;
  /** The cursor key secret's ARN (never its value). */
  readonly cursorSecret: string;
  readonly eventBusName: string;
  readonly userPoolId: string;
  /** The app client whose tokens the API accepts. */
  readonly userPoolClientId: string;
  readonly scheduleGroupName: string;
  /** What a reminder schedule names: its target (the reminders function), the role Scheduler assumes, its DLQ. */
  readonly reminderTargetArn: string;
  readonly schedulerRoleArn: string;
  readonly reminderDeadLetterQueueArn: string;
  readonly sesConfigurationSet: string;
  readonly senderAddress: string;
  readonly filesBucketName: string;
  /** The import queue's URL. */
  readonly importQueueUrl: string;
  /** The bulk operations queue's URL. */
  readonly bulkQueueUrl: string;
  /** The export queue's URL. */
  readonly exportQueueUrl: string;
  /** The Sell import queue's URL. */
  readonly sellImportQueueUrl: string;
  /** The voice provider's auth token secret's ARN (never its value). */
  readonly voiceSecret: string;
  /** The ARN of the KMS key that seals mailbox credentials. */
  readonly credentialsKey: string;
  /** Comma-separated browser origins, or "*". */
  readonly corsAllowOrigins: string;
  /** The WebSocket stage's management endpoint (its callback URL). */
  readonly liveCallbackUrl: string;
  readonly config: CrmConfig;
  readonly logLevel: LogLevel;
}

/** A variable a function declares; `optional` says why the function still works without it. */
export interface DeclaredVariable {
  readonly name: string;
  readonly optional?: string;
  readonly value: (values: EnvironmentValues, spec: FunctionSpec) => string;
}

// Every function's: settings of Node and Powertools, each with a default that still works.
const BASE_VARIABLES: readonly DeclaredVariable[] = [
  { name: 'NODE_OPTIONS', optional: 'source-mapped stack traces only', value: () => '--enable-source-maps' },
  {
    name: 'POWERTOOLS_SERVICE_NAME',
    optional: 'logs and metrics are then labelled "crm"',
    value: (_, spec) => spec.name,
  },
  // Lambda's JSON log level must agree, or Lambda drops what Powertools writes.
  { name: 'POWERTOOLS_LOG_LEVEL', optional: 'Powertools logs at INFO', value: (values) => values.logLevel },
];

const CONFIG_VARIABLES: Readonly<Record<ConfigVariable, DeclaredVariable>> = {
  accountDefaults: {
    name: RUNTIME_ENV.accountDefaults,
    value: (values) => JSON.stringify(values.config.account),
  },
  corsAllowOrigins: {
    name: RUNTIME_ENV.corsAllowOrigins,
    optional: 'any origin ("*"), which is safe for an API that takes bearer tokens and no cookies',
    value: (values) => values.corsAllowOrigins,
  },
  firstAdmin: { name: RUNTIME_ENV.firstAdmin, value: (values) => JSON.stringify(values.config.first_admin) },
  defaultPipeline: {
    name: RUNTIME_ENV.defaultPipeline,
    value: (values) => JSON.stringify(values.config.default_pipeline),
  },
  adminMfaRequired: {
    name: RUNTIME_ENV.adminMfaRequired,
    value: (values) => String(values.config.auth.admin_mfa_required),
  },
  automations: {
    name: RUNTIME_ENV.automations,
    // What GET /automations lists; the rules carry the actions themselves.
    value: (values) => JSON.stringify(automationSummaries(values.config.automations)),
  },
  notificationDefaults: {
    name: RUNTIME_ENV.notificationDefaults,
    value: (values) => JSON.stringify(values.config.notifications.defaults),
  },
  sellImport: {
    name: RUNTIME_ENV.sellBaseUrl,
    value: (values) => values.config.sell_import.base_url,
  },
  mailSettings: {
    name: RUNTIME_ENV.mailSettings,
    // The mail's links and sender name (shared/mail/runtime.ts MailSettings).
    value: (values) =>
      JSON.stringify({
        app_url: values.config.app_url,
        ...(values.config.email.sender_name ? { sender_name: values.config.email.sender_name } : {}),
        ...mailDomains(values.config.email),
        // ORGANIZER of invitations: where calendar REPLYs must come back (SES inbound), else the sender.
        organizer_address: values.config.email.inbound?.address ?? values.config.email.sender_address,
      }),
  },
};

/**
 * The config's mailbox OAuth providers as the functions read them (shared/mailboxes/runtime.ts):
 * the web app's return page, and each provider with its client secret's name (never its value).
 */
export function mailboxOAuthSettings(config: Pick<CrmConfig, 'app_url' | 'mailbox_oauth'>): {
  redirect_uri: string;
  providers: ({ name: string } & CrmConfig['mailbox_oauth'][string])[];
} {
  return {
    redirect_uri: `${config.app_url.replace(/\/+$/, '')}/settings/mailboxes/oauth`,
    providers: Object.entries(config.mailbox_oauth).map(([name, provider]) => ({ name, ...provider })),
  };
}

/**
 * The domain users send from (email.domain, else the sender address's) and the SES receiving
 * domain of Reply-To tokens ("in." before it).
 */
export function mailDomains(email: { sender_address: string; domain?: string | undefined }): {
  mail_domain: string;
  inbound_domain: string;
} {
  const domain = (email.domain ?? email.sender_address.slice(email.sender_address.lastIndexOf('@') + 1)).toLowerCase();
  return { mail_domain: domain, inbound_domain: `in.${domain}` };
}

/** The configured Connect instance's id (the last segment of connect.instance_arn), or "" without one. */
export function connectInstanceIdOf(config: Pick<CrmConfig, 'connect'>): string {
  const arn = config.connect?.instance_arn;
  return arn ? arn.slice(arn.lastIndexOf('/') + 1) : '';
}

/** The variables of every function, whatever its needs. */
export const BASE_VARIABLE_NAMES: readonly string[] = BASE_VARIABLES.map((v) => v.name);

/** Every variable the function declares, in a stable order: the base ones, then its needs'. */
export function declaredVariables(spec: FunctionSpec): DeclaredVariable[] {
  const { needs } = spec;
  const variables: DeclaredVariable[] = [...BASE_VARIABLES];
  if (needs.table) variables.push({ name: RUNTIME_ENV.tableName, value: (v) => v.tableName });
  if (needs.cursorSecret) variables.push({ name: RUNTIME_ENV.cursorSecret, value: (v) => v.cursorSecret });
  if (needs.bus) variables.push({ name: RUNTIME_ENV.eventBusName, value: (v) => v.eventBusName });
  if (needs.userPool || needs.mfaCheck || needs.tokenVerifier)
    variables.push({ name: RUNTIME_ENV.userPoolId, value: (v) => v.userPoolId });
  if (needs.tokenVerifier) variables.push({ name: RUNTIME_ENV.userPoolClientId, value: (v) => v.userPoolClientId });
  if (needs.scheduleGroup) {
    variables.push(
      { name: RUNTIME_ENV.scheduleGroupName, value: (v) => v.scheduleGroupName },
      { name: RUNTIME_ENV.reminderTargetArn, value: (v) => v.reminderTargetArn },
      { name: RUNTIME_ENV.schedulerRoleArn, value: (v) => v.schedulerRoleArn },
      { name: RUNTIME_ENV.reminderDeadLetterQueueArn, value: (v) => v.reminderDeadLetterQueueArn },
    );
  }
  if (needs.mailer) {
    variables.push(
      { name: RUNTIME_ENV.sesConfigurationSet, value: (v) => v.sesConfigurationSet },
      { name: RUNTIME_ENV.senderAddress, value: (v) => v.senderAddress },
    );
  }
  if (needs.live) variables.push({ name: RUNTIME_ENV.liveCallbackUrl, value: (v) => v.liveCallbackUrl });
  if (needs.files || needs.inboundMail) variables.push({ name: RUNTIME_ENV.filesBucket, value: (v) => v.filesBucketName });
  if (needs.importQueue) variables.push({ name: RUNTIME_ENV.importQueueUrl, value: (v) => v.importQueueUrl });
  if (needs.bulkQueue) variables.push({ name: RUNTIME_ENV.bulkQueueUrl, value: (v) => v.bulkQueueUrl });
  if (needs.exportQueue) variables.push({ name: RUNTIME_ENV.exportQueueUrl, value: (v) => v.exportQueueUrl });
  if (needs.sellImportQueue) variables.push({ name: RUNTIME_ENV.sellImportQueueUrl, value: (v) => v.sellImportQueueUrl });
  if (needs.voiceSecret) variables.push({ name: RUNTIME_ENV.voiceSecret, value: (v) => v.voiceSecret });
  if (needs.credentialsKey) variables.push({ name: RUNTIME_ENV.credentialsKey, value: (v) => v.credentialsKey });
  if (needs.connect) {
    variables.push(
      // Empty without an instance: no rule invokes the function then, and a cold start says so.
      { name: RUNTIME_ENV.connectInstanceId, value: (v) => connectInstanceIdOf(v.config) },
      { name: RUNTIME_ENV.connectAgents, value: (v) => JSON.stringify(v.config.connect?.agents ?? {}) },
    );
  }
  if (needs.mailboxOAuth)
    variables.push({ name: RUNTIME_ENV.mailboxOAuth, value: (v) => JSON.stringify(mailboxOAuthSettings(v.config)) });
  for (const name of needs.config ?? []) variables.push(CONFIG_VARIABLES[name]);
  return variables;
}

/**
 * The function's whole environment, as CDK sets it in AWS and the local cloud in its worker:
 * exactly the variables `declaredVariables` lists, valued from `values`.
 */
export function functionEnvironment(spec: FunctionSpec, values: EnvironmentValues): Record<string, string> {
  return Object.fromEntries(declaredVariables(spec).map((variable) => [variable.name, variable.value(values, spec)]));
}

/** Every variable some function declares (what no function may take from anywhere else). */
export function registryVariableNames(): Set<string> {
  return new Set(functionSpecs.flatMap((spec) => declaredVariables(spec).map((v) => v.name)));
}
