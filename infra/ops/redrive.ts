import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventBridgePublisher } from '#shared/platform/eventbridge.ts';
import {
  failureRecordTarget,
  parseRedrivePayload,
  redriveOutbox,
  RedriveRequestError,
  type RedrivePayload,
  type RedriveReport,
  type RedriveRequest,
} from '#shared/platform/redrive.ts';
import { loadConfig } from '../config/load.ts';
import { readLocalEndpoints } from '../local/endpoints.ts';

// `npm run redrive`: republishes outbox events from the table to the bus, the same code as
// the operator's Lambda (functions/ops/redrive.ts). Consumers deduplicate on event_id.
//   npm run redrive -- --from 2026-12-01T00:00:00Z --to 2026-12-01T12:00:00Z [--type deal.updated]...
//   npm run redrive -- --event-id 01JF... [--event-id ...]
//   npm run redrive -- --queue <on-failure queue name or URL>
// --queue reads every message of an on-failure queue or DLQ, republishes the events they name
// (from the table) and deletes the messages whose events the bus took; a stream batch record
// republishes the window its records arrived in. --dry-run lists, publishes and deletes nothing.
// Where: --local (the running `npm start`, found through --data-dir, CRM_DATA_DIR or .crm), or
// AWS with the default credentials: --table and --bus, or crm-<stage> from the deployment
// config (CRM_CONFIG), in --region or the config's region.
// Prints the report as JSON; exits 1 when an event was refused, an id was not found, a
// message was not understood or a service did not answer, 2 on a bad request.

const USAGE = `usage: npm run redrive -- (--from <ISO> --to <ISO> [--type <event type>]... | --event-id <id>... | --queue <name or URL>)
         [--dry-run] [--local [--data-dir <dir>] | [--table <name>] [--bus <name>] [--region <region>]]`;

const { values } = parseArgs({
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    type: { type: 'string', multiple: true },
    'event-id': { type: 'string', multiple: true },
    queue: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    local: { type: 'boolean', default: false },
    'data-dir': { type: 'string' },
    table: { type: 'string' },
    bus: { type: 'string' },
    region: { type: 'string' },
  },
  allowPositionals: false,
});

interface Target {
  table: string;
  bus: string;
  dynamo: DynamoDBClient;
  events: EventBridgeClient;
  sqs: SQSClient;
  where: string;
}

