import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { twilioSignature } from '#shared/calls/domain.ts';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { CloudFormationCustomResourceEvent, EventBridgeEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '#infra/config/load.ts';
import { functionSpecs } from '#infra/functions.ts';
import { cursorSecretName, LOCAL_VOICE_AUTH_TOKEN } from '#infra/local/environment.ts';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { functionAccessKeyId, LOCAL_ADMIN_ACCESS_KEY_ID, type GateDecision } from '#infra/local/iam/gate.ts';
import type { FunctionPolicy } from '#infra/local/iam/template-policies.ts';
import { localS3Client, objectCreatedEntry } from '#infra/local/s3.ts';
import { domainEvent, EVENT_SOURCE, type DomainEvent } from '#shared/kernel/events.ts';
import { makeTeam } from '#test/helpers/fakes.ts';
import { newId } from '#shared/kernel/ids.ts';
import { reminderScheduleName } from '#shared/kernel/reminder-scheduler.ts';
import { migrationKey } from '#shared/platform/migrations/dynamodb.ts';
import { configuredActions, type Automation } from '#shared/automations/domain.ts';
import { dayOf } from '#shared/outcomes/domain.ts';
import { outcomeBuckets } from '#shared/outcomes/dynamodb.ts';
import { tagKey } from '#shared/kernel/tags.ts';
import { tagNameKey } from '#shared/sell-facade/dynamodb.ts';
import { CursorCodec } from '#shared/platform/dynamodb/cursor.ts';
import { Table } from '#shared/platform/dynamodb/table.ts';
import { OUTBOX_KIND, tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import { capturingOutput, rejection } from '#test/helpers/captured-output.ts';
import { DynamoNotificationStore, notificationPartition } from '#shared/notifications/dynamodb.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { EMAIL_SENT_EVENT } from '#shared/emails/domain.ts';
import { receiptKey } from '#shared/emails/dynamodb.ts';
import { useTestCloud } from '#test/helpers/local-cloud.ts';
import { liveConnectionsPartition } from '#shared/live/dynamodb.ts';
import { groupIdOf } from '#shared/notifications/domain.ts';
import { openLive, type LiveClient } from '#test/live/live-client.ts';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import MailComposer from 'nodemailer/lib/mail-composer';
import { newRsvpToken, rsvpTokenHash } from '#shared/invitations/domain.ts';
import { rsvpTokenKey } from '#shared/invitations/dynamodb.ts';
import { appointmentUid } from '#shared/appointments/domain.ts';
import { invitationIcs } from '#shared/invitations/itip.ts';
import { mailboxKey } from '#shared/mailboxes/dynamodb.ts';
import { SecretDerivedSealer } from '#shared/mailboxes/sealer.ts';
import { LOCAL_CONNECT_INSTANCE_ID } from '#infra/local/connect.ts';
import { describedContact, disconnectedEvent, withLocalConnect } from '#test/calls/connect-samples.ts';
import { sellAccount, startSellStandIn } from '#test/sell-import/sell-stand-in.ts';

// Least privilege on the local cloud: each function signs with its own key, every local AWS
// endpoint is an IAM gate holding the function's synthesized policy. A call outside the policy
// is refused with AWS's AccessDenied; and every grant of every function is needed: dropping any
// one statement from a policy (in memory, the gates read it per request) makes that function's
// sample fail with AccessDenied, unless the statement is listed below as not exercised locally.

const decisions: GateDecision[] = [];
const delivered: BusEvent[] = [];
// One automation, so that a rule targets the automated-actions function (its on-failure queue).
const IAM_AUTOMATION = {
  name: 'iam-poison',
  trigger: { event: 'deal.created' },
  filters: [{ field: 'name', op: 'equals', value: 'Iam automation' }],
  actions: [{ type: 'create_task', content: 'Never made', assignee: 'owner', due_in: '1d' }],
};
// Sell's API as the loopback stand-in (test/sell-import/sell-stand-in.ts): the Sell imports
// POST /sell_imports starts read it (config sell_import.base_url, stored on each job).
const SELL_TOKEN = 'i'.repeat(64);
const sellStandIn = await startSellStandIn(
  sellAccount(2, { known: ['iam-ada@sell.test', 'iam-rita@sell.test'], unknown: 'iam-gone@sell.test' }),
  SELL_TOKEN,
);
// And an Amazon Connect instance (the local stand-in's), so that its rule and grant exist.
const CONNECT_CONFIG = withLocalConnect(
  parseConfig({ ...loadConfig(), automations: [IAM_AUTOMATION], sell_import: { base_url: sellStandIn.baseUrl } }),
);
const session = useTestCloud({
  config: CONNECT_CONFIG,
  onIamDecision: (decision) => decisions.push(decision),
  // A batch the publisher fails is parked after 2 attempts, not 11 with back-off (15 s).
  streamRetries: { maxAttempts: 2, retryDelayMs: 20 },
  extraRules: [
    {
      name: 'test-iam-probe',
      pattern: { source: [EVENT_SOURCE], 'detail-type': ['team.created'] },
      target: async (e) => void delivered.push(e),
    },
    {
      name: 'test-iam-sell-import',
      pattern: { source: [EVENT_SOURCE], 'detail-type': ['sell_import.finished'] },
      target: async (e) => void delivered.push(e),
    },
  ],
});

let cfn: { url: string; server: Server; answers: Record<string, unknown>[] };
let admin: DynamoDBDocumentClient;

beforeAll(async () => {
  cfn = await responseUrlServer();
  admin = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: session.cloud.dynamoEndpoint,
      region: session.cloud.sqs.region,
      credentials: { accessKeyId: LOCAL_ADMIN_ACCESS_KEY_ID, secretAccessKey: 'local' },
    }),
  );
  // Records the consumers' samples are about.
  const contact = await session.api('POST', '/contacts', { token: session.as('admin'), body: { last_name: 'Iam' } });
  expect(contact.status).toBe(201);
  const deal = await session.api('POST', '/deals', {
    token: session.as('admin'),
    body: { name: 'Iam deal', contact_id: contact.body.id },
  });
  expect(deal.status).toBe(201);
});

afterAll(async () => {
  admin?.destroy();
  await new Promise((resolve) => cfn?.server.close(resolve));
  await sellStandIn.close();
});

/** A client of a gated service signed as function `name` (or with any key). */
function dynamoAs(accessKeyId: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: session.cloud.iam.endpoints.dynamodb,
      region: session.cloud.sqs.region,
      credentials: { accessKeyId, secretAccessKey: 'local' },
      maxAttempts: 1,
    }),
  );
}

describe('a function calls AWS with its own policy', () => {
  it('platform: its routes answer; a table read signed as platform is refused with AccessDenied', async () => {
    await SAMPLES.platform!();
    const platform = dynamoAs(functionAccessKeyId('platform'));
    const error = await rejection(
      platform.send(new GetCommand({ TableName: session.cloud.names.tableName, Key: { pk: 'x', sk: 'y' } })),
    );
    platform.destroy();
    expect(error?.name).toBe('AccessDeniedException');
    expect(error?.message).toMatch(
      /^User: arn:aws:sts::\d{12}:assumed-role\/[^/]+\/crm-\w+-platform is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:[\w-]+:\d{12}:table\/crm-\w+ because no identity-based policy allows the dynamodb:GetItem action$/,
    );
  });

  it('search: its route answers and a read signed as search passes; a write is refused with AccessDenied', async () => {
    await SAMPLES.search!();
    const search = dynamoAs(functionAccessKeyId('search'));
    const TableName = session.cloud.names.tableName;
    await expect(search.send(new GetCommand({ TableName, Key: { pk: 'x', sk: 'y' } }))).resolves.toBeDefined();
    const error = await rejection(search.send(new PutCommand({ TableName, Item: { pk: 'iam', sk: 'probe' } })));
    search.destroy();
    expect(error?.name).toBe('AccessDeniedException');
    expect(error?.message).toContain('dynamodb:PutItem');
  });

  it('the cloud itself signs with the admin key, which passes unchecked; a key that names no function is refused', async () => {
    const own = dynamoAs(LOCAL_ADMIN_ACCESS_KEY_ID);
    await own.send(new PutCommand({ TableName: session.cloud.names.tableName, Item: { pk: 'iam', sk: 'admin' } }));
    own.destroy();
    const stranger = dynamoAs('localStranger');
    const error = await rejection(
      stranger.send(new GetCommand({ TableName: session.cloud.names.tableName, Key: { pk: 'x', sk: 'y' } })),
    );
    stranger.destroy();
    expect(error?.name).toBe('UnrecognizedClientException');
  });
});

// ---- Samples: one real use of each function, through its own event source ------------------

