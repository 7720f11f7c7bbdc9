import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { twilioSignature } from '#shared/calls/domain.ts';
import type { AddressInfo } from 'node:net';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { CloudFormationCustomResourceEvent, DynamoDBStreamEvent, EventBridgeEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declaredVariables, functionSpecs, type FunctionSpec } from '#infra/functions.ts';
import { startLocalCognito, type LocalCognito } from '#infra/local/cognito.ts';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startLocalSqs, type LocalSqs } from '#infra/local/sqs.ts';
import { LOCAL_CONNECT_INSTANCE_ID, startLocalConnect, type LocalConnect } from '#infra/local/connect.ts';
import { describedContact, disconnectedEvent, withLocalConnect } from '#test/calls/connect-samples.ts';
import { ensureLocalBucket, localS3Client, objectCreatedEntry } from '#infra/local/s3.ts';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoAppointmentRepository } from '#shared/appointments/dynamodb.ts';
import { newRsvpToken, rsvpTokenHash } from '#shared/invitations/domain.ts';
import { invitationPartition, rsvpTokenKey } from '#shared/invitations/dynamodb.ts';
import { replyMail } from '#test/invitations/reply-mail.ts';
import { DevAuth } from '#infra/local/dev-auth.ts';
import { ensureTable, localClient, startDynamoDbLocal, type DynamoDbLocal } from '#infra/local/dynamodb-local.ts';
import {
  endpointVariables,
  lambdaRuntimeVariables,
  LOCAL_CREDENTIAL_VARIABLES,
  type ServiceEndpoints,
} from '#infra/local/environment.ts';
import { apiGatewayEvent, authorizerClaims } from '#infra/local/http-server.ts';
import { freePort } from '#infra/local/ports.ts';
import { ensureLocalSecret, startLocalSecretsManager, type LocalSecretsManager } from '#infra/local/secrets-manager.ts';
import { secretNameOf } from '#infra/local/iam/arns.ts';
import { startLocalSes, type LocalSes } from '#infra/local/ses.ts';
import { startLocalKms, type LocalKms } from '#infra/local/kms.ts';
import sesLocalModule from 'aws-ses-v2-local';
import { DynamoNotificationStore } from '#shared/notifications/dynamodb.ts';
import { DynamoEmailRepository, emailKey, receiptKey } from '#shared/emails/dynamodb.ts';
import { EMAIL_SENT_EVENT } from '#shared/emails/domain.ts';
import { MAIL_REQUESTED_EVENT, type MailRequest } from '#shared/mail/domain.ts';
import { startLocalScheduler, type LocalScheduler } from '#infra/local/scheduler.ts';
import { reminderScheduleName } from '#shared/kernel/reminder-scheduler.ts';
import type { Task } from '#shared/tasks/domain.ts';
import { allRoutes } from '#shared/families.ts';
import { DynamoContactRepository } from '#shared/contacts/dynamodb.ts';
import { configuredActions, type Automation } from '#shared/automations/domain.ts';
import { DynamoTaskRepository } from '#shared/tasks/dynamodb.ts';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { domainEvent } from '#shared/kernel/events.ts';
import { ruleItem } from '#shared/notifications/rule-store.ts';
import { dayOf } from '#shared/outcomes/domain.ts';
import { outcomeBuckets } from '#shared/outcomes/dynamodb.ts';
import type { AnyRoute } from '#shared/platform/http/contract.ts';
import { routeKey } from '#shared/platform/http/contract.ts';
import { CursorCodec } from '#shared/platform/dynamodb/cursor.ts';
import { Table } from '#shared/platform/dynamodb/table.ts';
import { OUTBOX_KIND, tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import { migrationKey } from '#shared/platform/migrations/dynamodb.ts';
import { MIGRATION_CONTINUE_EVENT } from '#shared/platform/migrations/runner.ts';
import { newTicket, ticketHash } from '#shared/live/domain.ts';
import { DynamoLiveTickets, liveConnectionsPartition } from '#shared/live/dynamodb.ts';
import { DynamoAccessTokenRepository } from '#shared/access-tokens/dynamodb.ts';
import { nodeTokenSecrets } from '#shared/access-tokens/runtime.ts';
import { tagKey } from '#shared/kernel/tags.ts';
import { tagNameKey } from '#shared/sell-facade/dynamodb.ts';
import { shippedConfig, synthCrmApp, type SynthesizedCrmApp } from './crm-app.ts';
import { connectRules } from '#infra/rules.ts';
import {
  RESOLVED_ACCOUNT,
  RESOLVED_KEY_ID,
  RESOLVED_SECRET,
  startBundle,
  synthesizedFunctions,
  type BundleProcess,
  type SynthesizedFunction,
} from './lambda-bundles.ts';

// What `cdk deploy` would run, run: every function's synthesized bundle (cdk.out/asset.*)
// in a fresh Node process with exactly the environment its template gives it (deploy-time
// values resolved) plus the local endpoints and credentials. HTTP functions answer real
// reads and writes on DynamoDB Local as the first admin, the consumers handle real events
// taken from the outbox, the bootstrap answers CloudFormation on a local response URL. Then
// each variable a function declares is dropped in turn (in memory, from the parsed template)
// and the function must fail, naming it: a variable missing in AWS is missing here.

// As a production config would: admins must have MFA (the shipped laptop config turns it off),
// and an Amazon Connect instance is configured (its rule, grant and variables exist).
const config = withLocalConnect({ ...shippedConfig(), auth: { ...shippedConfig().auth, admin_mfa_required: true } });
const STAGE = config.stage;

/** The voice auth token the probes' secret holds. */
const PROBE_VOICE_TOKEN = 'probe-voice-auth-token';

let crm: SynthesizedCrmApp;
let functions: SynthesizedFunction[];
let dynamo: DynamoDbLocal;
let table: Table;
/** The migration whose run needs the account defaults (its id in the registry). */
const OUTCOME_BACKFILL = '2026-12-outcome-counters';
/** The migration that creates reminder schedules (SCHEDULE_GROUP_NAME and the target's ARNs). */
const REMINDERS_BACKFILL = '2026-12-task-reminders';
/** The version the deal-outcomes probe gives its lead, higher each run. */
let probeLeadVersion = 1000;
let endpoints: ServiceEndpoints;
let cognito: LocalCognito;
let secrets: LocalSecretsManager;
/** The credentials key, at the ARN the templates give (no gate: the IAM test checks grants). */
let kms: LocalKms;
let ses: LocalSes;
let sesViewer: Server;
let scheduler: LocalScheduler;
/** What the reminders' target was invoked with (the local Scheduler fires nothing here: no tick). */
let fired: { targetArn: string; input: unknown }[];
/** fauxqs as the files bucket's S3 (no gate: the probes check variables, the IAM test grants). */
let s3: LocalSqs;
let connect: LocalConnect;
let cfn: { url: string; server: Server; answers: Record<string, any>[] };
let bus: { url: string; server: Server; entries: Record<string, any>[] };
let adminClaims: Record<string, string>;
/** Records the probes make, shared by the probes that come after (ids of contacts, leads...). */
const made: {
  contactId?: string;
  /** Made by the appointments probe, with an outside guest and the manager as attendees. */
  appointmentId?: string;
  busyContactId?: string;
  manager?: { id: string; email: string };
  /** Uploaded by the documents probe, checked by the document-check probe. */
  uploadedDocumentId?: string;
  emailId?: string;
  externalCalendarId?: string;
  mailboxId?: string;
  /** Started by the imports probe, run by the import-worker probe. */
  startedImportId?: string;
  /** Asked for by the bulk-operations probe, run by the bulk-worker probe. */
  bulkOperationId?: string;
  /** Queued by the exports probe, written by the export-worker probe. */
  queuedExportId?: string;
  /** Started and cancelled by the imports probe, left alone by the sell-import-worker probe. */
  cancelledSellImportId?: string;
} = {};

beforeAll(async () => {
  crm = synthCrmApp(config);
  functions = synthesizedFunctions(crm, STAGE, config.region);
  dynamo = await startDynamoDbLocal({ port: await freePort() });
  const tableName = functionNamed('bootstrap').variables.TABLE_NAME!;
  await ensureTable(dynamo.endpoint, tableName);
  table = new Table({
    client: DynamoDBDocumentClient.from(localClient(dynamo.endpoint)),
    name: tableName,
    cursors: new CursorCodec(RESOLVED_SECRET),
  });
  cfn = await responseUrlServer();
  bus = await recordingEventBridge(functionNamed('outbox-publisher').variables.EVENT_BUS_NAME!);
  cognito = await startLocalCognito({ userPoolId: functionNamed('user-directory-sync').variables.USER_POOL_ID! });
  // The cursor key secret, at the ARN the templates give.
  secrets = await startLocalSecretsManager({ scope: { accountId: RESOLVED_ACCOUNT, region: config.region } });
  const secretId = functionNamed('bootstrap').variables.CURSOR_SECRET_ID!;
  await ensureLocalSecret({
    endpoint: secrets.endpoint,
    region: config.region,
    name: secretNameOf(secretId),
    value: RESOLVED_SECRET,
  });
  // The voice provider's auth token, at the ARN the templates give.
  await ensureLocalSecret({
    endpoint: secrets.endpoint,
    region: config.region,
    name: secretNameOf(functionNamed('voice-webhook').variables.VOICE_SECRET_ID!),
    value: PROBE_VOICE_TOKEN,
  });
  kms = await startLocalKms({
    scope: { accountId: RESOLVED_ACCOUNT, region: config.region },
    keys: [{ keyId: RESOLVED_KEY_ID }],
  });
  // SES: the mail viewer behind the local SES front (GetAccount, the suppression list), as the local cloud runs them.
  const viewerPort = await freePort();
  const sesLocal = ((sesLocalModule as unknown as { default?: typeof sesLocalModule }).default ??
    sesLocalModule) as unknown as (c: { host: string; port: number }) => Promise<Server>;
  sesViewer = await sesLocal({ host: '127.0.0.1', port: viewerPort });
  ses = await startLocalSes({ upstream: `http://127.0.0.1:${viewerPort}` });
  fired = [];
  scheduler = await startLocalScheduler({
    tickIntervalMs: 0,
    invoke: async (targetArn, input) => void fired.push({ targetArn, input }),
  });
  // Amazon Connect's DescribeContact: the contacts the connect-calls probe seeds.
  connect = await startLocalConnect();
  s3 = await startLocalSqs({ region: config.region });
  const s3Admin = localS3Client(s3.endpoint, config.region);
  await ensureLocalBucket(s3Admin, functionNamed('documents').variables.FILES_BUCKET_NAME!);
  s3Admin.destroy();
  // fauxqs is SQS too: the import queue the imports function sends a started import's plan to.
  const sqsAdmin = new SQSClient({
    endpoint: s3.endpoint,
    region: config.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await sqsAdmin.send(
    new CreateQueueCommand({ QueueName: functionNamed('imports').variables.IMPORT_QUEUE_URL!.split('/').pop()! }),
  );
  await sqsAdmin.send(
    new CreateQueueCommand({ QueueName: functionNamed('exports').variables.EXPORT_QUEUE_URL!.split('/').pop()! }),
  );
  await sqsAdmin.send(
    new CreateQueueCommand({ QueueName: functionNamed('bulk-operations').variables.BULK_QUEUE_URL!.split('/').pop()! }),
  );
  await sqsAdmin.send(
    new CreateQueueCommand({ QueueName: functionNamed('imports').variables.SELL_IMPORT_QUEUE_URL!.split('/').pop()! }),
  );
  sqsAdmin.destroy();
  endpoints = {
    dynamodb: dynamo.endpoint,
    eventbridge: bus.url,
    cognito: cognito.endpoint,
    secretsmanager: secrets.endpoint,
    ses: ses.endpoint,
    scheduler: scheduler.endpoint,
    s3: s3.endpoint,
    sqs: s3.endpoint,
    kms: kms.endpoint,
    connect: connect.endpoint,
  };
}, 180_000);

afterAll(async () => {
  await cognito?.stop();
  await secrets?.stop();
  await kms?.stop();
  await ses?.stop();
  sesViewer?.closeAllConnections();
  await new Promise((r) => (sesViewer ? sesViewer.close(r) : r(undefined)));
  await scheduler?.stop();
  await s3?.stop();
  await connect?.stop();
  for (const server of [cfn?.server, bus?.server]) await new Promise((r) => (server ? server.close(r) : r(undefined)));
  await dynamo?.stop();
  crm?.dispose();
});

/** Activates (or removes) the first admin's TOTP in the local Cognito, as enrolling an app would. */
async function setAdminMfa(enabled: boolean): Promise<void> {
  const { AdminSetUserMFAPreferenceCommand, CognitoIdentityProviderClient } =
    await import('@aws-sdk/client-cognito-identity-provider');
  const client = new CognitoIdentityProviderClient({
    endpoint: cognito.endpoint,
    region: config.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await client.send(
    new AdminSetUserMFAPreferenceCommand({
      UserPoolId: cognito.userPoolId,
      Username: config.first_admin.email,
      SoftwareTokenMfaSettings: { Enabled: enabled },
    }),
  );
  client.destroy();
}

function functionNamed(name: string): SynthesizedFunction {
  const fn = functions.find((f) => f.spec.name === name);
  if (!fn) throw new Error(`no synthesized function ${name}`);
  return fn;
}

/** The template's variables (minus `drop`), Lambda's own, the local endpoints and credentials: nothing else. */
function environmentOf(fn: SynthesizedFunction, drop?: string): Record<string, string> {
  const variables = { ...fn.variables };
  if (drop) delete variables[drop];
  return {
    ...lambdaRuntimeVariables(fn.functionName, config.region, fn.spec.memorySize ?? 1024),
    ...LOCAL_CREDENTIAL_VARIABLES,
    ...endpointVariables(endpoints),
    ...variables,
  };
}

// --- probes: what each function is asked, and what it must answer -------------------------

/** One fresh process of one bundle, and what went wrong in it. */
class Probe {
  /** Invocations that failed: errors, 5xx answers, FAILED to CloudFormation, batch item failures. */
  readonly failures: string[] = [];
  /** Answers that came back but were not what they should be. */
  readonly problems: string[] = [];
  readonly process: BundleProcess;

  constructor(process: BundleProcess) {
    this.process = process;
    if (process.initError) this.failures.push(`init: ${process.initError.name}: ${process.initError.message}`);
  }

  async invoke(event: unknown): Promise<unknown> {
    const answer = await this.process.invoke(event);
    if (answer.type === 'error') {
      this.failures.push(`${answer.error.name}: ${answer.error.message}`);
      return undefined;
    }
    return answer.value;
  }

  check(ok: boolean, what: string): void {
    if (!ok) this.problems.push(what);
  }

  /** An API Gateway v2 request to a route of the contracts (or $default), as the first admin. */
  async http(
    key: string,
    options: {
      params?: Record<string, string>;
      query?: Record<string, string>;
      body?: unknown;
      /** The caller's authorizer claims (default the first admin's). */
      claims?: Record<string, string>;
      /** A body sent as it is (a form-encoded webhook), and headers beside the defaults. */
      rawBody?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<{ status: number; body: any }> {
    const route = key === '$default' ? undefined : routeNamed(key);
    const path = route
      ? route.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(options.params?.[name] ?? ''))
      : '/no-such-path';
    const url = new URL(`http://api.local${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);
    const event = apiGatewayEvent({
      method: route?.method ?? 'GET',
      url,
      headers: { host: 'api.local', 'content-type': 'application/json', ...options.headers },
      ...(options.rawBody !== undefined
        ? { body: options.rawBody }
        : options.body === undefined
          ? {}
          : { body: JSON.stringify(options.body) }),
      ...(route ? { route, params: options.params ?? {} } : {}),
      ...(route && route.access !== 'public' ? { claims: options.claims ?? adminClaims } : {}),
    });
    const result = (await this.invoke(event)) as
      { statusCode: number; body?: string; headers?: Record<string, string> } | undefined;
    if (!result) return { status: 0, body: undefined };
    // JSON answers parsed; a text one (a calendar feed) as it came.
    const json = (result.headers?.['content-type'] ?? 'application/json').includes('json');
    const body = result.body ? (json ? JSON.parse(result.body) : result.body) : undefined;
    if (result.statusCode >= 500) this.failures.push(`${key}: ${result.statusCode} ${result.body ?? ''}`);
    return { status: result.statusCode, body };
  }

  /** Expects a status; answers the body. */
  async expectHttp(key: string, status: number, options: Parameters<Probe['http']>[1] = {}): Promise<any> {
    const answer = await this.http(key, options);
    this.check(answer.status === status, `${key}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }
}

function routeNamed(key: string): AnyRoute {
  const route = allRoutes.find((r) => routeKey(r) === key);
  if (!route) throw new Error(`no route ${key}`);
  return route;
}

let unique = 0;
const next = () => `${Date.now().toString(36)}${unique++}`;

/** A list whose key must check the cursor: a forged one is refused (422), which needs the key (CURSOR_SECRET_ID). */
const refusesForgedCursor = (p: Probe, key: string, params?: Record<string, string>, cursor = 'forged.cursor') =>
  p.expectHttp(key, 422, { query: { cursor }, ...(params ? { params } : {}) });

/**
 * An admins-only route refuses a manager (403) once their direct reports are read: a paged
 * list, so the function's cursor key (CURSOR_SECRET_ID) is used. The identity probe made the manager.
 */
async function refusedToManager(p: Probe, key: string): Promise<void> {
  const auth = DevAuth.ephemeral();
  const manager = made.manager!;
  const claims = authorizerClaims(
    await auth.verifier.verify(auth.token({ sub: manager.id, email: manager.email, role: 'manager' })),
  );
  await p.expectHttp(key, 403, { claims });
}

/** Per HTTP family: a real read (and, where the family writes, a write) that uses each of its variables. */
/** The outside attendee of the probes' appointment. */
const PROBE_GUEST = 'probe-guest@outside.example';

const HTTP_PROBES: Record<string, (p: Probe) => Promise<void>> = {
  // The public RSVP routes: a token (put as the mail-sender would) read, then answered.
  invitations: async (p) => {
    const token = newRsvpToken();
    await table.write([
      {
        type: 'put',
        item: {
          ...rsvpTokenKey(rsvpTokenHash(token)),
          appointment_id: made.appointmentId,
          attendee_key: `email#${PROBE_GUEST}`,
          sequence: 0,
        },
      },
    ]);
    const view = await p.expectHttp('GET /rsvp/{token}', 200, { params: { token } });
    p.check(view?.response === 'needs_action', `the guest has not answered yet (${JSON.stringify(view)})`);
    const answered = await p.expectHttp('POST /rsvp/{token}', 200, { params: { token }, body: { response: 'tentative' } });
    p.check(answered?.response === 'tentative', `the answer is recorded (${JSON.stringify(answered)})`);
  },
  platform: async (p) => {
    const health = await p.expectHttp('GET /health', 200);
    p.check(health?.status === 'ok', 'GET /health says ok');
    await p.expectHttp('GET /openapi.json', 200);
    await p.expectHttp('$default', 404);
  },
  identity: async (p) => {
    const account = await p.expectHttp('GET /account', 200);
    p.check(account?.name === config.account.company_name, `the account has the configured name (${account?.name})`);
    await p.expectHttp('GET /users/self', 200);
    await p.expectHttp('POST /users', 201, { body: { name: 'Probe User', email: `probe-${next()}@example.com`, role: 'user' } });
    const email = `probe-manager-${next()}@example.com`;
    const manager = await p.expectHttp('POST /users', 201, { body: { name: 'Probe Manager', email, role: 'manager' } });
    if (manager?.id) made.manager ??= { id: manager.id, email };
    await refusesForgedCursor(p, 'GET /users');
  },
  contacts: async (p) => {
    const contact = await p.expectHttp('POST /contacts', 201, { body: { last_name: `Probe ${next()}` } });
    made.contactId ??= contact?.id;
    await p.expectHttp('GET /contacts', 200);
    await refusesForgedCursor(p, 'GET /contacts');
  },
  'custom-fields': async (p) => {
    const params = { resource_type: 'contacts' };
    await p.expectHttp('POST /custom_fields/{resource_type}', 201, { params, body: { name: `Probe ${next()}`, type: 'string' } });
    await p.expectHttp('GET /custom_fields/{resource_type}', 200, { params });
    await refusesForgedCursor(p, 'GET /custom_fields/{resource_type}', params);
  },
  deals: async (p) => {
    const deal = await p.expectHttp('POST /deals', 201, { body: { name: `Probe ${next()}`, contact_id: made.contactId } });
    p.check(deal?.currency === config.account.currency, `a new deal takes the account's currency (${deal?.currency})`);
    await refusesForgedCursor(p, 'GET /deals');
  },
  leads: async (p) => {
    const lead = await p.expectHttp('POST /leads', 201, { body: { last_name: `Probe ${next()}` } });
    const conversion = await p.expectHttp('POST /leads/{id}/convert', 200, {
      params: { id: lead?.id ?? 'none' },
      body: { deal: { name: `Probe deal ${next()}` } },
    });
    p.check(conversion?.deal?.currency === config.account.currency, "a converted lead's deal takes the account's currency");
    await refusesForgedCursor(p, 'GET /leads');
  },
  // Sell's /v2 over the native routes, in-process: a lead made and read by its Sell id, the
  // account (its defaults), a full page (a signed cursor) and a forged cursor (refused, 422).
  'sell-facade': async (p) => {
    const lead = await p.expectHttp('POST /v2/{proxy+}', 200, {
      params: { proxy: 'leads' },
      body: { data: { last_name: `Probe ${next()}` } },
    });
    const id = lead?.data?.id;
    p.check(typeof id === 'number', `the lead has a Sell id (${JSON.stringify(lead)})`);
    await p.expectHttp('GET /v2/{proxy+}', 200, { params: { proxy: `leads/${id}` } });
    const account = await p.expectHttp('GET /v2/{proxy+}', 200, { params: { proxy: 'accounts/self' } });
    p.check(account?.data?.name === config.account.company_name, `the account has the configured name (${account?.data?.name})`);
    const page = await p.expectHttp('GET /v2/{proxy+}', 200, { params: { proxy: 'leads' }, query: { per_page: '1' } });
    p.check(typeof page?.meta?.links?.next_page === 'string', `a full page links the next (${JSON.stringify(page?.meta)})`);
    await p.expectHttp('GET /v2/{proxy+}', 422, { params: { proxy: 'leads' }, query: { cursor: 'forged.cursor' } });
  },
  calls: async (p) => {
    const target = { resource_type: 'contact', resource_id: made.contactId };
    await p.expectHttp('POST /calls', 201, { body: { phone_number: '+14155550100', incoming: true, ...target } });
    await p.expectHttp('GET /calls', 200, { query: { contact_id: made.contactId ?? 'none' } });
    await refusesForgedCursor(p, 'GET /calls');
  },
  // A status callback signed with the token the secret holds is logged; a wrong signature is refused.
  'voice-webhook': async (p) => {
    const params = { CallSid: `CA${next()}`, CallStatus: 'completed', From: '+15005550006', To: '+18005551212' };
    const rawBody = new URLSearchParams(params).toString();
    const url = 'http://api.local/webhooks/twilio';
    const headers = (token: string) => ({
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(token, url, params),
    });
    await p.expectHttp('POST /webhooks/twilio', 403, { rawBody, headers: headers('wrong-token') });
    await p.expectHttp('POST /webhooks/twilio', 200, { rawBody, headers: headers(PROBE_VOICE_TOKEN) });
  },
  notes: async (p) => {
    const target = { resource_type: 'contact', resource_id: made.contactId };
    await p.expectHttp('POST /notes', 201, { body: { content: 'Probe note', ...target } });
    await refusesForgedCursor(p, 'GET /notes');
  },
  // A presigned PUT (to the bucket the template names), then a delete that removes the object.
  documents: async (p) => {
    const target = { resource_type: 'contact', resource_id: made.contactId };
    const file = { filename: 'probe.txt', content_type: 'text/plain', size: 5 };
    for (const keep of [false, true]) {
      const created = await p.expectHttp('POST /documents', 201, { body: { ...target, ...file } });
      // Without a variable the POST fails (recorded); nothing to upload then.
      if (!created?.upload) break;
      const put = await fetch(created.upload.url, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'probe' });
      p.check(put.status === 200, `the upload URL takes the file (${put.status})`);
      if (keep) made.uploadedDocumentId = created.document.id;
      else await p.expectHttp('DELETE /documents/{id}', 204, { params: { id: created.document.id } });
    }
    await refusesForgedCursor(p, 'GET /contacts/{id}/documents', { id: made.contactId! });
  },
  // A form owned by the first admin; its embed signs a token with the cursor secret's key and
  // its submission (public: no claims) creates a lead and counts it.
  'capture-forms': async (p) => {
    const form = await p.expectHttp('POST /capture_forms', 201, {
      body: {
        name: `Probe form ${next()}`,
        fields: [{ name: 'name', label: 'Name', type: 'text', required: true, maps_to: { lead_field: 'last_name' } }],
        owner: { type: 'user', user_id: adminClaims.sub },
        thank_you: { type: 'message', message: 'Thanks' },
        min_fill_seconds: 0,
      },
    });
    const embed = await p.expectHttp('GET /forms/{id}/embed', 200, { params: { id: form?.id ?? 'none' } });
    await p.expectHttp('POST /forms/{id}/submissions', 201, {
      params: { id: form?.id ?? 'none' },
      body: { form_token: embed?.form_token, values: { name: `Probe ${next()}` } },
    });
    const read = await p.expectHttp('GET /capture_forms/{id}', 200, { params: { id: form?.id ?? 'none' } });
    p.check(read?.stats?.accepted === 1, `the form counted its submission (${JSON.stringify(read?.stats)})`);
    await refusesForgedCursor(p, 'GET /capture_forms');
    await refusedToManager(p, 'GET /capture_forms');
  },
  // A presigned PUT of a CSV file, a dry run reading it back, a start queuing the plan on the
  // import queue the template names.
  imports: async (p) => {
    const csv = `Last Name,Email\r\nProbe ${next()},probe${next()}@example.com\r\n`;
    const created = await p.expectHttp('POST /imports', 201, {
      body: { resource: 'leads', filename: 'probe.csv', size: csv.length },
    });
    if (!created?.upload) return;
    const put = await fetch(created.upload.url, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: csv });
    p.check(put.status === 200, `the upload URL takes the file (${put.status})`);
    const dry = await p.expectHttp('POST /imports/{id}/dry_run', 200, { params: { id: created.import.id }, body: {} });
    p.check(dry?.valid_rows === 1, `the dry run reads the file (${JSON.stringify(dry)})`);
    // Matching by e-mail: the worker then searches (a Table.page, which loads the cursor key).
    const started = await p.expectHttp('POST /imports/{id}/start', 202, {
      params: { id: created.import.id },
      body: { match_by_email: true },
    });
    if (started?.status === 'queued') made.startedImportId = created.import.id;
    // An import from Sell (admins only): the token sealed with the cursor key, the job written,
    // its first slice queued on the Sell import queue the template names; read, then cancelled.
    const sell = await p.expectHttp('POST /sell_imports', 202, { body: { token: 'f'.repeat(64) } });
    const read = await p.expectHttp('GET /sell_imports/{id}', 200, { params: { id: sell?.id ?? 'none' } });
    p.check(
      read?.status === 'queued' && !JSON.stringify(read).includes('f'.repeat(64)),
      `the Sell import is queued (${JSON.stringify(read)})`,
    );
    const cancelled = await p.expectHttp('DELETE /sell_imports/{id}', 200, { params: { id: sell?.id ?? 'none' } });
    if (cancelled?.status === 'cancelled') made.cancelledSellImportId = sell.id;
    await refusedToManager(p, 'POST /sell_imports');
  },
  // A filter (the leads list use case's first page: the cursor key, custom fields) tagging the
  // probe's leads; the plan is queued (the bulk queue) and the operation readable.
  'bulk-operations': async (p) => {
    const op = await p.expectHttp('POST /bulk_operations', 202, {
      body: { resource: 'leads', action: 'add_tag', tag: 'probe', filter: { status: 'new' } },
    });
    if (op?.status === 'queued') made.bulkOperationId = op.id;
    const read = await p.expectHttp('GET /bulk_operations/{id}', 200, { params: { id: op?.id ?? 'none' } });
    p.check(read?.operation?.status === 'queued', `GET reads the operation (${JSON.stringify(read)})`);
  },
  // An export queued on the export queue the template names (after a page of the list read as
  // the caller, so the cursor key), and its progress read back.
  exports: async (p) => {
    const queued = await p.expectHttp('POST /exports', 202, { body: { resource: 'leads', filters: { sort_by: 'last_name' } } });
    const read = await p.expectHttp('GET /exports/{id}', 200, { params: { id: queued?.id ?? 'none' } });
    p.check(read?.export?.status === 'queued' && read.download === null, `the export is queued (${JSON.stringify(read)})`);
    if (queued?.id) made.queuedExportId = queued.id;
  },
  automations: async (p) => {
    const listed = await p.expectHttp('GET /automations', 200);
    p.check(Array.isArray(listed?.items), `GET /automations lists the configured actions (${JSON.stringify(listed)})`);
    await refusedToManager(p, 'GET /automations');
  },
  tasks: async (p) => {
    await p.expectHttp('POST /tasks', 201, { body: { content: 'Probe task' } });
    // Tasks carry the instant "overdue" was judged at before the table's cursor.
    await refusesForgedCursor(p, 'GET /tasks', undefined, `${Date.now()}~forged.cursor`);
  },
  appointments: async (p) => {
    const start = '2031-01-01T09:00:00Z';
    const body = {
      name: 'Probe appointment',
      start_at: start,
      end_at: start,
      resource_type: 'contact',
      resource_id: made.contactId,
      attendees: [{ type: 'email', email: PROBE_GUEST }, ...(made.manager ? [{ type: 'user', id: made.manager.id }] : [])],
    };
    const appointment = await p.expectHttp('POST /appointments', 201, { body });
    made.appointmentId ??= appointment?.id;
    await p.expectHttp('GET /contacts/{id}/appointments', 200, { params: { id: made.contactId ?? 'none' } });
    await p.expectHttp('GET /appointments/{id}', 200, { params: { id: appointment?.id ?? 'none' } });
    await refusesForgedCursor(p, 'GET /appointments');
  },
  calendar: async (p) => {
    const feed = await p.expectHttp('POST /calendar_feed', 201);
    const file = typeof feed?.url === 'string' ? (feed.url as string).split('/').pop()! : 'none.ics';
    const ics = await p.expectHttp('GET /calendar_feeds/{file}', 200, { params: { file } });
    p.check(typeof ics === 'string' && ics.startsWith('BEGIN:VCALENDAR'), `the feed is iCalendar (${String(ics).slice(0, 40)})`);
    const calendar = await p.expectHttp('POST /external_calendars', 201, {
      body: { name: 'Probe calendar', url: 'https://calendar.example.invalid/probe.ics' },
    });
    made.externalCalendarId = calendar?.id;
    await p.expectHttp('GET /calendar', 200, { query: { from: '2031-01-01T00:00:00Z', to: '2031-01-31T00:00:00Z' } });
  },
  pipelines: async (p) => {
    const pipelines = await p.expectHttp('GET /pipelines', 200);
    p.check(pipelines?.items?.[0]?.name === config.default_pipeline.name, 'the bootstrap made the default pipeline');
    await refusesForgedCursor(p, 'GET /loss_reasons');
  },
  search: async (p) => {
    // More hits than the limit: the page signs a next cursor (which search then drops).
    const hits = await p.expectHttp('GET /search', 200, { query: { q: 'probe', limit: '1' } });
    p.check(hits?.items?.length === 1, `search finds the probe records (${JSON.stringify(hits)})`);
  },
  dashboard: async (p) => {
    // The task list inside signs a cursor once a page is full; the window reads the buckets.
    const dashboard = await p.expectHttp('GET /dashboard', 200);
    p.check(dashboard?.pipeline?.stages?.length > 0, `the dashboard shows the default pipeline (${JSON.stringify(dashboard)})`);
    await p.expectHttp('GET /stats/outcomes', 200, { query: { from: '2026-01-01', to: '2026-12-31' } });
  },
  events: async (p) => {
    // Queries the outbox by day (the table's index); events show up after the settle time.
    const page = await p.expectHttp('GET /events/stream', 200, { query: { limit: '5' } });
    p.check(typeof page?.next_position === 'string', `the stream answers a next_position (${JSON.stringify(page)})`);
    await refusedToManager(p, 'GET /events/stream');
  },
  activities: async (p) => {
    await p.expectHttp('GET /activities', 200);
    await p.expectHttp('GET /contacts/{id}/activities', 200, { params: { id: made.contactId ?? 'none' } });
    await refusesForgedCursor(p, 'GET /activities');
  },
  notifications: async (p) => {
    // Settings show the config's defaults (CRM_NOTIFICATION_DEFAULTS); the inbox pages sign cursors.
    const settings = await p.expectHttp('GET /notification_settings', 200);
    p.check(settings?.items?.length > 0, `the settings list every kind (${JSON.stringify(settings)})`);
    await p.expectHttp('PUT /notification_settings', 200, { body: { channels: { lead_assigned: 'both' } } });
    const inbox = await p.expectHttp('GET /notifications', 200);
    p.check(typeof inbox?.unread_count === 'number', `the inbox answers its unread count (${JSON.stringify(inbox)})`);
    await p.expectHttp('POST /notifications/read_all', 200);
    await refusesForgedCursor(p, 'GET /notifications');
    // Notification rules: the caller's own, through the rules' store (their count and index).
    const rule = await p.expectHttp('POST /notification_rules', 201, {
      body: { name: 'Probe rule', resource: 'deal', triggers: ['stage_changed'], channels: ['web', 'push'] },
    });
    p.check(rule?.not_configured?.[0] === 'push', `push is reported as not configured (${JSON.stringify(rule)})`);
    await p.expectHttp('GET /notification_rules', 200);
    await p.expectHttp('PATCH /notification_rules/{id}', 200, { params: { id: rule?.id }, body: { name: 'Probe rule 2' } });
    await p.expectHttp('GET /notification_rules/{id}', 200, { params: { id: rule?.id } });
    await p.expectHttp('DELETE /notification_rules/{id}', 204, { params: { id: rule?.id } });
    // A live ticket is stored (hashed) for the caller.
    const ticket = await p.expectHttp('POST /notifications/live_ticket', 200);
    p.check(/^[\w-]{43}$/.test(ticket?.ticket ?? ''), `a ticket is issued (${JSON.stringify(ticket)})`);
  },
  emails: async (p) => {
    // Sends from the caller's address on the config's domain (CRM_MAIL_SETTINGS), checking the
    // suppression list (SES) and the address book (search index); files it in Sent.
    const sent = await p.expectHttp('POST /emails', 201, {
      body: { to: [`probe-${next()}@exemple.example`], subject: 'Probe', html: '<p>Probe</p>' },
    });
    p.check(/@in\./.test(sent?.reply_to ?? ''), `replies go to the inbound domain (${JSON.stringify(sent)})`);
    made.emailId = sent?.id;
    const folder = await p.expectHttp('GET /emails', 200, { query: { folder: 'sent' } });
    p.check(
      folder?.items?.some((e: { id: string }) => e.id === sent?.id),
      'the message is in Sent',
    );
    await refusesForgedCursor(p, 'GET /emails');
    await p.expectHttp('GET /emails/{id}', 200, { params: { id: sent?.id } });
    await p.expectHttp('POST /emails/{id}/archive', 200, { params: { id: sent?.id } });
    await p.expectHttp('POST /emails/{id}/unarchive', 200, { params: { id: sent?.id } });
    const other = await p.expectHttp('POST /emails', 201, { body: { to: ['gone@exemple.example'], subject: 'x', text: 'x' } });
    await p.expectHttp('DELETE /emails/{id}', 204, { params: { id: other?.id } });
    const forwarding = await p.expectHttp('GET /emails/forwarding_address', 200);
    p.check(/^log\+[a-z0-9]+@in\./.test(forwarding?.address ?? ''), `a forwarding address (${JSON.stringify(forwarding)})`);
    // A mailbox on a loopback port nobody listens on: sealed with a data key of the credentials
    // key (KMS, CREDENTIALS_KEY_ARN); the poll probe opens it and stores the refused connection.
    const mailbox = await p.expectHttp('POST /mailboxes', 201, {
      body: { host: '127.0.0.1', port: 9, tls: false, username: 'probe', password: 'probe-password' },
    });
    made.mailboxId = mailbox?.id;
    const item = await table.get({ pk: `mailbox#${mailbox?.id ?? 'none'}`, sk: 'mailbox' });
    p.check(/^v2\./.test(String(item?.sealed_password)), `the password is sealed with a KMS data key (v2)`);
    const dump = JSON.stringify(await scanAll());
    p.check(
      !['probe-password', Buffer.from('probe-password').toString('base64')].some((plain) => dump.includes(plain)),
      'a scan of the whole table holds no plaintext password',
    );
    const mailboxes = await p.expectHttp('GET /mailboxes', 200);
    p.check(
      mailboxes?.items?.some((m: { id: string; password?: string }) => m.id === mailbox?.id && m.password === undefined),
      `the mailbox is listed, without its password (${JSON.stringify(mailboxes)})`,
    );
    const gone = await p.expectHttp('POST /mailboxes', 201, {
      body: { host: '127.0.0.1', port: 9, tls: false, username: 'gone', password: 'probe-password' },
    });
    await p.expectHttp('DELETE /mailboxes/{id}', 204, { params: { id: gone?.id } });
    // OAuth connections read CRM_MAILBOX_OAUTH: the shipped config configures no provider.
    const oauth = await p.expectHttp('POST /mailboxes/oauth/start', 422, { body: { provider: 'google' } });
    p.check(oauth?.code === 'mailbox_oauth.provider_unknown', `no provider configured (${JSON.stringify(oauth)})`);
  },
};

/** Every item of the table (a dump, as an operator or a backup would see it). */
async function scanAll(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await table.client.send(new ScanCommand({ TableName: table.name, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** The outbox events written so far (what the stream carries), oldest first. */
async function outboxEvents(): Promise<{ item: Record<string, unknown>; event: DomainEvent }[]> {
  const items = await scanAll();
  return items
    .filter((item) => item[tableSpec.kindAttribute] === OUTBOX_KIND)
    .map((item) => ({ item, event: JSON.parse(String(item.event)) as DomainEvent }))
    .sort((a, b) => a.event.metadata.occurred_at.localeCompare(b.event.metadata.occurred_at));
}

async function lastEvent(type: string, where: (event: DomainEvent) => boolean = () => true) {
  const found = (await outboxEvents()).filter((e) => e.event.metadata.event_type === type && where(e.event)).at(-1);
  if (!found) throw new Error(`no ${type} event in the outbox`);
  return found;
}

/**
 * The event again under a new event_id, as a later event about the same records would come:
 * the consumers skip an event_id they handled, and every probe run must do the work.
 */
const anew = (event: DomainEvent): DomainEvent => ({ ...event, metadata: { ...event.metadata, event_id: newId() } });

/** A task of the first admin's, due in two days with a reminder an hour before (no event written). */
async function reminderTask(): Promise<Task> {
  const owner = (await new DynamoUserRepository(table).findIdByEmail(config.first_admin.email))!;
  const now = new Date().toISOString();
  const due = new Date(Date.now() + 2 * 24 * 3600_000);
  const task: Task = {
    id: newId(),
    content: 'Probe reminder',
    due_date: due.toISOString(),
    owner_id: owner,
    creator_id: owner,
    resource_type: null,
    resource_id: null,
    completed: false,
    completed_at: null,
    remind_at: new Date(due.getTime() - 3600_000).toISOString(),
    reminder: '1h',
    created_at: now,
    updated_at: now,
    version: 1,
  };
  await new DynamoTaskRepository(table).create(task, null, []);
  return task;
}

/** The task.created event of a task. */
const taskEvent = (task: Task): DomainEvent => ({
  metadata: {
    event_id: newId(),
    event_type: 'task.created',
    event_version: 1,
    occurred_at: task.created_at,
    actor_id: task.owner_id,
    correlation_id: newId(),
    resource_type: 'task',
    resource_id: task.id,
  },
  data: task,
});

/** EventBridge's envelope around a domain event, as a rule target receives it. */
const envelope = (event: DomainEvent): EventBridgeEvent<string, DomainEvent> => ({
  version: '0',
  id: `probe-${next()}`,
  'detail-type': event.metadata.event_type,
  source: 'crm',
  account: '123456789012',
  time: event.metadata.occurred_at,
  region: config.region,
  resources: [],
  detail: event,
});

let requestNumber = 0;
const customResourceEvent = (RequestType: 'Create' | 'Update' | 'Delete') =>
  ({
    RequestType,
    ResponseURL: `${cfn.url}/answer`,
    StackId: `arn:aws:cloudformation:${config.region}:123456789012:stack/crm-${STAGE}-stateless/x`,
    RequestId: `request-${++requestNumber}`,
    LogicalResourceId: 'Bootstrap',
    ResourceType: 'Custom::CrmBootstrap',
    ServiceToken: `arn:aws:lambda:${config.region}:123456789012:function:crm-${STAGE}-bootstrap`,
    ResourceProperties: { ServiceToken: 'x' },
    ...(RequestType === 'Create' ? {} : { PhysicalResourceId: 'crm-bootstrap', OldResourceProperties: {} }),
  }) as CloudFormationCustomResourceEvent;

/** Per non-HTTP function: real events, and the effect each must have. */
const EVENT_PROBES: Record<string, (p: Probe) => Promise<void>> = {
  'cursor-key-rotation': async (p) => {
    // Secrets Manager's four steps, as RotateSecret announces a new version first.
    const { SecretsManagerClient, GetSecretValueCommand, PutSecretValueCommand } =
      await import('@aws-sdk/client-secrets-manager');
    const client = new SecretsManagerClient({
      endpoint: secrets.endpoint,
      region: config.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const SecretId = functionNamed('cursor-key-rotation').variables.CURSOR_SECRET_ID!;
    const before = (await client.send(new GetSecretValueCommand({ SecretId }))).SecretString;
    const token = `probe-${next()}`;
    await client.send(
      new PutSecretValueCommand({
        SecretId,
        ClientRequestToken: token,
        SecretString: 'p'.repeat(64),
        VersionStages: ['AWSPENDING'],
      }),
    );
    // A pending version with a value: createSecret keeps it, finishSecret makes it current.
    for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
      await p.invoke({ SecretId, ClientRequestToken: token, Step });
    }
    const after = await client.send(new GetSecretValueCommand({ SecretId }));
    const previous = await client.send(new GetSecretValueCommand({ SecretId, VersionStage: 'AWSPREVIOUS' }));
    p.check(after.VersionId === token, `the new version is AWSCURRENT (${after.VersionId})`);
    p.check(previous.SecretString === before, 'the old key is AWSPREVIOUS');
    // Put the probes' key back, as the table client here signs with it.
    await client.send(new PutSecretValueCommand({ SecretId, SecretString: RESOLVED_SECRET }));
    client.destroy();
  },
  bootstrap: async (p) => {
    // The outcome counters' backfill runs again (it reads the account's time zone), and the
    // reminders' (it creates schedules).
    await table.client.send(new DeleteCommand({ TableName: table.name, Key: migrationKey(OUTCOME_BACKFILL) }));
    await table.client.send(new DeleteCommand({ TableName: table.name, Key: migrationKey(REMINDERS_BACKFILL) }));
    for (const type of ['Create', 'Update', 'Delete'] as const) {
      const event = customResourceEvent(type);
      await p.invoke(event);
      const answer = cfn.answers.find((a) => a.RequestId === event.RequestId);
      p.check(answer !== undefined, `${type}: CloudFormation got an answer`);
      if (answer && answer.Status !== 'SUCCESS') p.failures.push(`${type}: ${answer.Status} ${answer.Reason}`);
    }
  },
  'outbox-publisher': async (p) => {
    const { item, event } = await lastEvent('contact.created');
    const before = bus.entries.length;
    const streamEvent: DynamoDBStreamEvent = {
      Records: [
        {
          eventID: '1',
          eventName: 'INSERT',
          eventSource: 'aws:dynamodb',
          awsRegion: config.region,
          dynamodb: {
            Keys: marshall({
              [tableSpec.partitionKey]: item[tableSpec.partitionKey],
              [tableSpec.sortKey]: item[tableSpec.sortKey],
            }) as never,
            NewImage: marshall(item, { removeUndefinedValues: true }) as never,
            SequenceNumber: '100',
            StreamViewType: 'NEW_AND_OLD_IMAGES',
          },
        },
      ],
    };
    const out = (await p.invoke(streamEvent)) as { batchItemFailures?: unknown[] } | undefined;
    if (out?.batchItemFailures?.length) p.failures.push(`batch item failures: ${JSON.stringify(out.batchItemFailures)}`);
    const put = bus.entries.slice(before);
    p.check(
      put.some((e) => e.Source === 'crm' && JSON.parse(e.Detail).metadata.event_id === event.metadata.event_id),
      `the bus got the event (${JSON.stringify(put)})`,
    );
  },
  'contact-status': async (p) => {
    // The contact with more deals than a page: its deals are paged (a cursor is signed).
    const { event } = await lastEvent(
      'deal.created',
      (e) => (e.data as { contact_id?: string }).contact_id === made.busyContactId,
    );
    await p.invoke(envelope(anew(event)));
    const contact = await new DynamoContactRepository(table).get(made.busyContactId!);
    p.check(contact?.prospect_status === 'current', `the contact became a current prospect (${JSON.stringify(contact)})`);
  },
  'tag-registry': async (p) => {
    // A contact created natively with a new tag, as the bus delivers its event.
    const name = `Probe ${newId()}`;
    const id = newId();
    const event = domainEvent(
      { actor_id: 'system', correlation_id: 'probe', now: new Date(), newId },
      'contact.created',
      { resource_type: 'contact', resource_id: id },
      { id, owner_id: 'probe-owner', tags: [name], version: 1 },
    );
    await p.invoke(envelope(event));
    const claim = await table.get(tagNameKey('contact', tagKey(name)));
    p.check(claim !== undefined, `the tag "${name}" was registered`);
  },
  'email-events': async (p) => {
    // An SES open of the message the emails probe sent, as the bus delivers it.
    const id = made.emailId!;
    await p.invoke({
      version: '0',
      id: `probe-${next()}`,
      'detail-type': 'Email Opened',
      source: 'aws.ses',
      account: RESOLVED_ACCOUNT,
      time: new Date().toISOString(),
      region: config.region,
      resources: [],
      detail: {
        eventType: 'Open',
        mail: { messageId: 'probe', tags: { crm_message_id: [id] } },
        open: { timestamp: new Date().toISOString(), userAgent: 'Mail/1.0', ipAddress: '192.0.2.1' },
      },
    });
    const item = await table.get(emailKey(id));
    p.check(Number(item?.opened_count) >= 1, `the open is counted (${JSON.stringify(item)})`);
  },
  'activity-feed': async (p) => {
    const { event } = await lastEvent('contact.created');
    const fresh = anew(event);
    await p.invoke(envelope(fresh));
    const entries = await table.partition(`activity#contact#${event.metadata.resource_id}`, 'at#');
    p.check(
      entries.some((e) => e.event_id === fresh.metadata.event_id),
      `the feed got the contact's creation (${JSON.stringify(entries)})`,
    );
  },
  migrate: async (p) => {
    await table.client.send(new DeleteCommand({ TableName: table.name, Key: migrationKey(OUTCOME_BACKFILL) }));
    await table.client.send(new DeleteCommand({ TableName: table.name, Key: migrationKey(REMINDERS_BACKFILL) }));
    const continuation = anew({ ...(await lastEvent('contact.created')).event });
    continuation.metadata = { ...continuation.metadata, event_type: MIGRATION_CONTINUE_EVENT, resource_type: 'migration' };
    await p.invoke(envelope(continuation));
    const marker = await table.get(migrationKey('2026-12-activity-feed'));
    p.check(marker?.status === 'done', `the bootstrap ran the feed's backfill to the end (${JSON.stringify(marker)})`);
    const outcomes = await table.get(migrationKey(OUTCOME_BACKFILL));
    p.check(outcomes?.status === 'done', `the run did the outcome counters' backfill (${JSON.stringify(outcomes)})`);
    const reminders = await table.get(migrationKey(REMINDERS_BACKFILL));
    p.check(reminders?.status === 'done', `the run did the reminders' backfill (${JSON.stringify(reminders)})`);
  },
  'reminder-sync': async (p) => {
    // A task with a reminder to come: its creation arms one schedule, named by the template's
    // group, invoking the template's target with the template's role and DLQ.
    const task = await reminderTask();
    await p.invoke(envelope(taskEvent(task)));
    const schedule = scheduler
      .schedules()
      .find((s) => s.name === reminderScheduleName('task', task.id, new Date(task.remind_at!)));
    const variables = functionNamed('reminder-sync').variables;
    p.check(
      schedule !== undefined &&
        schedule.groupName === variables.SCHEDULE_GROUP_NAME &&
        schedule.targetArn === variables.REMINDER_TARGET_ARN &&
        schedule.targetArn.endsWith(`:function:${functionNamed('reminders').functionName}`),
      `the task's reminder is scheduled in the group, for the reminders function (${JSON.stringify(schedule)})`,
    );
  },
  // The refresh reads the probe's calendar (its host does not resolve: the failure is stored).
  'external-calendars': async (p) => {
    await p.invoke({ refresh: 'external_calendars' });
    const stored = await table.get({ pk: `external_calendar#${made.externalCalendarId ?? 'none'}`, sk: 'external_calendar' });
    p.check(
      typeof stored?.last_error === 'string' && stored.last_error.startsWith('dns_failed'),
      `the refresh stored its outcome (${JSON.stringify(stored)})`,
    );
  },
  // The poll reads the emails probe's mailbox, opens its password, and refuses its loopback host
  // (mailbox servers must be public): the failure is stored.
  'mailbox-poll': async (p) => {
    await p.invoke({ poll: 'mailboxes' });
    const stored = await table.get({ pk: `mailbox#${made.mailboxId ?? 'none'}`, sk: 'mailbox' });
    p.check(
      /not a public address/.test(String(stored?.last_error)) &&
        typeof stored?.last_polled_at === 'string' &&
        stored.first_synced_at === null,
      `the poll opened the password and stored the refused address (${JSON.stringify(stored)})`,
    );
  },
  // A message the emails probe sent, as SES took it (status sent), for the owner of the emails
  // probe's loopback mailbox: the consumer marks its Message-ID (table), opens the password
  // (cursor secret) and is refused the loopback host, an outcome rather than a retry.
  'mailbox-sent-copy': async (p) => {
    const original = await table.get(emailKey(made.emailId ?? 'none'));
    const id = newId();
    const messageId = `<${id.toLowerCase()}@probe.example>`;
    await table.client.send(
      new PutCommand({
        TableName: table.name,
        Item: { ...original, ...emailKey(id), id, message_id: messageId, status: 'sent', provider_message_id: `probe-${id}` },
      }),
    );
    const event = domainEvent(
      { actor_id: 'system', correlation_id: 'probe', now: new Date(), newId },
      EMAIL_SENT_EVENT,
      { resource_type: 'email', resource_id: id },
      { id },
    );
    await p.invoke(envelope(event));
    const hash = createHash('sha256').update(messageId).digest('hex');
    const marker = await table.get(receiptKey(String(original?.owner_id), hash));
    p.check(marker?.email_id === id, `the Message-ID is marked as logged (${JSON.stringify(marker)})`);
    p.check(
      /"outcome":"refused"/.test(p.process.logs()) && /not a public address/.test(p.process.logs()),
      'the password was opened and the loopback host refused',
    );
  },
  reminders: async (p) => {
    const task = await reminderTask();
    await p.invoke({ kind: 'task', record_id: task.id, remind_at: task.remind_at });
    const due = (await outboxEvents()).find(
      (e) => e.event.metadata.event_type === 'task.reminder_due' && e.event.metadata.resource_id === task.id,
    );
    p.check(due !== undefined, `the reminder wrote its task.reminder_due event`);
  },
  redrive: async (p) => {
    const { event } = await lastEvent('deal.created');
    const before = bus.entries.length;
    const report = (await p.invoke({ event_ids: [event.metadata.event_id] })) as
      { found?: number; published?: number } | undefined;
    p.check(report?.found === 1 && report.published === 1, `the redrive republished the event (${JSON.stringify(report)})`);
    p.check(
      bus.entries.slice(before).some((e) => JSON.parse(e.Detail).metadata.event_id === event.metadata.event_id),
      'the bus got the event again',
    );
  },
  'deal-outcomes': async (p) => {
    // A lead made unqualified: reads the owner (team), writes the buckets and the lead's head
    // (at a version of its own each run, so every probe applies it rather than skipping it).
    const { event } = await lastEvent('lead.created');
    const unqualified = anew({ ...event, data: { ...event.data, status: 'unqualified', version: ++probeLeadVersion } });
    await p.invoke(envelope(unqualified));
    const day = dayOf(unqualified.metadata.occurred_at, config.account.time_zone);
    const bucket = await table.get({ pk: outcomeBuckets('company'), sk: `day#${day}` });
    p.check(Number(bucket?.c_leads_unqualified) >= 1, `the company's bucket counts the lead (${JSON.stringify(bucket)})`);
  },
  'automated-actions': async (p) => {
    // The rule hands the action itself (its input transformer): the shipped config needs none.
    const { event } = await lastEvent('deal.created');
    const [action] = configuredActions([
      {
        name: 'probe',
        trigger: { event: 'deal.created' },
        filters: [],
        actions: [{ type: 'create_task', content: 'Probe task', assignee: 'owner', due_in: '1d' }],
      } as Automation,
    ]);
    const fresh = anew(event);
    await p.invoke({ action, event: fresh });
    const tasks = await new DynamoTaskRepository(table).tasksOf(
      { resource_type: 'deal', resource_id: fresh.metadata.resource_id },
      50,
    );
    p.check(
      tasks.items.some((t) => t.content === 'Probe task' && t.due_date !== null),
      `the action created its task (${JSON.stringify(tasks.items)})`,
    );
  },
  // The probes' appointment.created: a mail planned for the guest (and the manager's wish read).
  'appointment-invitations': async (p) => {
    const { event } = await lastEvent('appointment.created', (e) => e.metadata.resource_id === made.appointmentId);
    await p.invoke(envelope(event));
    const planned = await table.partition(invitationPartition(made.appointmentId!));
    p.check(
      planned.some((i) => i.to_address === PROBE_GUEST && i.method === 'REQUEST' && i.status === 'pending'),
      `the guest's invitation is planned (${JSON.stringify(planned)})`,
    );
  },
  // Amazon Connect's contact event of the configured instance: described at the Connect
  // stand-in (the instance id from CONNECT_INSTANCE_ID), logged as a call, once.
  'connect-calls': async (p) => {
    const instanceArn = config.connect!.instance_arn;
    const contactId = newId();
    connect.seed(
      LOCAL_CONNECT_INSTANCE_ID,
      contactId,
      describedContact({ instanceArn, contactId, customerNumber: '+15005550007' }),
    );
    const event = disconnectedEvent(instanceArn, contactId);
    const first = await p.invoke(event);
    p.check(first === 'logged', `the contact event logged a call (${JSON.stringify(first)})`);
    p.check((await p.invoke(event)) === 'already_logged', 'the redelivered event logged nothing more');
  },
  // A calendar REPLY of the guest stored under inbound/ as SES's receipt rule would: recorded.
  'inbound-mail': async (p) => {
    const bucket = functionNamed('inbound-mail').variables.FILES_BUCKET_NAME!;
    const key = `inbound/probe-${next()}`;
    const eml = await replyMail({
      appointmentId: made.appointmentId!,
      from: PROBE_GUEST,
      attendee: PROBE_GUEST,
      response: 'declined',
    });
    const client = localS3Client(s3.endpoint, config.region);
    try {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: eml }));
    } finally {
      client.destroy();
    }
    const entry = objectCreatedEntry({ bucket, key, size: eml.length, etag: 'x', reason: 'PutObject' });
    const outcome = await p.invoke({
      version: '0',
      id: newId(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: RESOLVED_ACCOUNT,
      time: new Date().toISOString(),
      region: config.region,
      resources: entry.Resources,
      detail: JSON.parse(entry.Detail!),
    });
    p.check(outcome === 'itip_reply', `the mail was read as a calendar reply (${JSON.stringify(outcome)})`);
    const appointment = await new DynamoAppointmentRepository(table).get(made.appointmentId!);
    const guest = appointment?.attendees.find((a) => a.email === PROBE_GUEST);
    p.check(guest?.status === 'declined', `the guest's answer is recorded (${JSON.stringify(guest)})`);
    // Ordinary mail to the first admin's forwarding address: logged in their mailbox.
    const settings = JSON.parse(functionNamed('inbound-mail').variables.CRM_MAIL_SETTINGS!) as { inbound_domain: string };
    const adminId = (await new DynamoUserRepository(table).findIdByEmail(config.first_admin.email))!;
    const token = await new DynamoEmailRepository(table).forwardingToken(adminId, `probe${next()}`);
    const messageId = `<probe-${next()}@exemple.example>`;
    const mail = Buffer.from(
      [
        `From: Probe <probe-${next()}@exemple.example>`,
        `To: log+${token}@${settings.inbound_domain}`,
        'Subject: Probe',
        `Message-ID: ${messageId}`,
        '',
        'Probe',
        '',
      ].join('\r\n'),
    );
    const mailKey = `inbound/probe-${next()}`;
    const putter = localS3Client(s3.endpoint, config.region);
    try {
      await putter.send(new PutObjectCommand({ Bucket: bucket, Key: mailKey, Body: mail }));
    } finally {
      putter.destroy();
    }
    const mailEntry = objectCreatedEntry({ bucket, key: mailKey, size: mail.length, etag: 'y', reason: 'PutObject' });
    const logged = await p.invoke({
      version: '0',
      id: newId(),
      'detail-type': mailEntry.DetailType,
      source: mailEntry.Source,
      account: RESOLVED_ACCOUNT,
      time: new Date().toISOString(),
      region: config.region,
      resources: mailEntry.Resources,
      detail: JSON.parse(mailEntry.Detail!),
    });
    p.check(logged === 'logged', `ordinary mail to a forwarding address is logged (${JSON.stringify(logged)})`);
  },
  // S3's Object Created for the upload the documents probe left: the document becomes available.
  'document-check': async (p) => {
    const id = made.uploadedDocumentId!;
    const bucket = functionNamed('document-check').variables.FILES_BUCKET_NAME!;
    const entry = objectCreatedEntry({ bucket, key: `uploads/${id}`, size: 5, etag: 'x', reason: 'PutObject' });
    const outcome = await p.invoke({
      version: '0',
      id: newId(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: RESOLVED_ACCOUNT,
      time: new Date().toISOString(),
      region: config.region,
      resources: entry.Resources,
      detail: JSON.parse(entry.Detail!),
    });
    p.check(outcome === 'available', `the upload check made the document available (${JSON.stringify(outcome)})`);
  },
  'notification-delivery': async (p) => {
    // A lead made for the first admin by someone else: the admin's inbox gets it (and the
    // e-mail is recorded as pending: the admin chose "both" in the notifications probe).
    const { event } = await lastEvent('lead.created');
    const fresh = anew(event);
    fresh.metadata = { ...fresh.metadata, actor_id: 'probe-actor' };
    await p.invoke(envelope(fresh));
    const owner = (event.data as { owner_id: string }).owner_id;
    const inbox = await table.partition(`notification#${owner}`);
    p.check(
      inbox.some((i) => String(i.sk).startsWith('n#') && (i.body as { actor_id?: string }).actor_id === 'probe-actor'),
      `the owner's inbox got the lead (${JSON.stringify(inbox)})`,
    );
    p.check(
      inbox.some((i) => String(i.sk).startsWith('email#') && i.event_id === fresh.metadata.event_id && i.status === 'pending'),
      'the e-mail is recorded as pending',
    );
    p.check(
      (await outboxEvents()).some(
        (e) =>
          e.event.metadata.event_type === MAIL_REQUESTED_EVENT &&
          (e.event.data as MailRequest).event_id === fresh.metadata.event_id,
      ),
      'the mail request is in the outbox, written with the pending e-mail',
    );
    // A notification rule of the owner on leads created: its match is delivered too (the rules'
    // index Query, the owner's user record and reports read under the function's grants).
    const rule = { id: newId(), name: 'Probe rule', resource: 'lead' as const, filters: [], triggers: ['created' as const] };
    const stamp = { channels: ['web' as const], created_at: fresh.metadata.occurred_at, updated_at: fresh.metadata.occurred_at };
    await table.client.send(new PutCommand({ TableName: table.name, Item: ruleItem(owner, { ...rule, ...stamp, version: 1 }) }));
    const again = anew(event);
    again.metadata = { ...again.metadata, actor_id: 'probe-actor' };
    await p.invoke(envelope(again));
    const after = await table.partition(`notification#${owner}`);
    p.check(
      after.some((i) => (i.body as { rule?: { id: string } } | undefined)?.rule?.id === rule.id),
      `the owner's rule matched (${JSON.stringify(after)})`,
    );
  },
  // The HTTP API's authorizer: a stored personal access token authorizes its owner (and its use
  // is recorded); an unknown one and a malformed Cognito token are refused.
  'api-authorizer': async (p) => {
    const secret = nodeTokenSecrets.generate();
    const tokens = new DynamoAccessTokenRepository(table);
    const id = newId();
    await tokens.create({
      id,
      user_id: 'probe-pat-user',
      name: 'probe',
      prefix: secret.slice(0, 6),
      created_at: new Date().toISOString(),
      last_used_at: null,
      hash: nodeTokenSecrets.hash(secret),
    });
    const request = (token: string) => ({
      version: '2.0',
      type: 'REQUEST',
      routeArn: 'arn:aws:execute-api:us-east-1:000000000000:probe/$default/GET/users/self',
      identitySource: [`Bearer ${token}`],
      routeKey: 'GET /users/self',
      rawPath: '/users/self',
      rawQueryString: '',
      headers: { authorization: `Bearer ${token}` },
      requestContext: { http: { method: 'GET', path: '/users/self' }, routeKey: 'GET /users/self', stage: '$default' },
    });
    const allowed = (await p.invoke(request(secret))) as { isAuthorized?: boolean; context?: Record<string, string> };
    p.check(
      allowed?.isAuthorized === true && allowed.context?.user_id === 'probe-pat-user' && allowed.context.via === 'access_token',
      `the token's owner is allowed (${JSON.stringify(allowed)})`,
    );
    p.check((await tokens.get(id))?.last_used_at != null, 'the use was recorded');
    // A refusal passes marked `refused` and with no identity: the handler answers it 401.
    type Answer = { isAuthorized?: boolean; context?: Record<string, string> };
    const refused = (a: Answer | undefined) =>
      a?.context?.refused !== undefined && a.context.user_id === undefined && a.context.sub === undefined;
    const unknown = (await p.invoke(request('0'.repeat(64)))) as Answer;
    p.check(refused(unknown), `an unknown token is refused (${JSON.stringify(unknown)})`);
    const jwt = (await p.invoke(request('not.a.jwt'))) as Answer;
    p.check(refused(jwt), `a malformed Cognito token is refused (${JSON.stringify(jwt)})`);
  },
  // The WebSocket $connect authorizer: a stored ticket is redeemed once, for its user.
  'live-authorizer': async (p) => {
    const ticket = newTicket();
    await new DynamoLiveTickets(table).issue(ticketHash(ticket), 'probe-live-user', new Date(Date.now() + 30_000));
    const event = liveEvent('$connect', 'CONNECT', `probe${next()}=`, { ticket });
    const allowed = (await p.invoke(event)) as { context?: { user_id?: string }; policyDocument?: { Statement?: any[] } };
    p.check(
      allowed?.context?.user_id === 'probe-live-user' && allowed.policyDocument?.Statement?.[0]?.Effect === 'Allow',
      `the ticket's user is allowed (${JSON.stringify(allowed)})`,
    );
    const again = await p.process.invoke(event);
    p.check(
      again.type === 'error' && again.error.message === 'Unauthorized',
      `a second use is refused (${JSON.stringify(again)})`,
    );
  },
  // The WebSocket routes: $connect stores the connection, $default answers the ping, $disconnect deletes it.
  'live-connections': async (p) => {
    const id = `probe${next()}=`;
    const stored = async () =>
      (await table.partition(liveConnectionsPartition('probe-live-user'))).some((i) => i.connection_id === id);
    const connected = (await p.invoke(liveEvent('$connect', 'CONNECT', id))) as { statusCode?: number } | undefined;
    p.check(connected?.statusCode === 200 && (await stored()), `$connect stored the connection (${JSON.stringify(connected)})`);
    const pong = (await p.invoke({ ...liveEvent('$default', 'MESSAGE', id), body: '{"action":"ping"}' })) as { body?: string };
    p.check(pong?.body === '{"type":"pong"}', `$default answers the ping (${JSON.stringify(pong)})`);
    await p.invoke(liveEvent('$disconnect', 'DISCONNECT', id));
    p.check(!(await stored()), '$disconnect deleted the connection');
  },
  // The plan of the import the imports probe started (as the queue hands it over), then the
  // batch it queued: the lead is written and the import finished.
  'import-worker': async (p) => {
    const queueName = `crm-${STAGE}-imports`;
    const sqs = new SQSClient({
      endpoint: s3.endpoint,
      region: config.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
      const record = (body: unknown) => ({
        messageId: `probe-${next()}`,
        receiptHandle: 'probe',
        body: JSON.stringify(body),
        attributes: { ApproximateReceiveCount: '1' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${config.region}:${RESOLVED_ACCOUNT}:${queueName}`,
        awsRegion: config.region,
      });
      const id = made.startedImportId ?? 'none';
      const planned = (await p.invoke({ Records: [record({ type: 'plan', import_id: id })] })) as {
        batchItemFailures?: unknown[];
      };
      if (planned?.batchItemFailures?.length) p.failures.push(`plan failed: ${JSON.stringify(planned.batchItemFailures)}`);
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      const batches = (received.Messages ?? [])
        .map((m) => JSON.parse(m.Body!))
        .filter((m) => m.type === 'batch' && m.import_id === id);
      p.check(batches.length === 1, `the plan queued one batch (${JSON.stringify(received.Messages?.map((m) => m.Body))})`);
      for (const batch of batches) {
        const answer = (await p.invoke({ Records: [record(batch)] })) as { batchItemFailures?: unknown[] };
        if (answer?.batchItemFailures?.length) p.failures.push(`batch failed: ${JSON.stringify(answer.batchItemFailures)}`);
      }
      const job = await table.get({ pk: `import#${id}`, sk: 'import' });
      p.check(job?.status === 'finished' && job.created === 1, `the import finished with one lead (${JSON.stringify(job)})`);
    } finally {
      sqs.destroy();
    }
  },
  // The plan of the operation the bulk-operations probe asked for (its filter paged through the
  // leads list use case), then each batch it queued: the leads tagged, the operation finished.
  'bulk-worker': async (p) => {
    const queueName = `crm-${STAGE}-bulk-operations`;
    const sqs = new SQSClient({
      endpoint: s3.endpoint,
      region: config.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
      const record = (body: unknown) => ({
        messageId: `probe-${next()}`,
        receiptHandle: 'probe',
        body: JSON.stringify(body),
        attributes: { ApproximateReceiveCount: '1' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${config.region}:${RESOLVED_ACCOUNT}:${queueName}`,
        awsRegion: config.region,
      });
      const id = made.bulkOperationId ?? 'none';
      const planned = (await p.invoke({ Records: [record({ type: 'plan', operation_id: id })] })) as {
        batchItemFailures?: unknown[];
      };
      if (planned?.batchItemFailures?.length) p.failures.push(`plan failed: ${JSON.stringify(planned.batchItemFailures)}`);
      const batches: unknown[] = [];
      for (let round = 0; round < 5; round++) {
        const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        const mine = (received.Messages ?? []).map((m) => JSON.parse(m.Body!)).filter((m) => m.operation_id === id);
        batches.push(...mine.filter((m) => m.type === 'batch'));
        if ((received.Messages ?? []).length === 0) break;
      }
      p.check(batches.length >= 1, `the plan queued the batches (${batches.length})`);
      for (const batch of batches) {
        const answer = (await p.invoke({ Records: [record(batch)] })) as { batchItemFailures?: unknown[] };
        if (answer?.batchItemFailures?.length) p.failures.push(`batch failed: ${JSON.stringify(answer.batchItemFailures)}`);
      }
      const op = await table.get({ pk: `bulk_operation#${id}`, sk: 'bulk_operation' });
      p.check(
        op?.status === 'finished' && Number(op.ok) >= 1 && Number(op.failed) === 0,
        `the operation finished, its leads tagged (${JSON.stringify(op)})`,
      );
    } finally {
      sqs.destroy();
    }
  },
  // The slice the exports probe queued, as the queue hands it over: the leads listed as the
  // requester, the file written under exports/ of the bucket the template names, export.finished.
  'export-worker': async (p) => {
    const id = made.queuedExportId ?? 'none';
    const answer = (await p.invoke({
      Records: [
        {
          messageId: `probe-${next()}`,
          receiptHandle: 'probe',
          body: JSON.stringify({ export_id: id }),
          attributes: { ApproximateReceiveCount: '1' },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: `arn:aws:sqs:${config.region}:${RESOLVED_ACCOUNT}:crm-${STAGE}-exports`,
          awsRegion: config.region,
        },
      ],
    })) as { batchItemFailures?: unknown[] };
    if (answer?.batchItemFailures?.length) p.failures.push(`the slice failed: ${JSON.stringify(answer.batchItemFailures)}`);
    const job = await table.get({ pk: `export#${id}`, sk: 'export' });
    p.check(job?.status === 'done' && job.rows >= 1, `the export is done with the leads (${JSON.stringify(job)})`);
    const files = localS3Client(s3.endpoint, config.region);
    try {
      const file = await files.send(
        new GetObjectCommand({ Bucket: functionNamed('export-worker').variables.FILES_BUCKET_NAME!, Key: `exports/${id}.csv` }),
      );
      const bytes = Buffer.from(await file.Body!.transformToByteArray());
      p.check(bytes.subarray(0, 3).toString('hex') === 'efbbbf', 'the file opens with the BOM');
    } finally {
      files.destroy();
    }
  },
  // A delivery of the cancelled Sell import's message, as the queue hands it over: the worker
  // starts with its template's environment, reads the job and leaves it (no call to Sell).
  'sell-import-worker': async (p) => {
    const id = made.cancelledSellImportId ?? 'none';
    const answer = (await p.invoke({
      Records: [
        {
          messageId: `probe-${next()}`,
          receiptHandle: 'probe',
          body: JSON.stringify({ import_id: id }),
          attributes: { ApproximateReceiveCount: '1' },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: `arn:aws:sqs:${config.region}:${RESOLVED_ACCOUNT}:crm-${STAGE}-sell-imports`,
          awsRegion: config.region,
        },
      ],
    })) as { batchItemFailures?: unknown[] };
    if (answer?.batchItemFailures?.length) p.failures.push(`the slice failed: ${JSON.stringify(answer.batchItemFailures)}`);
    const job = await table.get({ pk: `sell_import#${id}`, sk: 'sell_import' });
    p.check(
      job?.status === 'cancelled' && job.sealed_token === undefined,
      `the cancelled import stays so (${JSON.stringify(job)})`,
    );
  },
  'mail-sender': async (p) => {
    // A fresh pending alert for the first admin (as the notifications consumer writes it),
    // then its mail request from the outbox, as the queue hands it over (an SQS record).
    const users = new DynamoUserRepository(table);
    const adminId = (await users.findIdByEmail(config.first_admin.email))!;
    const eventId = newId();
    await new DynamoNotificationStore(table).deliver(
      {
        recipient_id: adminId,
        kind: 'lead_assigned',
        actor_id: 'probe-actor',
        event_id: eventId,
        occurred_at: new Date().toISOString(),
        record: { type: 'lead', id: `L${eventId}`, name: `Probe lead ${eventId}` },
      },
      { web: false, email: true },
    );
    const { event } = await lastEvent(MAIL_REQUESTED_EVENT, (e) => (e.data as MailRequest).event_id === eventId);
    const answer = (await p.invoke({
      Records: [
        {
          messageId: `probe-${next()}`,
          receiptHandle: 'probe',
          body: JSON.stringify(envelope(event)),
          attributes: { ApproximateReceiveCount: '1' },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: `arn:aws:sqs:${config.region}:${RESOLVED_ACCOUNT}:crm-${STAGE}-mail`,
          awsRegion: config.region,
        },
      ],
    })) as { batchItemFailures?: unknown[] } | undefined;
    if (answer?.batchItemFailures?.length) p.failures.push(`batch item failures: ${JSON.stringify(answer.batchItemFailures)}`);
    const stored = (await (await fetch(`${ses.endpoint}/store`)).json()) as {
      emails: { body: { text?: string }; destination: { to: string[] } }[];
    };
    p.check(
      stored.emails.some(
        (m) => (m.body.text ?? '').includes(`Probe lead ${eventId}`) && m.destination.to.includes(config.first_admin.email),
      ),
      `the alert reached the mail viewer (${stored.emails.length} mails)`,
    );
    const items = await table.partition(`notification#${adminId}`, 'email#');
    p.check(
      items.some((i) => i.event_id === eventId && i.status === 'sent'),
      'the pending e-mail is recorded as sent',
    );
  },
  'user-directory-sync': async (p) => {
    const { event } = await lastEvent('user.created');
    const email = (event.data as { email: string }).email;
    const before = cognito.calls.length;
    await p.invoke(envelope(anew(event)));
    const calls = cognito.calls.slice(before);
    p.check(
      calls.some((c) => c.action === 'AdminCreateUser' && c.input.Username === email),
      `Cognito got the invitation of ${email} (${JSON.stringify(calls)})`,
    );
  },
};

/** An event of the live WebSocket API (the authorizer's when `query` holds a ticket), for user probe-live-user. */
function liveEvent(routeKey: string, eventType: string, connectionId: string, query?: Record<string, string>) {
  const requestContext = {
    routeKey,
    eventType,
    connectionId,
    stage: 'live',
    apiId: 'a1b2c3d4e5',
    requestId: next(),
    connectedAt: Date.now(),
    requestTimeEpoch: Date.now(),
    identity: { sourceIp: '127.0.0.1' },
    ...(query ? {} : { authorizer: { user_id: 'probe-live-user', principalId: 'probe-live-user' } }),
  };
  return query
    ? {
        type: 'REQUEST',
        methodArn: `arn:aws:execute-api:${config.region}:${RESOLVED_ACCOUNT}:a1b2c3d4e5/live/$connect`,
        headers: {},
        queryStringParameters: query,
        requestContext,
      }
    : { requestContext, isBase64Encoded: false };
}

async function runProbe(fn: SynthesizedFunction, drop?: string): Promise<Probe> {
  const probe = new Probe(await startBundle(fn, environmentOf(fn, drop)));
  try {
    const run = HTTP_PROBES[fn.spec.name] ?? EVENT_PROBES[fn.spec.name];
    if (!run) throw new Error(`no probe for function ${fn.spec.name}: add one to deploy-truth.infra.test.ts`);
    await run(probe);
  } finally {
    await probe.process.close();
  }
  return probe;
}

const expectHealthy = (probe: Probe) => {
  expect(probe.failures, probe.process.logs()).toEqual([]);
  expect(probe.problems, probe.process.logs()).toEqual([]);
};

// Order matters: the bootstrap makes the admin the HTTP probes act as; the records they make
// are what the consumers and the publisher are then given.
const HTTP_ORDER = [
  'platform',
  'identity',
  'pipelines',
  'contacts',
  'custom-fields',
  'deals',
  'leads',
  'notes',
  'calls',
  'voice-webhook',
  'documents',
  'capture-forms',
  'imports',
  'bulk-operations',
  'exports',
  'tasks',
  'appointments',
  'calendar',
  'invitations',
  'search',
  'dashboard',
  'events',
  'activities',
  'automations',
  'notifications',
  'emails',
  'sell-facade',
];

describe('every synthesized bundle, with its template environment', () => {
  it('lists a probe for every function of the template, and nothing else', () => {
    expect(functions.map((f) => f.spec.name).sort()).toEqual([...Object.keys(HTTP_PROBES), ...Object.keys(EVENT_PROBES)].sort());
    expect([...HTTP_ORDER].sort()).toEqual(Object.keys(HTTP_PROBES).sort());
  });

  it('bootstrap: answers SUCCESS to Create, Update and Delete on the response URL', async () => {
    const probe = await runProbe(functionNamed('bootstrap'));
    expectHealthy(probe);
    expect(cfn.answers.map((a) => a.Status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    expect(cfn.answers[0]!.Data).toMatchObject({ first_admin: 'invited', first_admin_sign_in: 'invited', pipeline: 'created' });
    expect(cfn.answers[1]!.Data).toMatchObject({
      first_admin: 'already_present',
      first_admin_sign_in: 'ok',
      pipeline: 'already_present',
    });
    // The first admin's Cognito user, made by the bootstrap itself, in the admin group.
    const admin = cognito.users().find((u) => u.username === config.first_admin.email);
    expect(admin?.groups).toEqual(['admin']);
    expect(cfn.answers[2]!.Data).toEqual({});
    const adminId = await new DynamoUserRepository(table).findIdByEmail(config.first_admin.email);
    expect(adminId).toBeDefined();
    // The first admin activates an authenticator app, as MFA for admins requires.
    await setAdminMfa(true);
    const auth = DevAuth.ephemeral();
    adminClaims = authorizerClaims(
      await auth.verifier.verify(auth.token({ sub: adminId!, email: config.first_admin.email, role: 'admin' })),
    );
  });

  it('gives every function that resolves a caller AdminGetUser on the pool, and nothing else of Cognito, as MFA is required', () => {
    const resources = crm.statelessTemplate.toJSON().Resources as Record<string, { Type: string; Properties: any }>;
    // platform, invitations and voice-webhook serve public routes only: no caller to resolve.
    const callers = functionSpecs.filter(
      (spec) => spec.kind === 'http' && !['platform', 'invitations', 'voice-webhook'].includes(spec.name),
    );
    for (const spec of callers) {
      const role = Object.values(resources).find(
        (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === `crm-${STAGE}-${spec.name}`,
      )!.Properties.Role['Fn::GetAtt'][0];
      const statements = Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((x: any) => x.Ref === role))
        .flatMap((r) => r.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
      const cognito = statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('cognito-idp:')));
      expect(
        cognito.map((st) => st.Action),
        spec.name,
      ).toEqual(['cognito-idp:AdminGetUser']);
      // The pool's ARN (a stateful output), nothing wider.
      expect(JSON.stringify(cognito[0]!.Resource)).toMatch(/Fn::GetStackOutput.*UserPool/);
    }
  });

  it('connect-calls: with an instance configured, a rule on the default bus for its DISCONNECTED contact events (no replays), and DescribeContact on its contacts only', () => {
    const resources = crm.statelessTemplate.toJSON().Resources as Record<string, { Type: string; Properties: any }>;
    const rules = Object.values(resources).filter(
      (r) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties.EventPattern ?? {}).includes('aws.connect'),
    );
    expect(rules).toHaveLength(1);
    const rule = rules[0]!.Properties;
    // The default bus: no EventBusName (the CRM bus's rules name theirs); the local bus matches the same pattern.
    expect(rule.EventBusName).toBeUndefined();
    expect(rule.EventPattern).toEqual(connectRules(config)[0]!.pattern);
    expect(rule.EventPattern).toEqual({
      source: ['aws.connect'],
      'detail-type': ['Amazon Connect Contact Event'],
      detail: { eventType: ['DISCONNECTED'], instanceArn: [config.connect!.instance_arn] },
      'replay-name': [{ exists: false }],
    });
    expect(JSON.stringify(rule.Targets)).toContain('ConnectCallsFunction');
    const fn = functionNamed('connect-calls');
    expect(fn.variables.CONNECT_INSTANCE_ID).toBe(LOCAL_CONNECT_INSTANCE_ID);
    const role = Object.values(resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === `crm-${STAGE}-connect-calls`,
    )!.Properties.Role['Fn::GetAtt'][0];
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((x: any) => x.Ref === role))
      .flatMap((r) => r.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const connectStatements = statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('connect:')));
    expect(connectStatements.map((st) => [st.Action, st.Resource])).toEqual([
      ['connect:DescribeContact', `${config.connect!.instance_arn}/contact/*`],
    ]);
    // No other function may touch Connect.
    const policies = JSON.stringify(Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy'));
    expect(policies.match(/"connect:\w+"/g)).toEqual(['"connect:DescribeContact"']);
    console.log(`stateless stack with a Connect instance: ${Object.keys(resources).length} resources`);
  });

  it('identity: refuses the first admin (403 user.mfa_required) while they have no MFA in Cognito', async () => {
    await setAdminMfa(false);
    const probe = new Probe(await startBundle(functionNamed('identity'), environmentOf(functionNamed('identity'))));
    try {
      const refused = await probe.http('GET /users/self');
      expect([refused.status, refused.body?.code]).toEqual([403, 'user.mfa_required']);
    } finally {
      await probe.process.close();
      await setAdminMfa(true);
    }
    expectHealthy(probe);
  });

  for (const family of HTTP_ORDER) {
    it(`${family}: answers its routes as the first admin, reading and writing DynamoDB Local`, async () => {
      expectHealthy(await runProbe(functionNamed(family)));
    });
  }

  it('deals: a contact with more deals than a page (for the consumer below)', async () => {
    const probe = new Probe(await startBundle(functionNamed('deals'), environmentOf(functionNamed('deals'))));
    const contact = await runProbe(functionNamed('contacts'));
    expectHealthy(contact);
    try {
      made.busyContactId = (await outboxEvents())
        .filter((e) => e.event.metadata.event_type === 'contact.created')
        .at(-1)!.event.metadata.resource_id;
      for (let i = 0; i < 101; i++) {
        await probe.expectHttp('POST /deals', 201, { body: { name: `Busy ${i}`, contact_id: made.busyContactId } });
      }
    } finally {
      await probe.process.close();
    }
    expectHealthy(probe);
  });

  for (const name of [
    'outbox-publisher',
    'contact-status',
    'user-directory-sync',
    'activity-feed',
    'migrate',
    'redrive',
    'automated-actions',
    'notification-delivery',
    'document-check',
    'mail-sender',
    'import-worker',
    'bulk-worker',
    'export-worker',
    'sell-import-worker',
    'reminder-sync',
    'reminders',
    'email-events',
    'external-calendars',
    'mailbox-poll',
    'mailbox-sent-copy',
    'appointment-invitations',
    'inbound-mail',
    'tag-registry',
    'connect-calls',
  ]) {
    it(`${name}: handles a real event from the outbox`, async () => {
      expectHealthy(await runProbe(functionNamed(name)));
    });
  }

  it("api-authorizer: answers API Gateway's authorizer requests, reading and writing DynamoDB Local", async () => {
    expectHealthy(await runProbe(functionNamed('api-authorizer')));
  });

  for (const name of ['live-authorizer', 'live-connections']) {
    it(`${name}: answers the live WebSocket API's events, reading and writing DynamoDB Local`, async () => {
      expectHealthy(await runProbe(functionNamed(name)));
    });
  }

  it('cursor-key-rotation: runs the four rotation steps on the secret the stateful template names', async () => {
    expectHealthy(await runProbe(functionNamed('cursor-key-rotation')));
  });
});

/**
 * Where today's handler falls back to a default instead of failing at init (the consumer
 * rewrite is to require these): asserted as they are, so that fixing one fails here and
 * removes its entry. "silent": the function succeeds without its effect; a RegExp: the
 * failure it meets instead of naming the variable.
 */
const KNOWN_FALLBACKS: Record<string, Record<string, 'silent' | RegExp>> = {};

/** Required variables: declared and not optional. */
function requiredVariables(spec: FunctionSpec): string[] {
  return declaredVariables(spec)
    .filter((v) => v.optional === undefined)
    .map((v) => v.name);
}

describe('dropping any one variable a function declares', () => {
  it('declares nothing the template lacks, and marks what is optional with a reason', () => {
    for (const fn of functions) {
      expect(Object.keys(fn.variables).sort(), fn.spec.name).toEqual(
        declaredVariables(fn.spec)
          .map((v) => v.name)
          .sort(),
      );
      for (const variable of declaredVariables(fn.spec))
        if (variable.optional !== undefined) expect(variable.optional).not.toBe('');
    }
  });

  for (const spec of [
    'bootstrap',
    ...HTTP_ORDER,
    'outbox-publisher',
    'contact-status',
    'user-directory-sync',
    'redrive',
    'cursor-key-rotation',
    'activity-feed',
    'migrate',
    'notification-delivery',
    'document-check',
    'api-authorizer',
    'live-authorizer',
    'live-connections',
    'mail-sender',
    'import-worker',
    'bulk-worker',
    'export-worker',
    'reminder-sync',
    'reminders',
    'email-events',
    'external-calendars',
    'mailbox-poll',
    'mailbox-sent-copy',
    'appointment-invitations',
    'inbound-mail',
    'tag-registry',
    'connect-calls',
  ]) {
    it(`${spec}: fails clearly without each of its required variables`, async () => {
      const fn = functionNamed(spec);
      const required = requiredVariables(fn.spec);
      for (const variable of required) {
        const probe = await runProbe(fn, variable);
        const evidence = [...probe.failures, probe.process.logs()].join('\n');
        const fallback = KNOWN_FALLBACKS[spec]?.[variable];
        if (fallback === 'silent') {
          expect(probe.failures, `${spec} without ${variable} fails now: remove it from KNOWN_FALLBACKS`).toEqual([]);
          expect(probe.problems.length, `${spec} without ${variable} has no effect`).toBeGreaterThan(0);
          continue;
        }
        expect(probe.failures.length, `${spec} without ${variable} did not fail:\n${probe.problems.join('\n')}`).toBeGreaterThan(
          0,
        );
        if (fallback) {
          expect(evidence, `${spec} without ${variable} names it now: remove it from KNOWN_FALLBACKS`).not.toContain(variable);
          expect(evidence).toMatch(fallback);
          continue;
        }
        expect(evidence, `${spec} without ${variable}: the failure does not name it`).toContain(variable);
      }
    });
  }
});

// --- local stand-ins of what CloudFormation and EventBridge answer -----------------------

/** The pre-signed S3 URL CloudFormation gives a custom resource: records each PUT answer. */
async function responseUrlServer(): Promise<{ url: string; server: Server; answers: Record<string, any>[] }> {
  const answers: Record<string, any>[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      answers.push({ method: req.method, ...JSON.parse(body) });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, answers };
}

/** PutEvents on EventBridge's JSON protocol, for one bus only: another name is refused as AWS does. */
async function recordingEventBridge(busName: string): Promise<{ url: string; server: Server; entries: Record<string, any>[] }> {
  const entries: Record<string, any>[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const input = JSON.parse(body) as { Entries: Record<string, any>[] };
      const wrong = input.Entries.find((e) => e.EventBusName !== busName);
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (wrong) {
        res.statusCode = 400;
        res.end(
          JSON.stringify({ __type: 'ResourceNotFoundException', message: `Event bus ${wrong.EventBusName} does not exist.` }),
        );
        return;
      }
      entries.push(...input.Entries);
      res.end(
        JSON.stringify({
          FailedEntryCount: 0,
          Entries: input.Entries.map((_, i) => ({ EventId: `event-${entries.length + i}` })),
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, entries };
}