/** Table, bus and clients: the local cloud's endpoints, or AWS with the default credential chain. */
function target(): Target {
  if (values.local) {
    const local = readLocalEndpoints(values['data-dir'] ?? process.env.CRM_DATA_DIR ?? '.crm');
    const common = { region: local.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    return {
      table: local.table,
      bus: local.bus,
      dynamo: new DynamoDBClient({ ...common, endpoint: local.dynamodb }),
      events: new EventBridgeClient({ ...common, endpoint: local.eventbridge }),
      sqs: new SQSClient({ ...common, endpoint: local.sqs }),
      where: `the local cloud (table ${local.dynamodb}, bus ${local.eventbridge})`,
    };
  }
  const config = !values.table || !values.bus || !values.region ? loadConfig() : undefined;
  const region = values.region ?? config!.region;
  const table = values.table ?? `crm-${config!.stage}`;
  const bus = values.bus ?? `crm-${config!.stage}`;
  return {
    table,
    bus,
    dynamo: new DynamoDBClient({ region }),
    events: new EventBridgeClient({ region }),
    sqs: new SQSClient({ region }),
    where: `AWS ${region} (table ${table}, bus ${bus})`,
  };
}

type Redrive = (request: RedriveRequest) => Promise<RedriveReport>;

/** The report of a queue redrive. */
interface QueueReport {
  queue: string;
  messages: number;
  deleted: number;
  /** Messages that name no event and no stream batch: left in the queue. */
  unreadable_message_ids: string[];
  redrives: RedriveReport[];
}

async function redriveQueue(where: Target, queue: string, dryRun: boolean, redrive: Redrive): Promise<QueueReport> {
  const QueueUrl = /^https?:\/\//.test(queue)
    ? queue
    : (await where.sqs.send(new GetQueueUrlCommand({ QueueName: queue }))).QueueUrl!;
  // Received until the queue shows nothing new: hidden for 5 min while we work, or, on a dry
  // run, left visible (so the list is what a few receives could see: all of a small queue).
  const messages = new Map<string, Message>();
  for (let idle = 0; idle < (dryRun ? 3 : 1);) {
    const out = await where.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: dryRun ? 0 : 300, WaitTimeSeconds: 0 }),
    );
    const fresh = (out.Messages ?? []).filter((m) => !messages.has(m.MessageId!));
    idle = fresh.length === 0 ? idle + 1 : 0;
    for (const m of fresh) messages.set(m.MessageId!, m);
  }
  const byEvent = new Map<string, Message[]>();
  const windows: { message: Message; from: Date; to: Date }[] = [];
  const unreadable: string[] = [];
  for (const message of messages.values()) {
    const pointed = failureRecordTarget(message.Body ?? '');
    if (!pointed) unreadable.push(message.MessageId!);
    else if ('eventId' in pointed) byEvent.set(pointed.eventId, [...(byEvent.get(pointed.eventId) ?? []), message]);
    else windows.push({ message, ...pointed });
  }
  const done: Message[] = [];
  const redrives: RedriveReport[] = [];
  if (byEvent.size > 0) {
    const report = await redrive({ eventIds: [...byEvent.keys()], dryRun });
    redrives.push(report);
    const kept = new Set([...report.failed_event_ids, ...report.missing_event_ids]);
    for (const [id, list] of byEvent) if (!kept.has(id)) done.push(...list);
  }
  for (const { message, from, to } of windows) {
    const report = await redrive({ from, to, dryRun });
    redrives.push(report);
    if (report.failed_event_ids.length === 0) done.push(message);
  }
  if (!dryRun) {
    for (const m of done) await where.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle! }));
  }
  return {
    queue: QueueUrl,
    messages: messages.size,
    deleted: dryRun ? 0 : done.length,
    unreadable_message_ids: unreadable,
    redrives,
  };
}

function requestFromOptions(): RedriveRequest {
  const chosen = [values['event-id'], values.from ?? values.to, values.queue].filter((v) => v !== undefined);
  if (chosen.length !== 1) throw new RedriveRequestError('give exactly one of --event-id, --from/--to and --queue');
  const payload: RedrivePayload = values['event-id']
    ? { event_ids: values['event-id'], dry_run: values['dry-run'] }
    : {
        from: values.from ?? '',
        to: values.to ?? '',
        ...(values.type ? { types: values.type } : {}),
        dry_run: values['dry-run'],
      };
  return parseRedrivePayload(payload);
}

const failed = (r: RedriveReport) => r.failed_event_ids.length > 0 || r.missing_event_ids.length > 0;

async function main(): Promise<number> {
  const request = values.queue === undefined ? requestFromOptions() : undefined;
  if (values.queue !== undefined && (values['event-id'] || values.from || values.to)) {
    throw new RedriveRequestError('give exactly one of --event-id, --from/--to and --queue');
  }
  const where = target();
  const redrive: Redrive = (r) =>
    redriveOutbox(
      {
        table: { client: DynamoDBDocumentClient.from(where.dynamo), name: where.table },
        publisher: new EventBridgePublisher({ client: where.events, busName: where.bus }),
      },
      r,
    );
  try {
    if (request) {
      const report = await redrive(request);
      console.error(`redrive on ${where.where}: ${report.found} found, ${report.published} published`);
      console.log(JSON.stringify(report, null, 2));
      return failed(report) ? 1 : 0;
    }
    const report = await redriveQueue(where, values.queue!, values['dry-run'], redrive);
    console.error(`redrive of ${report.queue} on ${where.where}: ${report.messages} messages, ${report.deleted} deleted`);
    console.log(JSON.stringify(report, null, 2));
    return report.unreadable_message_ids.length > 0 || report.redrives.some(failed) ? 1 : 0;
  } finally {
    for (const client of [where.dynamo, where.events, where.sqs]) client.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof RedriveRequestError) {
      console.error(`${error.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(error instanceof Error ? `redrive failed: ${error.message}` : error);
    process.exit(1);
  },
);