/** An API call as the admin that must answer 2xx. */
const http = (path: string) => async () => {
  const answer = await session.api('GET', path, { token: session.as('admin') });
  if (answer.status >= 300) throw new Error(`GET ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
};

async function outboxEvent(type: string): Promise<DomainEvent> {
  // The publisher's poison items (below) hold no domain event; the Sell import's sample writes
  // events marked as an import's, which automated actions skip: not a sample's event.
  const found = (await outboxEvents())
    .filter((e) => e.metadata?.event_type === type && e.metadata.origin?.type !== 'import')
    .at(-1);
  if (!found) throw new Error(`no ${type} event in the outbox`);
  return found;
}

async function outboxEvents(): Promise<DomainEvent[]> {
  const events: DomainEvent[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await admin.send(new ScanCommand({ TableName: session.cloud.names.tableName, ExclusiveStartKey: start }));
    for (const item of out.Items ?? []) {
      if (item[tableSpec.kindAttribute] === OUTBOX_KIND) events.push(JSON.parse(String(item.event)) as DomainEvent);
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return events;
}

const inDays = (days: number) => new Date(Date.now() + days * 24 * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A new task of the admin's, due in two days with a reminder an hour before. */
async function reminderTask(): Promise<{ id: string; remind_at: string }> {
  const task = await session.api('POST', '/tasks', {
    token: session.as('admin'),
    body: { content: `IAM reminder ${newId()}`, due_date: inDays(2), reminder: '1h' },
  });
  if (task.status !== 201) throw new Error(`POST /tasks: ${task.status} ${JSON.stringify(task.body)}`);
  return task.body as { id: string; remind_at: string };
}

/** The reminders' backfill runs again at the next migrations run, and finds a task to schedule. */
async function rerunReminderBackfill(): Promise<void> {
  await reminderTask();
  await admin.send(new DeleteCommand({ TableName: session.cloud.names.tableName, Key: migrationKey('2026-12-task-reminders') }));
}

/** EventBridge's envelope around the event under a new event_id (consumers skip one they handled). */
const envelope = (event: DomainEvent): EventBridgeEvent<string, DomainEvent> => ({
  version: '0',
  id: newId(),
  'detail-type': event.metadata.event_type,
  source: EVENT_SOURCE,
  account: '000000000000',
  time: event.metadata.occurred_at,
  region: session.cloud.sqs.region,
  resources: [],
  detail: { ...event, metadata: { ...event.metadata, event_id: newId() } },
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const invoke = <R = unknown>(name: string, event: unknown) => session.cloud.functions.get(name).invoke<R>(event);

async function until<T>(what: string, check: () => T | undefined, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * How long a sample waits for an effect through the bus or a queue (a parked event, an event
 * reaching the bus): 4 s sufficed alone, not beside another test file on a 2-core runner.
 */
const EFFECT_WAIT_MS = 12_000;

/**
 * A malformed event for a bus consumer fails every attempt, and the bus, as Lambda's async
 * invocation would, parks it in the consumer's on-failure queue with the consumer's role.
 */
async function parksPoison(
  name: string,
  detailType: string,
  /** The rest of the event (an S3 event for the upload check); the poison id is added to its detail. */
  entry: { Source: string; Detail: Record<string, unknown> } = { Source: EVENT_SOURCE, Detail: {} },
): Promise<void> {
  const queue = session.cloud.names.asyncOnFailureQueues[session.cloud.functions.get(name).functionName];
  const poison = newId();
  session.cloud.bus.put([{ Source: entry.Source, DetailType: detailType, Detail: JSON.stringify({ ...entry.Detail, poison }) }]);
  await until(
    `the malformed event parked in ${queue}`,
    () =>
      session.cloud.bus.deadLetters.find((l) => l.queue === queue && (l.event.detail as { poison?: string }).poison === poison),
    EFFECT_WAIT_MS,
  );
}

/**
 * An outbox item that holds no domain event fails the publisher at every attempt, and the
 * stream mapping parks a pointer to it in its on-failure queue with the publisher's role.
 */
async function parksPoisonRecord(): Promise<void> {
  const sqs = session.cloud.sqs;
  const QueueUrl = await sqs.queueUrl(session.cloud.names.streamOnFailureQueue);
  const depth = async () => {
    const out = await sqs.client.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(out.Attributes?.ApproximateNumberOfMessages);
  };
  const before = await depth();
  const id = newId();
  await admin.send(
    new PutCommand({
      TableName: session.cloud.names.tableName,
      Item: { pk: `poison#${id}`, sk: 'outbox', [tableSpec.kindAttribute]: OUTBOX_KIND, event: JSON.stringify({ poison: id }) },
    }),
  );
  const deadline = Date.now() + EFFECT_WAIT_MS;
  while ((await depth()) <= before) {
    if (Date.now() > deadline)
      throw new Error(`the poison record was not parked in the on-failure queue within ${EFFECT_WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The admin's notification rule the notifications samples make (on deals created). */
const PROBE_RULE = { name: 'IAM probe', resource: 'deal', triggers: ['created'], channels: ['web'] };
/** The rule kept for the consumer's sample (made once). */
let keptRule: string | undefined;
/** The admin's live socket, opened with a ticket from the HTTP API (the WebSocket API's functions run). */
async function adminLive(): Promise<LiveClient> {
  const ticket = await session.api('POST', '/notifications/live_ticket', { token: session.as('admin') });
  if (ticket.status !== 200) throw new Error(`POST /notifications/live_ticket: ${ticket.status} ${JSON.stringify(ticket.body)}`);
  return openLive(session.cloud.webSocketUrl, (ticket.body as { ticket: string }).ticket);
}

/** Runs `body` with the admin's live socket open, and closes it after. */
async function withAdminLive(body: (live: LiveClient) => Promise<void>): Promise<void> {
  const live = await adminLive();
  try {
    await body(live);
  } finally {
    await live.close();
  }
}

/** The admin's connection ids in the table. */
async function adminConnections(): Promise<string[]> {
  const out = await admin.send(
    new QueryCommand({
      TableName: session.cloud.names.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': liveConnectionsPartition(session.id('admin')) },
    }),
  );
  return (out.Items ?? []).map((item) => String(item.connection_id));
}

/** A pending document on a fresh contact of the admin's, with its presigned upload. */
async function pendingDocument(bytes: Buffer): Promise<{ contactId: string; document: { id: string }; upload: { url: string } }> {
  const token = session.as('admin');
  const contact = await session.api('POST', '/contacts', { token, body: { last_name: `IAM ${newId()}` } });
  if (contact.status !== 201) throw new Error(`POST /contacts: ${contact.status} ${JSON.stringify(contact.body)}`);
  const body = {
    resource_type: 'contact',
    resource_id: (contact.body as { id: string }).id,
    filename: 'iam.txt',
    content_type: 'text/plain',
    size: bytes.length,
  };
  const created = await session.api('POST', '/documents', { token, body });
  if (created.status !== 201) throw new Error(`POST /documents: ${created.status} ${JSON.stringify(created.body)}`);
  return { contactId: body.resource_id, ...(created.body as { document: { id: string }; upload: { url: string } }) };
}

async function documentStatus(id: string): Promise<{ status: string; download: { url: string } | null }> {
  const res = await session.api('GET', `/documents/${id}`, { token: session.as('admin') });
  if (res.status !== 200) throw new Error(`GET /documents/${id}: ${res.status} ${JSON.stringify(res.body)}`);
  const body = res.body as { document: { status: string }; download: { url: string } | null };
  return { status: body.document.status, download: body.download };
}

/** A message the admin sends to an address no record has (POST /emails); its id. */
async function sentByAdmin(): Promise<string> {
  const sent = await session.api('POST', '/emails', {
    token: session.as('admin'),
    body: { to: [`iam-${newId().toLowerCase()}@exemple.example`], subject: 'Iam', text: 'Iam' },
  });
  if (sent.status !== 201) throw new Error(`POST /emails: ${sent.status} ${JSON.stringify(sent.body)}`);
  return (sent.body as { id: string }).id;
}

/** An external calendar of the admin's (made once). */
let probeCalendar: string | undefined;
async function externalCalendar(): Promise<string> {
  if (probeCalendar) return probeCalendar;
  const made = await session.api('POST', '/external_calendars', {
    token: session.as('admin'),
    body: { name: 'IAM probe', url: 'https://calendar.example.invalid/iam.ics' },
  });
  if (made.status !== 201) throw new Error(`POST /external_calendars: ${made.status} ${JSON.stringify(made.body)}`);
  probeCalendar = (made.body as { id: string }).id;
  return probeCalendar;
}

/** An import of two leads (one without a name) by the admin, uploaded, dry-run and started. */
async function startedImport(): Promise<{ id: string }> {
  const token = session.as('admin');
  const csv = Buffer.from(`Last Name,Email\r\nIAM ${newId()},iam${newId()}@example.com\r\n,nameless@example.com\r\n`);
  const created = await session.api('POST', '/imports', {
    token,
    body: { resource: 'leads', filename: 'iam.csv', size: csv.length },
  });
  if (created.status !== 201) throw new Error(`POST /imports: ${created.status} ${JSON.stringify(created.body)}`);
  const { import: job, upload } = created.body as { import: { id: string }; upload: { url: string } };
  const put = await fetch(upload.url, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: csv });
  if (put.status !== 200) throw new Error(`PUT to the upload URL: ${put.status} ${await put.text()}`);
  const dry = await session.api('POST', `/imports/${job.id}/dry_run`, { token, body: {} });
  if (dry.status !== 200) throw new Error(`POST /imports/{id}/dry_run: ${dry.status} ${JSON.stringify(dry.body)}`);
  const started = await session.api('POST', `/imports/${job.id}/start`, { token, body: {} });
  if (started.status !== 202) throw new Error(`POST /imports/{id}/start: ${started.status} ${JSON.stringify(started.body)}`);
  return job;
}

/** A lead of a fresh tag, then a bulk operation tagging it by that filter, once finished. */
async function finishedBulkOperation(): Promise<{ status: string; ok: number; failed: number }> {
  const token = session.as('admin');
  const mark = `iam${newId().toLowerCase()}`;
  const lead = await session.api('POST', '/leads', { token, body: { last_name: `IAM ${mark}`, tags: [mark] } });
  if (lead.status !== 201) throw new Error(`POST /leads: ${lead.status} ${JSON.stringify(lead.body)}`);
  const created = await session.api('POST', '/bulk_operations', {
    token,
    body: { resource: 'leads', action: 'add_tag', tag: 'bulk', filter: { tags: mark } },
  });
  if (created.status !== 202) throw new Error(`POST /bulk_operations: ${created.status} ${JSON.stringify(created.body)}`);
  const id = (created.body as { id: string }).id;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await session.api('GET', `/bulk_operations/${id}`, { token });
    if (res.status !== 200) throw new Error(`GET /bulk_operations/{id}: ${res.status} ${JSON.stringify(res.body)}`);
    const op = (res.body as { operation: { status: string; ok: number; failed: number } }).operation;
    if (op.status === 'finished') return op;
    if (Date.now() > deadline) throw new Error(`the bulk operation is ${JSON.stringify(op)} after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function finishedImport(id: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await session.api('GET', `/imports/${id}`, { token: session.as('admin') });
    if (res.status !== 200) throw new Error(`GET /imports/{id}: ${res.status} ${JSON.stringify(res.body)}`);
    const view = res.body as {
      import: { status: string; created: number; failed: number };
      errors_download: { url: string } | null;
    };
    if (view.import.status === 'finished') return view;
    if (Date.now() > deadline) throw new Error(`the import is ${JSON.stringify(view.import)} after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A Sell import started as the admin (the token sealed with the cursor key, the first slice
 * sent to the Sell import queue), then cancelled; answers its id.
 */
async function cancelledSellImport(): Promise<string> {
  const token = session.as('admin');
  const started = await session.api('POST', '/sell_imports', { token, body: { token: `iam-${newId()}-${'0'.repeat(32)}` } });
  if (started.status !== 202) throw new Error(`POST /sell_imports: ${started.status} ${JSON.stringify(started.body)}`);
  const cancelled = await session.api('DELETE', `/sell_imports/${started.body.id}`, { token });
  if (cancelled.status !== 200)
    throw new Error(`DELETE /sell_imports/{id}: ${cancelled.status} ${JSON.stringify(cancelled.body)}`);
  return started.body.id as string;
}

/**
 * A Sell import of the stand-in's account started as the admin and waited on until finished
 * (its report read). The worker's first slice waits out one 429 (Retry-After 31 s, past the
 * slice's 30 s), imports a page and queues the next slice, which imports the rest. A refusal of
 * one of the worker's calls fails its slice, whose message comes back only after the queue's
 * visibility timeout (6 minutes): the import is then cancelled and the sample fails at once.
 */
async function finishedSellImport(): Promise<void> {
  const token = session.as('admin');
  const before = decisions.length;
  const throttled = sellStandIn.throttled;
  sellStandIn.throttle(1, 31);
  const started = await session.api('POST', '/sell_imports', { token, body: { token: SELL_TOKEN } });
  if (started.status !== 202) throw new Error(`POST /sell_imports: ${started.status} ${JSON.stringify(started.body)}`);
  const id = started.body.id as string;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const res = await session.api('GET', `/sell_imports/${id}`, { token });
    if (res.status !== 200) throw new Error(`GET /sell_imports/{id}: ${res.status} ${JSON.stringify(res.body)}`);
    const view = res.body as { status: string; pages: number; report: Record<string, { imported: number; unchanged: number }> };
    if (view.status === 'finished') {
      const written = Object.values(view.report).reduce((n, r) => n + r.imported + r.unchanged, 0);
      if (sellStandIn.throttled === throttled || view.pages < 2 || written === 0) {
        throw new Error(`the import finished in one slice or wrote nothing: ${JSON.stringify(view)}`);
      }
      // The import's events delivered before the next sample (whose own deliveries are timed).
      await until(
        'sell_import.finished on the bus',
        () => delivered.find((e) => (e.detail as DomainEvent).metadata.resource_id === id),
        60_000,
      );
      await session.cloud.bus.idle();
      return;
    }
    const refused = decisions.slice(before).find((d) => d.function === 'sell-import-worker' && d.denied);
    if (refused || (view.status !== 'queued' && view.status !== 'running') || Date.now() > deadline) {
      await session.api('DELETE', `/sell_imports/${id}`, { token });
      throw new Error(
        refused ? `the worker was refused ${refused.denied!.access.action}` : `the Sell import is ${JSON.stringify(view)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** An export of the admin's contacts, asked for and waited on until done. */
async function finishedExport() {
  const token = session.as('admin');
  const created = await session.api('POST', '/exports', { token, body: { resource: 'contacts', filters: { sort_by: 'name' } } });
  if (created.status !== 202) throw new Error(`POST /exports: ${created.status} ${JSON.stringify(created.body)}`);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await session.api('GET', `/exports/${created.body.id}`, { token });
    if (res.status !== 200) throw new Error(`GET /exports/{id}: ${res.status} ${JSON.stringify(res.body)}`);
    const view = res.body as { export: { status: string; rows: number }; download: { url: string } | null };
    if (view.export.status === 'done') return view;
    if (view.export.status === 'failed' || Date.now() > deadline) throw new Error(`the export is ${JSON.stringify(view.export)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The team the automated action's sample filters on (made once, the admin in it). */
let probeTeam: string | undefined;

/** Per function: its sample, which throws unless the function did its work. */
/** A new appointment of the admin's with an outside attendee (its invitation goes out meanwhile). */
async function invitedAppointment(): Promise<{ id: string; address: string; sequence: number }> {
  const address = `iam-${newId().toLowerCase()}@outside.example`;
  const made = await session.api('POST', '/appointments', {
    token: session.as('admin'),
    body: { name: 'IAM invitation', start_at: inDays(4), end_at: inDays(5), attendees: [{ type: 'email', email: address }] },
  });
  if (made.status !== 201) throw new Error(`POST /appointments: ${made.status} ${JSON.stringify(made.body)}`);
  return { ...(made.body as { id: string; sequence: number }), address };
}

const SAMPLES: Record<string, () => Promise<void>> = {
  platform: async () => {
    await http('/health')();
    await http('/openapi.json')();
  },
  identity: http('/users'),
  // A personal access token (made and revoked through identity) authorizes a call: the hash
  // item's GetItem and the last-use UpdateItem.
  // Sell's /v2: a lead made, read, listed and deleted through the native routes it runs in-process
  // (the sequence's UpdateItem, the Sell id items, their GetItem and BatchGetItem).
  'sell-facade': async () => {
    const token = session.as('admin');
    const made = await session.api('POST', '/v2/leads', { token, body: { data: { last_name: 'Iam' } } });
    if (made.status !== 200) throw new Error(`POST /v2/leads: ${made.status} ${JSON.stringify(made.body)}`);
    const id = (made.body as { data: { id: number } }).data.id;
    for (const path of [`/v2/leads/${id}`, '/v2/leads?per_page=2', '/v2/users/self', '/v2/accounts/self']) {
      const read = await session.api('GET', path, { token });
      if (read.status !== 200) throw new Error(`GET ${path}: ${read.status} ${JSON.stringify(read.body)}`);
    }
    const gone = await session.api('DELETE', `/v2/leads/${id}`, { token });
    if (gone.status !== 204) throw new Error(`DELETE /v2/leads: ${gone.status} ${JSON.stringify(gone.body)}`);
  },
  'api-authorizer': async () => {
    const made = await session.api('POST', '/access_tokens', { token: session.as('rep1'), body: { name: 'iam' } });
    if (made.status !== 201) throw new Error(`POST /access_tokens: ${made.status} ${JSON.stringify(made.body)}`);
    const { id, token } = made.body as { id: string; token: string };
    const self = await session.api('GET', '/users/self', { token });
    if (self.status !== 200) throw new Error(`GET /users/self with a token: ${self.status} ${JSON.stringify(self.body)}`);
    const listed = await session.api('GET', '/access_tokens', { token: session.as('rep1') });
    const used = (listed.body as { items: { id: string; last_used_at: string | null }[] }).items.find((t) => t.id === id);
    if (!used?.last_used_at) throw new Error("the token's last use was not recorded");
    await session.api('DELETE', `/access_tokens/${id}`, { token: session.as('rep1') });
  },
  pipelines: http('/pipelines'),
  contacts: http('/contacts'),
  'custom-fields': http('/custom_fields/contacts'),
  deals: http('/deals'),
  leads: http('/leads'),
  notes: http('/notes'),
  calls: http('/calls'),
  // A signed status callback: the auth token read from its secret, the number looked up in the
  // phone index, the (unmatched) call written with its event.
  'voice-webhook': async () => {
    const params = { CallSid: `CA${newId()}`, CallStatus: 'completed', From: '+15005550006', To: '+18005551212' };
    const res = await session.api('POST', '/webhooks/twilio', {
      rawBody: new URLSearchParams(params).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(LOCAL_VOICE_AUTH_TOKEN, `${session.cloud.url}/webhooks/twilio`, params),
      },
    });
    if (res.status !== 200) throw new Error(`POST /webhooks/twilio: ${res.status} ${JSON.stringify(res.body)}`);
  },
  // The presigned PUT and GET carry the documents function's key: S3 (its gate) authorizes
  // them against that function's policy; DELETE removes the object itself.
  documents: async () => {
    const bytes = Buffer.from(`IAM ${newId()}`);
    const created = await pendingDocument(bytes);
    const put = await fetch(created.upload.url, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: bytes });
    if (put.status !== 200) throw new Error(`PUT to the upload URL: ${put.status} ${await put.text()}`);
    let view = await documentStatus(created.document.id);
    for (const deadline = Date.now() + 8_000; view.status === 'pending' && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      view = await documentStatus(created.document.id);
    }
    if (view.status !== 'available' || !view.download) throw new Error(`the document is ${JSON.stringify(view)}`);
    const get = await fetch(view.download.url);
    const text = await get.text();
    if (get.status !== 200 || text !== bytes.toString()) throw new Error(`GET the download URL: ${get.status} ${text}`);
    // A full page signs its next cursor (the cursor key).
    await http(`/contacts/${created.contactId}/documents?limit=1`)();
    const deleted = await session.api('DELETE', `/documents/${created.document.id}`, { token: session.as('admin') });
    if (deleted.status !== 204) throw new Error(`DELETE /documents: ${deleted.status} ${JSON.stringify(deleted.body)}`);
  },
  // The presigned PUT of a CSV file and the dry run's read carry the imports function's key;
  // the start sends the plan to the import queue; the finished import's error file is read
  // through a presigned GET.
  imports: async () => {
    const job = await startedImport();
    const view = await finishedImport(job.id);
    const errors = await fetch(view.errors_download!.url);
    const text = await errors.text();
    if (errors.status !== 200 || !text.includes('error_reason')) throw new Error(`GET the error file: ${errors.status} ${text}`);
    // The Sell import's routes: the token sealed (cursor key), the job written, its slice queued.
    await cancelledSellImport();
  },
  // The plan and batch messages the start queued: the worker reads the file, sends the batches
  // to its own queue, writes the lead (the leads use case) and the error file, and finishes.
  'import-worker': async () => {
    const job = await startedImport();
    const view = await finishedImport(job.id);
    if (view.import.created !== 1 || view.import.failed !== 1) throw new Error(`the import ended ${JSON.stringify(view.import)}`);
  },
  // A lead created, then a bulk operation tagging it by filter: the HTTP function reads the
  // list's first page and queues the plan; the worker pages the list, queues the batch to its
  // own queue, updates the lead (the leads use case) and finishes the operation.
  'bulk-operations': async () => {
    await finishedBulkOperation();
  },
  'bulk-worker': async () => {
    const op = await finishedBulkOperation();
    if (op.ok < 1 || op.failed !== 0) throw new Error(`the bulk operation ended ${JSON.stringify(op)}`);
  },
  // POST /exports reads a page of the list as the caller (the cursor key) and sends the first
  // slice to the export queue; the file is read through the presigned GET GET /exports/{id} signs.
  exports: async () => {
    const view = await finishedExport();
    const file = await fetch(view.download!.url);
    const bytes = Buffer.from(await file.arrayBuffer());
    if (file.status !== 200 || bytes.subarray(0, 3).toString('hex') !== 'efbbbf') {
      throw new Error(`GET the export's download URL: ${file.status} ${bytes.toString()}`);
    }
  },
  // The slice the POST queued: the worker lists as the requester, writes the part and the
  // joined file under exports/, deletes the part, and writes export.finished.
  'export-worker': async () => {
    const view = await finishedExport();
    if (view.export.rows < 1) throw new Error(`the export ended ${JSON.stringify(view.export)}`);
  },
  // Amazon Connect's contact event of the configured instance: DescribeContact at the Connect
  // stand-in (through its gate: connect:DescribeContact on the instance's contacts), the phone
  // index, the (unmatched) call with its event; a malformed event is parked with its role.
  'connect-calls': async () => {
    const instanceArn = CONNECT_CONFIG.connect!.instance_arn;
    await parksPoison('connect-calls', 'Amazon Connect Contact Event', {
      Source: 'aws.connect',
      Detail: { eventType: 'DISCONNECTED', instanceArn },
    });
    const contactId = newId();
    session.cloud.connect.seed(
      LOCAL_CONNECT_INSTANCE_ID,
      contactId,
      describedContact({ instanceArn, contactId, customerNumber: '+15005550006' }),
    );
    const outcome = await invoke<string>('connect-calls', disconnectedEvent(instanceArn, contactId));
    if (outcome !== 'logged') throw new Error(`the contact event was ${JSON.stringify(outcome)}`);
  },
  // An admin's Sell import from the loopback stand-in, through the Sell import queue: each slice
  // opens the sealed token (the credentials key), reads Sell's pages, writes records through the
  // families' use cases (the cursor key pages users and lists) and its checkpoints; the first
  // queues the next slice (SendMessage), the last writes sell_import.finished.
  'sell-import-worker': async () => {
    await finishedSellImport();
  },
  // S3's Object Created for an upload put straight into the emulator (no event of its own):
  // the check reads and moves it as itself.
  'document-check': async () => {
    // A key that does not decode fails every attempt: parked with the function's role.
    const bucket = { name: session.cloud.names.filesBucketName };
    await parksPoison('document-check', 'Object Created', {
      Source: 'aws.s3',
      Detail: { bucket, object: { key: `uploads/%ZZ${newId()}` } },
    });
    const bytes = Buffer.from(`IAM ${newId()}`);
    const created = await pendingDocument(bytes);
    const key = `uploads/${created.document.id}`;
    const s3 = localS3Client(session.cloud.iam.upstreams.s3!, session.cloud.sqs.region);
    try {
      await s3.send(
        new PutObjectCommand({ Bucket: session.cloud.names.filesBucketName, Key: key, Body: bytes, ContentType: 'text/plain' }),
      );
    } finally {
      s3.destroy();
    }
    const event = {
      version: '0',
      id: newId(),
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account: '000000000000',
      time: new Date().toISOString(),
      region: session.cloud.sqs.region,
      resources: [],
      detail: JSON.parse(
        objectCreatedEntry({
          bucket: session.cloud.names.filesBucketName,
          key,
          size: bytes.length,
          etag: 'x',
          reason: 'PutObject',
        }).Detail!,
      ),
    };
    const outcome = await invoke<string>('document-check', event);
    if (outcome !== 'available') throw new Error(`the upload check answered ${JSON.stringify(outcome)}`);
  },
  // Admins' CRUD, then the public embed (the cursor secret signs its token) and submission
  // (creates a lead, counts it); a manager is refused after their reports are read.
  'capture-forms': async () => {
    const token = session.as('admin');
    const form = await session.api('POST', '/capture_forms', {
      token,
      body: {
        name: `IAM form ${newId()}`,
        fields: [{ name: 'name', label: 'Name', type: 'text', required: true, maps_to: { lead_field: 'last_name' } }],
        owner: { type: 'user', user_id: session.id('admin') },
        thank_you: { type: 'message', message: 'Thanks' },
        min_fill_seconds: 0,
      },
    });
    if (form.status !== 201) throw new Error(`POST /capture_forms: ${form.status} ${JSON.stringify(form.body)}`);
    const id = (form.body as { id: string }).id;
    const embed = await session.api('GET', `/forms/${id}/embed`);
    if (embed.status !== 200) throw new Error(`GET /forms/${id}/embed: ${embed.status} ${JSON.stringify(embed.body)}`);
    const sent = await session.api('POST', `/forms/${id}/submissions`, {
      body: { form_token: (embed.body as { form_token: string }).form_token, values: { name: `IAM ${newId()}` } },
    });
    if (sent.status !== 201) throw new Error(`POST /forms/${id}/submissions: ${sent.status} ${JSON.stringify(sent.body)}`);
    await http(`/capture_forms/${id}`)();
    await http('/capture_forms?limit=1')();
    const refused = await session.api('GET', '/capture_forms', { token: session.as('manager') });
    if (refused.status !== 403)
      throw new Error(`GET /capture_forms as a manager: ${refused.status} ${JSON.stringify(refused.body)}`);
  },
  tasks: http('/tasks'),
  appointments: http('/appointments'),
  // The caller's feed made (its token's lookup item in a transaction) and read on its public
  // route; an external calendar added; the merged calendar read.
  calendar: async () => {
    const made = await session.api('POST', '/calendar_feed', { token: session.as('admin') });
    if (made.status !== 201) throw new Error(`POST /calendar_feed: ${made.status} ${JSON.stringify(made.body)}`);
    const feed = await session.api('GET', new URL((made.body as { url: string }).url).pathname);
    if (feed.status !== 200) throw new Error(`GET the feed: ${feed.status} ${JSON.stringify(feed.body)}`);
    await externalCalendar();
    await http('/calendar?from=2031-01-01T00:00:00Z&to=2031-01-31T00:00:00Z')();
  },
  // The public RSVP routes: a token (put as the mail-sender would) read, then answered.
  invitations: async () => {
    const appointment = await invitedAppointment();
    const token = newRsvpToken();
    await admin.send(
      new PutCommand({
        TableName: session.cloud.names.tableName,
        Item: {
          ...rsvpTokenKey(rsvpTokenHash(token)),
          appointment_id: appointment.id,
          attendee_key: `email#${appointment.address}`,
          sequence: 0,
        },
      }),
    );
    const read = await session.api('GET', `/rsvp/${token}`);
    if (read.status !== 200) throw new Error(`GET /rsvp: ${read.status} ${JSON.stringify(read.body)}`);
    const answered = await session.api('POST', `/rsvp/${token}`, { body: { response: 'accepted' } });
    if (answered.status !== 200) throw new Error(`POST /rsvp: ${answered.status} ${JSON.stringify(answered.body)}`);
  },
  // An appointment.created event: the attendee's address and the owner's name read, the mail planned.
  'appointment-invitations': async () => {
    await parksPoison('appointment-invitations', 'appointment.created');
    const appointment = await invitedAppointment();
    const event = (await outboxEvents()).find(
      (e) => e.metadata?.event_type === 'appointment.created' && e.metadata.resource_id === appointment.id,
    );
    if (!event) throw new Error(`no appointment.created for ${appointment.id}`);
    await invoke('appointment-invitations', envelope(event));
  },
  // A calendar REPLY stored under inbound/ (as SES's receipt rule would, with no event of its
  // own): read as itself, the appointment read and the answer recorded. Then an ordinary mail
  // to the admin's forwarding address: threaded (the message indexes), matched (the search
  // index) and logged with its events.
  'inbound-mail': async () => {
    const bucket = { name: session.cloud.names.filesBucketName };
    await parksPoison('inbound-mail', 'Object Created', {
      Source: 'aws.s3',
      Detail: { bucket, object: { key: `inbound/%ZZ${newId()}` } },
    });
    const appointment = await invitedAppointment();
    const start = new Date(Date.now() + 86_400_000).toISOString();
    const reply = invitationIcs({
      method: 'REQUEST',
      uid: appointmentUid(appointment.id),
      sequence: 0,
      stamp: new Date(),
      summary: 'IAM invitation',
      description: null,
      location: null,
      start,
      end: start,
      allDay: false,
      startDate: null,
      endDate: null,
      timeZone: 'UTC',
      organizer: { name: 'Admin', email: 'crm@example.com' },
      attendee: { name: null, email: appointment.address, status: 'declined' },
    }).replace('METHOD:REQUEST', 'METHOD:REPLY');
    const eml = await new Promise<Buffer>((resolve, reject) =>
      new MailComposer({
        from: appointment.address,
        to: 'crm@example.com',
        subject: 'Declined',
        text: 'No',
        icalEvent: { method: 'REPLY', content: reply },
      })
        .compile()
        .build((e, m) => (e ? reject(e) : resolve(m))),
    );
    const receive = async (raw: Buffer) => {
      const key = `inbound/${newId()}`;
      const s3 = localS3Client(session.cloud.iam.upstreams.s3!, session.cloud.sqs.region);
      try {
        await s3.send(new PutObjectCommand({ Bucket: session.cloud.names.filesBucketName, Key: key, Body: raw }));
      } finally {
        s3.destroy();
      }
      const detail = JSON.parse(
        objectCreatedEntry({ bucket: session.cloud.names.filesBucketName, key, size: raw.length, etag: 'x', reason: 'PutObject' })
          .Detail!,
      );
      return invoke<string>('inbound-mail', {
        version: '0',
        id: newId(),
        'detail-type': 'Object Created',
        source: 'aws.s3',
        account: '000000000000',
        time: new Date().toISOString(),
        region: session.cloud.sqs.region,
        resources: [],
        detail,
      });
    };
    const outcome = await receive(eml);
    if (outcome !== 'itip_reply') throw new Error(`the inbound mail answered ${JSON.stringify(outcome)}`);
    const after = await session.api('GET', `/appointments/${appointment.id}`, { token: session.as('admin') });
    const status = (after.body as { attendees: { status: string }[] }).attendees[0]?.status;
    if (status !== 'declined') throw new Error(`the REPLY was not recorded: ${status}`);

    const forwarding = await session.api('GET', '/emails/forwarding_address', { token: session.as('admin') });
    const address = (forwarding.body as { address: string }).address;
    const mail = await new Promise<Buffer>((resolve, reject) =>
      new MailComposer({
        from: `iam-${newId().toLowerCase()}@exemple.example`,
        to: address,
        subject: 'Hola',
        text: 'Hola',
        messageId: `<iam-${newId().toLowerCase()}@exemple.example>`,
        references: `<unknown-${newId().toLowerCase()}@exemple.example>`,
      })
        .compile()
        .build((e, m) => (e ? reject(e) : resolve(m))),
    );
    const logged = await receive(mail);
    if (logged !== 'logged') throw new Error(`the ordinary mail answered ${JSON.stringify(logged)}`);
  },
  search: http('/search?q=iam'),
  dashboard: async () => {
    await http('/dashboard')();
    await http('/stats/outcomes?from=2026-01-01&to=2026-12-31')();
  },
  // Reads the outbox by day through the index: a week of Queries even when nothing is new.
  events: async () => {
    await http('/events/stream')();
    // A manager is refused (admins only), after their direct reports were read: a paged list.
    const refused = await session.api('GET', '/events/stream', { token: session.as('manager') });
    if (refused.status !== 403)
      throw new Error(`GET /events/stream as a manager: ${refused.status} ${JSON.stringify(refused.body)}`);
  },
  activities: http('/activities'),
  // Reading an unread item pushes the new count to the reader's open socket (management API).
  notifications: async () => {
    await http('/notifications?unread=true')();
    await http('/notification_settings')();
    // A rule made and deleted: the rules' count and resource index, in transactions.
    const made = await session.api('POST', '/notification_rules', { token: session.as('admin'), body: PROBE_RULE });
    if (made.status !== 201) throw new Error(`POST /notification_rules: ${made.status} ${JSON.stringify(made.body)}`);
    await http('/notification_rules')();
    const id = (made.body as { id: string }).id;
    const gone = await session.api('DELETE', `/notification_rules/${id}`, { token: session.as('admin') });
    if (gone.status !== 204) throw new Error(`DELETE /notification_rules: ${gone.status} ${JSON.stringify(gone.body)}`);
    const draft = {
      recipient_id: session.id('admin'),
      kind: 'deal_assigned' as const,
      actor_id: `iam${newId()}`,
      event_id: newId(),
      occurred_at: new Date().toISOString(),
      record: { type: 'deal' as const, id: newId(), name: 'Iam' },
    };
    const store = new DynamoNotificationStore(
      new Table({ client: admin, name: session.cloud.names.tableName, cursors: new CursorCodec('x'.repeat(16)) }),
    );
    await store.deliver(draft, { web: true, email: false });
    await withAdminLive(async (live) => {
      const read = await session.api('POST', `/notifications/${groupIdOf(draft)}/read`, { token: session.as('admin') });
      if (read.status !== 200) throw new Error(`POST read: ${read.status} ${JSON.stringify(read.body)}`);
      await live.next((m) => m.type === 'unread_count', 3_000);
    });
  },
  // Sending reads the suppression list (SES) and the address book, writes the message, its
  // events and its mail request; the folder is a page (the cursor key).
  emails: async () => {
    await sentByAdmin();
    await http('/emails?folder=sent')();
    await http('/emails/forwarding_address')();
    // Connecting a mailbox seals its password with a data key of the credentials key (KMS).
    const created = await session.api('POST', '/mailboxes', {
      token: session.as('rep1'),
      body: { host: '127.0.0.1', port: 9, tls: false, username: 'sample', password: 'sample-password' },
    });
    if (created.status !== 201) throw new Error(`POST /mailboxes: ${created.status} ${JSON.stringify(created.body)}`);
    await session.api('DELETE', `/mailboxes/${(created.body as { id: string }).id}`, { token: session.as('rep1') });
  },
  // An SES open of a message the admin sent: counted once, through the table; a malformed
  // SES event is parked in the consumer's on-failure queue.
  'email-events': async () => {
    await parksPoison('email-events', 'Email Opened', { Source: 'aws.ses', Detail: {} });
    const id = await sentByAdmin();
    const event = {
      version: '0',
      id: newId(),
      'detail-type': 'Email Opened',
      source: 'aws.ses',
      account: '000000000000',
      time: new Date().toISOString(),
      region: session.cloud.sqs.region,
      resources: [],
      detail: {
        eventType: 'Open',
        mail: { messageId: 'iam', tags: { crm_message_id: [id] } },
        open: { timestamp: new Date().toISOString(), userAgent: 'Mail/1.0', ipAddress: '192.0.2.1' },
      },
    };
    await invoke('email-events', event);
    const read = await session.api('GET', `/emails/${id}`, { token: session.as('admin') });
    if ((read.body as { opened_count?: number }).opened_count !== 1)
      throw new Error(`open not counted: ${JSON.stringify(read.body)}`);
  },
  // The $connect authorizer redeems the ticket (a conditional delete).
  'live-authorizer': () => withAdminLive(async () => undefined),
  // $connect stores the connection, $default answers the ping, $disconnect deletes it.
  'live-connections': async () => {
    let opened: string[] = [];
    await withAdminLive(async (live) => {
      live.send({ action: 'ping' });
      await live.next((m) => m.type === 'pong', 3_000);
      opened = (await adminConnections()).filter((c) => session.cloud.webSocket.connections.has(c));
      if (opened.length === 0) throw new Error('$connect stored no connection');
    });
    const deadline = Date.now() + 3_000;
    while ((await adminConnections()).some((c) => opened.includes(c))) {
      if (Date.now() > deadline) throw new Error('$disconnect left its connection in the table');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  },

  automations: async () => {
    await http('/automations')();
    // A manager is refused (admins only), after their direct reports were read: a paged list.
    const refused = await session.api('GET', '/automations', { token: session.as('manager') });
    if (refused.status !== 403)
      throw new Error(`GET /automations as a manager: ${refused.status} ${JSON.stringify(refused.body)}`);
  },
  // The stream mapping reads the table's stream as the publisher, which puts the event on the bus.
  'outbox-publisher': async () => {
    const table = new Table({
      client: admin,
      name: session.cloud.names.tableName,
      cursors: new CursorCodec('x'.repeat(16)),
    });
    const id = newId();
    const event = domainEvent(
      { actor_id: 'iam', correlation_id: 'iam', now: new Date(), newId },
      // A catalogued type with a valid record: the publisher refuses anything else (shared/events).
      'team.created',
      { resource_type: 'team', resource_id: id },
      makeTeam(id),
    );
    await table.write([{ type: 'create', item: { pk: `thing#${id}`, sk: 'thing', id } }], [event]);
    await until(
      'the outbox event reaching the bus',
      () => delivered.find((e) => (e.detail as DomainEvent).metadata.event_id === event.metadata.event_id),
      EFFECT_WAIT_MS,
    );
    await parksPoisonRecord();
  },
  'user-directory-sync': async () => {
    await parksPoison('user-directory-sync', 'user.created');
    const event = envelope(await outboxEvent('user.created'));
    const email = (event.detail.data as { email: string }).email;
    const before = session.cloud.cognito.calls.length;
    await invoke('user-directory-sync', event);
    const calls = session.cloud.cognito.calls.slice(before);
    if (!calls.some((c) => c.action === 'AdminCreateUser' && c.input.Username === email)) {
      throw new Error(`Cognito got no invitation of ${email}: ${JSON.stringify(calls)}`);
    }
  },
  'contact-status': async () => {
    await parksPoison('contact-status', 'deal.created');
    await invoke('contact-status', envelope(await outboxEvent('deal.created')));
  },
  // A lead made unqualified: the owner's team read, the buckets and the marker written.
  'deal-outcomes': async () => {
    await parksPoison('deal-outcomes', 'deal.created');
    const owner = (await outboxEvent('user.created')).data as { id: string };
    const leadId = newId();
    const lead = domainEvent(
      { actor_id: 'iam', correlation_id: 'iam', now: new Date(), newId },
      'lead.created',
      { resource_type: 'lead', resource_id: leadId },
      { id: leadId, owner_id: owner.id, status: 'unqualified', version: 1 },
    );
    await invoke('deal-outcomes', envelope(lead));
    const Key = {
      pk: outcomeBuckets(`user#${owner.id}`),
      sk: `day#${dayOf(lead.metadata.occurred_at, loadConfig().account.time_zone)}`,
    };
    const bucket = await admin.send(new GetCommand({ TableName: session.cloud.names.tableName, Key }));
    if (!bucket.Item) throw new Error(`no outcome bucket ${JSON.stringify(Key)}`);
  },
  // A lead tagged natively: the name claim read, the tag, its Sell id and the marker written.
  'tag-registry': async () => {
    // The rule takes tagged records only: the malformed event carries a tag to be delivered at all.
    await parksPoison('tag-registry', 'lead.created', { Source: EVENT_SOURCE, Detail: { data: { tags: ['poison'] } } });
    const owner = (await outboxEvent('user.created')).data as { id: string };
    const leadId = newId();
    const name = `IAM ${newId()}`;
    const lead = domainEvent(
      { actor_id: owner.id, correlation_id: 'iam', now: new Date(), newId },
      'lead.created',
      { resource_type: 'lead', resource_id: leadId },
      { id: leadId, owner_id: owner.id, tags: [name], version: 1 },
    );
    await invoke('tag-registry', envelope(lead));
    const Key = tagNameKey('lead', tagKey(name));
    const claim = await admin.send(new GetCommand({ TableName: session.cloud.names.tableName, Key }));
    if (!claim.Item) throw new Error(`no tag name claim ${JSON.stringify(Key)}`);
  },
  'activity-feed': async () => {
    await parksPoison('activity-feed', 'deal.created');
    const outcome = await invoke<string>('activity-feed', envelope(await outboxEvent('deal.created')));
    if (outcome !== 'processed') throw new Error(`the feed consumer answered ${JSON.stringify(outcome)}`);
  },
  // A deal made for the admin by another user: the admin's inbox gets it, through the HTTP API,
  // and the admin's open socket is told (the management API).
  'notification-delivery': async () => {
    await parksPoison('notification-delivery', 'deal.created');
    const event = await outboxEvent('deal.created');
    // The admin's rule on deals created matches too: the rules' index, the admin's user record.
    keptRule ??= await (async () => {
      const made = await session.api('POST', '/notification_rules', { token: session.as('admin'), body: PROBE_RULE });
      if (made.status !== 201) throw new Error(`POST /notification_rules: ${made.status} ${JSON.stringify(made.body)}`);
      return (made.body as { id: string }).id;
    })();
    const actor = `iam${newId()}`;
    const fresh = { ...event, metadata: { ...event.metadata, event_id: newId(), actor_id: actor } };
    await withAdminLive(async (live) => {
      const outcome = await invoke<string>('notification-delivery', envelope(fresh));
      if (outcome !== 'processed') throw new Error(`the notifications consumer answered ${JSON.stringify(outcome)}`);
      const inbox = await session.api('GET', '/notifications', { token: session.as('admin') });
      const items = (inbox.body as { items?: { actor_id: string; rule?: { id: string } }[] }).items ?? [];
      if (!items.some((n) => n.actor_id === actor && !n.rule)) throw new Error(`no notification: ${JSON.stringify(inbox.body)}`);
      if (!items.some((n) => n.actor_id === actor && n.rule?.id === keptRule))
        throw new Error(`no rule_matched notification: ${JSON.stringify(inbox.body)}`);
      await live.next((m) => m.type === 'notification' && m.item.actor_id === actor, 3_000);
    });
  },
  // An alert for the admin, written as the notifications consumer writes it: its request goes
  // outbox → bus → mail queue, where the mail-sender's event source (its role) receives it,
  // and the mail-sender reads the quota and the suppression list, sends, and records it sent.
  'mail-sender': async () => {
    const eventId = newId();
    const adminId = session.id('admin');
    const table = crmTable();
    await new DynamoNotificationStore(table).deliver(
      {
        recipient_id: adminId,
        kind: 'lead_assigned',
        actor_id: 'iam',
        event_id: eventId,
        occurred_at: new Date().toISOString(),
        record: { type: 'lead', id: `L${eventId}`, name: 'Iam lead' },
      },
      { web: false, email: true },
    );
    const deadline = Date.now() + 15_000;
    for (;;) {
      const items = await table.partition(notificationPartition(adminId), 'email#');
      if (items.some((i) => i.event_id === eventId && i.status === 'sent')) return;
      if (Date.now() > deadline) throw new Error(`the alert of ${eventId} was not sent within 15 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  },
  // An action handed by its rule: a task for the deal's owner, through the tasks use-case.
  'automated-actions': async () => {
    const content = `IAM probe ${newId()}`;
    // A team filter: the function pages the teams to find it by name (the cursor key).
    const admin = session.id('admin');
    probeTeam ??= await (async () => {
      const name = `IAM team ${newId()}`;
      const team = await session.api('POST', '/teams', { token: session.as('admin'), body: { name } });
      if (team.status !== 201) throw new Error(`POST /teams: ${team.status} ${JSON.stringify(team.body)}`);
      const id = (team.body as { id: string }).id;
      const joined = await session.api('PATCH', `/users/${admin}`, { token: session.as('admin'), body: { team_id: id } });
      if (joined.status !== 200) throw new Error(`PATCH /users: ${joined.status} ${JSON.stringify(joined.body)}`);
      return name;
    })();
    const [action] = configuredActions([
      {
        name: 'iam-probe',
        trigger: { event: 'deal.created' },
        filters: [{ field: 'team', op: 'equals', value: probeTeam }],
        actions: [{ type: 'create_task', content, assignee: 'owner', due_in: '1d' }],
      } as Automation,
    ]);
    // A malformed event through the configured rule is parked in the function's on-failure queue.
    const queue = session.cloud.names.asyncOnFailureQueues[session.cloud.functions.get('automated-actions').functionName];
    const poison = newId();
    session.cloud.bus.put([
      { Source: EVENT_SOURCE, DetailType: 'deal.created', Detail: JSON.stringify({ poison, data: { name: 'Iam automation' } }) },
    ]);
    await until(
      `the malformed event parked in ${queue}`,
      () => session.cloud.bus.deadLetters.find((l) => l.queue === queue && JSON.stringify(l.event).includes(poison)),
      EFFECT_WAIT_MS,
    );
    const event = await outboxEvent('deal.created');
    const fresh = { ...event, metadata: { ...event.metadata, event_id: newId() } };
    await invoke('automated-actions', { action, event: fresh });
    const tasks = await session.api('GET', `/tasks?resource_type=deal&resource_id=${fresh.metadata.resource_id}&limit=100`, {
      token: session.as('admin'),
    });
    const items = (tasks.body as { items?: { content: string }[] }).items ?? [];
    if (!items.some((t) => t.content === content)) throw new Error(`the action made no task: ${JSON.stringify(tasks.body)}`);
  },
  // A continuation runs the registry's migrations; the reminders' backfill again each time
  // (its marker dropped), which schedules the probe task's reminder.
  migrate: async () => {
    await parksPoison('migrate', 'migration.continue');
    await rerunReminderBackfill();
    await invoke('migrate', envelope(await outboxEvent('deal.created')));
    const marker = await admin.send(
      new GetCommand({ TableName: session.cloud.names.tableName, Key: migrationKey('2026-12-task-reminders') }),
    );
    if (marker.Item?.status !== 'done') throw new Error(`the reminders' backfill did not finish: ${JSON.stringify(marker.Item)}`);
  },
  bootstrap: async () => {
    await rerunReminderBackfill();
    const RequestId = newId();
    await invoke('bootstrap', customResourceEvent(RequestId));
    const answer = cfn.answers.find((a) => a.RequestId === RequestId);
    if (answer?.Status !== 'SUCCESS') throw new Error(`CloudFormation got ${JSON.stringify(answer)}`);
  },
  // Secrets Manager (the stand-in, called as an operator) drives the rotation function through its four steps.
  'cursor-key-rotation': async () => {
    const client = new SecretsManagerClient({
      endpoint: session.cloud.secretsManager.endpoint,
      region: session.cloud.sqs.region,
      credentials: { accessKeyId: LOCAL_ADMIN_ACCESS_KEY_ID, secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const SecretId = cursorSecretName(loadConfig());
    try {
      // A rotation refused a grant left its version pending: cleared as an operator would, or
      // Secrets Manager refuses the next RotateSecret.
      const { VersionIdsToStages = {} } = await client.send(new DescribeSecretCommand({ SecretId }));
      for (const [version, stages] of Object.entries(VersionIdsToStages)) {
        if (stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT')) {
          await client.send(
            new UpdateSecretVersionStageCommand({ SecretId, VersionStage: 'AWSPENDING', RemoveFromVersionId: version }),
          );
        }
      }
      await client.send(new RotateSecretCommand({ SecretId }));
    } finally {
      client.destroy();
    }
  },
  // A task with a reminder, then moved: the sync creates the new schedule and deletes the old.
  'reminder-sync': async () => {
    await parksPoison('reminder-sync', 'task.created');
    const task = await reminderTask();
    const moved = await session.api('PATCH', `/tasks/${task.id}`, {
      token: session.as('admin'),
      body: { due_date: inDays(3) },
    });
    if (moved.status !== 200) throw new Error(`PATCH /tasks: ${moved.status} ${JSON.stringify(moved.body)}`);
    const events = await outboxEvents();
    for (const event of events.filter((e) => e.metadata?.resource_id === task.id)) {
      await invoke('reminder-sync', envelope(event));
    }
    const names = session.cloud.scheduler.schedules().map((s) => s.name);
    const at = (moved.body as { remind_at: string }).remind_at;
    if (!names.includes(reminderScheduleName('task', task.id, new Date(at))))
      throw new Error(`no schedule for ${task.id} at ${at}: ${JSON.stringify(names)}`);
    if (names.includes(reminderScheduleName('task', task.id, new Date(task.remind_at))))
      throw new Error(`the schedule for ${task.id} at ${task.remind_at} is still there`);
  },
  // The recurring schedule's target: walks the calendars and stores each one's outcome (the
  // sample's host does not resolve: the failure is stored).
  'external-calendars': async () => {
    const id = await externalCalendar();
    await invoke('external-calendars', { refresh: 'external_calendars' });
    const stored = await session.api('GET', `/external_calendars/${id}`, { token: session.as('admin') });
    const error = (stored.body as { last_error?: string | null }).last_error;
    if (typeof error !== 'string') throw new Error(`the refresh stored no outcome: ${JSON.stringify(stored.body)}`);
  },
  // The recurring poll: opens the sample mailbox's password, sealed as before KMS (v1: the cursor
  // secret's key), reseals it with a KMS data key (v2), then refuses to connect to a loopback
  // host (mailbox servers must be public) and stores why.
  'mailbox-poll': async () => {
    const created = await session.api('POST', '/mailboxes', {
      token: session.as('rep1'),
      body: { host: '127.0.0.1', port: 9, tls: false, username: 'sample', password: 'sample-password' },
    });
    if (created.status !== 201) throw new Error(`POST /mailboxes: ${created.status} ${JSON.stringify(created.body)}`);
    const id = (created.body as { id: string }).id;
    try {
      await sealAsV1(id, 'sample-password');
      await invoke('mailbox-poll', { poll: 'mailboxes' });
      const item = (await admin.send(new GetCommand({ TableName: session.cloud.names.tableName, Key: mailboxKey(id) }))).Item;
      if (!/^v2\./.test(String(item?.sealed_password)))
        throw new Error(`the v1 password was not resealed: ${String(item?.sealed_password).slice(0, 3)}`);
      const listed = await session.api('GET', '/mailboxes', { token: session.as('rep1') });
      const mailbox = (listed.body as { items: { id: string; last_error: string | null }[] }).items.find((m) => m.id === id);
      // The refused address (checked once the password is open), not a refused secret read
      // (which would also be stored as last_error).
      if (!/not a public address/.test(mailbox?.last_error ?? ''))
        throw new Error(`the poll did not reach the server: ${JSON.stringify(mailbox)}`);
    } finally {
      // The sample runs once per statement: it leaves no mailbox behind (a user may have 10).
      await session.api('DELETE', `/mailboxes/${id}`, { token: session.as('rep1') });
    }
  },
  // A message rep1 sent, once SES took it (email.sent): the consumer reads it and rep1's
  // mailbox, marks its Message-ID (table), opens the password (sealed before KMS here: the
  // cursor secret's key), seals it anew (the credentials key) and saves it, and is refused the
  // loopback host, an outcome; a malformed event is parked in its on-failure queue.
  'mailbox-sent-copy': async () => {
    await parksPoison('mailbox-sent-copy', EMAIL_SENT_EVENT);
    const created = await session.api('POST', '/mailboxes', {
      token: session.as('rep1'),
      // Named as the sender: the copy goes to the mailbox whose login is the sender's address,
      // whatever other mailbox of rep1's another sample may have left.
      body: { host: '127.0.0.1', port: 9, tls: false, username: 'rep1@example.com', password: 'sample-password' },
    });
    if (created.status !== 201) throw new Error(`POST /mailboxes: ${created.status} ${JSON.stringify(created.body)}`);
    const mailboxId = (created.body as { id: string }).id;
    try {
      await sealAsV1(mailboxId, 'sample-password');
      const sent = await session.api('POST', '/emails', {
        token: session.as('rep1'),
        body: { to: [`iam-${newId().toLowerCase()}@exemple.example`], subject: 'Iam sent', text: 'Iam' },
      });
      if (sent.status !== 201) throw new Error(`POST /emails: ${sent.status} ${JSON.stringify(sent.body)}`);
      const id = (sent.body as { id: string }).id;
      const deadline = Date.now() + 15_000;
      let event: DomainEvent | undefined;
      while (!event) {
        event = (await outboxEvents()).find((e) => e.metadata?.event_type === EMAIL_SENT_EVENT && e.metadata.resource_id === id);
        if (Date.now() > deadline) throw new Error(`no ${EMAIL_SENT_EVENT} for ${id} within 15 s`);
        if (!event) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await admin.send(
        new DeleteCommand({
          TableName: session.cloud.names.tableName,
          Key: receiptKey(session.id('rep1'), sha256(String((sent.body as { message_id: string }).message_id))),
        }),
      );
      await invoke('mailbox-sent-copy', envelope(event));
      const marker = await admin.send(
        new GetCommand({
          TableName: session.cloud.names.tableName,
          Key: receiptKey(session.id('rep1'), sha256(String((sent.body as { message_id: string }).message_id))),
        }),
      );
      if (marker.Item?.email_id !== id) throw new Error(`the Message-ID of ${id} is not marked: ${JSON.stringify(marker.Item)}`);
      const resealed = (
        await admin.send(new GetCommand({ TableName: session.cloud.names.tableName, Key: mailboxKey(mailboxId) }))
      ).Item;
      if (!/^v2\./.test(String(resealed?.sealed_password)))
        throw new Error(`the v1 password was not sealed anew: ${String(resealed?.sealed_password).slice(0, 3)}`);
    } finally {
      await session.api('DELETE', `/mailboxes/${mailboxId}`, { token: session.as('rep1') });
    }
  },
  // The Scheduler target: the probe task's reminder writes its task.reminder_due event.
  reminders: async () => {
    const task = await reminderTask();
    await invoke('reminders', { kind: 'task', record_id: task.id, remind_at: task.remind_at });
    const due = (await outboxEvents()).find(
      (e) => e.metadata?.event_type === 'task.reminder_due' && e.metadata.resource_id === task.id,
    );
    if (!due) throw new Error(`no task.reminder_due for ${task.id}`);
  },
  redrive: async () => {
    const event = await outboxEvent('deal.created');
    const report = await invoke<{ found?: number; published?: number }>('redrive', { event_ids: [event.metadata.event_id] });
    if (report?.found !== 1 || report.published !== 1) throw new Error(`redrive reported ${JSON.stringify(report)}`);
  },
};

/** Seals the mailbox's stored password as the sealer before KMS did (v1, the cursor secret's current key). */
async function sealAsV1(id: string, password: string): Promise<void> {
  const TableName = session.cloud.names.tableName;
  const item = (await admin.send(new GetCommand({ TableName, Key: mailboxKey(id) }))).Item;
  const client = new SecretsManagerClient({
    endpoint: session.cloud.secretsManager.endpoint,
    region: session.cloud.sqs.region,
    credentials: { accessKeyId: LOCAL_ADMIN_ACCESS_KEY_ID, secretAccessKey: 'local' },
  });
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: cursorSecretName(loadConfig()) }));
    const sealed = await new SecretDerivedSealer({ load: async () => ({ current: SecretString! }) }).seal(
      password,
      `mailbox:${id}:${String(item?.owner_id)}`,
    );
    await admin.send(new PutCommand({ TableName, Item: { ...item, sealed_password: sealed } }));
  } finally {
    client.destroy();
  }
}

/**
 * Statements no sample exercises on a laptop: which functions' statement (by its whole action
 * list), and why. Every other statement of every policy must be exercised.
 */
const LOGS = 'logs:CreateLogStream,logs:PutLogEvents';
const XRAY = 'xray:PutTelemetryRecords,xray:PutTraceSegments';
const ALL = functionSpecs.map((s) => s.name);
const UNEXERCISED: { functions: readonly string[]; actions: string; reason: string }[] = [
  {
    functions: ALL,
    actions: LOGS,
    reason:
      "Lambda writes the function's logs with its role; no code of ours calls CloudWatch Logs, and nothing local stands in for it",
  },
  {
    // The mail-sender's X-Ray actions share a statement (Resource "*") with SES GetAccount and
    // GetSuppressedDestination, the emails function's with GetSuppressedDestination, which
    // their samples exercise.
    functions: ALL.filter((n) => n !== 'outbox-publisher' && n !== 'mail-sender' && n !== 'emails'),
    actions: XRAY,
    reason: 'the Lambda runtime uploads the trace segments; no code of ours calls X-Ray, and nothing local stands in for it',
  },
  {
    functions: ['reminders', 'external-calendars', 'mailbox-poll'],
    actions: 'sqs:GetQueueAttributes,sqs:GetQueueUrl,sqs:SendMessage',
    reason:
      "Lambda sends a Scheduler invocation that failed its async retries to the function's on-failure queue; the local Scheduler calls the function directly and keeps its own retries and dead letters instead",
  },
  {
    functions: ['export-worker'],
    actions:
      'sqs:ChangeMessageVisibility,sqs:DeleteMessage,sqs:GetQueueAttributes,sqs:GetQueueUrl,sqs:ReceiveMessage,sqs:SendMessage',
    reason:
      "the sample's export fits one slice, so the worker queues no continuation (SendMessage); the other actions are the event source mapping's, and the local queue poller's receives are not refused when the statement is dropped (the import and bulk workers' same statements are exercised through their SendMessage)",
  },
  {
    functions: ['sell-import-worker'],
    actions: 'secretsmanager:GetSecretValue',
    reason:
      "the cursor key pages lists only while a slice creates records; the sample's import runs again and again over the stand-in's one account (every record after its first run unchanged), so a run with the statement dropped reads no list (the imports function's and the HTTP functions' samples read the key)",
  },
  {
    functions: ['outbox-publisher'],
    actions: `dynamodb:ListStreams,${XRAY}`,
    reason:
      'X-Ray as above; ListStreams is what AWS documents for a stream event source mapping (AWSLambdaDynamoDBExecutionRole, added by CDK with the stream read), but the local mapping is given the stream ARN and never lists streams',
  },
];

/**
 * Tests that wait longer than the default: the mail-sender's sample goes through the mail
 * queue (its 5 s delivery delay) and waits up to 15 s for a refused statement to show; the sent
 * copy's sample runs five times (45 s alone, over 60 s beside another file).
 */
const SLOW_SAMPLE_TIMEOUTS: Record<string, number> = {
  'mail-sender': 240_000,
  'mailbox-sent-copy': 180_000,
  imports: 240_000,
  'import-worker': 240_000,
  'bulk-worker': 240_000,
  'bulk-operations': 240_000,
  exports: 240_000,
  'export-worker': 240_000,
  // Each run of the Sell import's sample waits out its stand-in's 429 (31 s).
  'sell-import-worker': 360_000,
};

const unexercised = (name: string, actions: string) =>
  UNEXERCISED.some((u) => u.functions.includes(name) && u.actions === actions);

const actionsOf = (policy: FunctionPolicy, i: number) => [policy.statements[i]!.Action ?? []].flat().sort();

describe('every grant is needed: dropping any one statement of a policy fails its function with AccessDenied', () => {
  it('has a sample for every function of the registry, and each passes with its whole policy, refused nothing', async () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(functionSpecs.map((s) => s.name).sort());
    const before = decisions.length;
    // The consumers log the malformed events their samples park: kept off the test's output.
    await capturingOutput(async () => {
      for (const [name, sample] of Object.entries(SAMPLES))
        await sample().catch((e: Error) => {
          throw new Error(`${name}: ${e.message}`);
        });
    });
    expect(decisions.slice(before).filter((d) => d.denied)).toEqual([]);
    // Every function the samples run made at least one call through a gate, as itself.
    const callers = new Set(decisions.slice(before).map((d) => d.function));
    expect([...callers].sort()).toEqual(
      functionSpecs
        .map((s) => s.name)
        .filter((n) => n !== 'platform')
        .sort(),
    );
    // Every function's sample, one after another (about 60 of them, some through queues).
  }, 300_000);

  it('lists as unexercised only statements the policies hold', () => {
    for (const { functions, actions } of UNEXERCISED) {
      for (const name of functions) {
        const policy = session.cloud.iam.policies.get(name)!;
        expect(
          policy.statements.map((_, i) => actionsOf(policy, i).join(',')),
          name,
        ).toContain(actions);
      }
    }
  });

  for (const spec of functionSpecs) {
    it(
      `${spec.name}: each exercised statement, dropped, fails the sample with AccessDenied on one of its actions`,
      async () => {
        const policies = session.cloud.iam.policies;
        const policy = policies.get(spec.name)!;
        const exercised = policy.statements
          .map((_, i) => i)
          .filter((i) => !unexercised(spec.name, actionsOf(policy, i).join(',')));
        if (spec.name === 'platform') expect(exercised).toEqual([]);
        else expect(exercised.length).toBeGreaterThan(0);
        try {
          for (const i of exercised) {
            policies.set(spec.name, { ...policy, statements: policy.statements.filter((_, j) => j !== i) });
            // The cursor key is cached for minutes: a cold start reads it again.
            if (actionsOf(policy, i).some((a) => a.startsWith('secretsmanager:')))
              await session.cloud.functions.get(spec.name).recycle();
            const before = decisions.length;
            // The function logs the refusal as an error: kept off the test's output.
            const { result: error } = await capturingOutput(() => rejection(SAMPLES[spec.name]!()));
            const denied = decisions.slice(before).filter((d) => d.function === spec.name && d.denied);
            expect(error, `statement ${i} (${actionsOf(policy, i).join(', ')}) dropped, the sample still passed`).toBeInstanceOf(
              Error,
            );
            expect(
              denied.map((d) => d.denied!.access.action).filter((a) => actionsOf(policy, i).includes(a)).length,
            ).toBeGreaterThan(0);
            policies.set(spec.name, policy);
            // Back to the whole policy, the function does its work again (the stream mapping catches up).
            await capturingOutput(() => SAMPLES[spec.name]!());
          }
        } finally {
          policies.set(spec.name, policy);
        }
      },
      SLOW_SAMPLE_TIMEOUTS[spec.name],
    );
  }
});

function customResourceEvent(RequestId: string): CloudFormationCustomResourceEvent {
  const region = session.cloud.sqs.region;
  return {
    RequestType: 'Create',
    ResponseURL: `${cfn.url}/answer`,
    StackId: `arn:aws:cloudformation:${region}:000000000000:stack/crm-stateless/x`,
    RequestId,
    LogicalResourceId: 'Bootstrap',
    ResourceType: 'Custom::CrmBootstrap',
    ServiceToken: `arn:aws:lambda:${region}:000000000000:function:bootstrap`,
    ResourceProperties: { ServiceToken: 'x' },
  };
}

/** CloudFormation's pre-signed response URL: records each answer's body. */
async function responseUrlServer(): Promise<{ url: string; server: Server; answers: Record<string, unknown>[] }> {
  const answers: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      answers.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, answers };
}
