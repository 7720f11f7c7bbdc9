import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventBridgePublisher } from '#shared/platform/eventbridge.ts';
import { parseRedrivePayload, redriveOutbox, RedriveRequestError, type RedrivePayload } from '#shared/platform/redrive.ts';
import { loadConfig } from '../config/load.ts';
import { readLocalEndpoints } from '../local/endpoints.ts';

// `npm run redrive`: republishes outbox events from the table to the bus, the same code as
// the operator's Lambda (functions/ops/redrive.ts).
//   npm run redrive -- --from 2026-12-01T00:00:00Z --to 2026-12-01T12:00:00Z [--type deal.updated]...
//   npm run redrive -- --event-id 01JF... [--event-id ...]
// Where: --local (the running `npm start`, found through CRM_DATA_DIR or --data-dir, default
// .crm), or AWS with the default credentials: --table and --bus, or crm-<stage> from the
// deployment config (CRM_CONFIG). --dry-run lists the events instead of publishing them.
// Prints the report as JSON; exits 1 when an event was refused, an id was not found or the
// table or bus did not answer, 2 on a bad request.

const USAGE = `usage: npm run redrive -- (--from <ISO> --to <ISO> [--type <event type>]... | --event-id <id>...)
         [--dry-run] [--local [--data-dir <dir>] | --table <name> --bus <name> [--region <region>]]`;

const { values } = parseArgs({
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    type: { type: 'string', multiple: true },
    'event-id': { type: 'string', multiple: true },
    'dry-run': { type: 'boolean', default: false },
    local: { type: 'boolean', default: false },
    'data-dir': { type: 'string' },
    table: { type: 'string' },
    bus: { type: 'string' },
    region: { type: 'string' },
  },
  allowPositionals: false,
});

/** Table, bus and clients: the local cloud's endpoints, or AWS with the default credential chain. */
function target(): { table: string; bus: string; dynamo: DynamoDBClient; events: EventBridgeClient; where: string } {
  if (values.local) {
    const local = readLocalEndpoints(values['data-dir'] ?? process.env.CRM_DATA_DIR ?? '.crm');
    const common = { region: local.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    return {
      table: local.table,
      bus: local.bus,
      dynamo: new DynamoDBClient({ ...common, endpoint: local.dynamodb }),
      events: new EventBridgeClient({ ...common, endpoint: local.eventbridge }),
      where: `the local cloud (${local.dynamodb}, bus ${local.eventbridge})`,
    };
  }
  const needConfig = !values.table || !values.bus || !values.region;
  const config = needConfig ? loadConfig() : undefined;
  const region = values.region ?? config!.region;
  const table = values.table ?? `crm-${config!.stage}`;
  const bus = values.bus ?? `crm-${config!.stage}`;
  return {
    table,
    bus,
    dynamo: new DynamoDBClient({ region }),
    events: new EventBridgeClient({ region }),
    where: `AWS ${region} (table ${table}, bus ${bus})`,
  };
}

async function main(): Promise<number> {
  const payload: RedrivePayload = values['event-id']
    ? { event_ids: values['event-id'], dry_run: values['dry-run'] }
    : {
        from: values.from ?? '',
        to: values.to ?? '',
        ...(values.type ? { types: values.type } : {}),
        dry_run: values['dry-run'],
      };
  if (values['event-id'] && (values.from || values.to)) throw new RedriveRequestError('give --event-id or --from/--to, not both');
  const request = parseRedrivePayload(payload);
  const where = target();
  const report = await redriveOutbox(
    {
      table: { client: DynamoDBDocumentClient.from(where.dynamo), name: where.table },
      publisher: new EventBridgePublisher({ client: where.events, busName: where.bus }),
    },
    request,
  );
  console.error(`redrive on ${where.where}: ${report.found} found, ${report.published} published`);
  console.log(JSON.stringify(report, null, 2));
  where.dynamo.destroy();
  where.events.destroy();
  return report.failed_event_ids.length > 0 || report.missing_event_ids.length > 0 ? 1 : 0;
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
