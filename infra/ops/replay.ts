import { parseArgs } from 'node:util';
import {
  DescribeArchiveCommand,
  DescribeReplayCommand,
  EventBridgeClient,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import { loadConfig } from '../config/load.ts';
import { readLocalEndpoints } from '../local/endpoints.ts';

// `npm run replay`: replays the bus archive's events of a window to the bus's rules, as an
// EventBridge replay (StartReplay, then DescribeReplay until it ends). Replayed events carry
// `replay-name`: rules with side effects ignore them (infra/rules.ts), read-model rules rebuild
// from them; AWS (and the local bus) deliver them in no particular order.
//   npm run replay -- --from 2026-12-01T00:00:00Z --to 2026-12-01T12:00:00Z [--name <replay name>]
// Where: --local (the running `npm start`, found through --data-dir, CRM_DATA_DIR or .crm), or
// AWS with the default credentials: the archive crm-<stage>-events of the deployment config
// (CRM_CONFIG) or --archive, in --region or the config's region.
// Exits 0 when the replay completed, 1 when it failed or could not start, 2 on a bad request.

const USAGE = `usage: npm run replay -- --from <ISO> --to <ISO> [--name <name>] [--local [--data-dir <dir>] | [--archive <name>] [--region <region>]]`;

const { values } = parseArgs({
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    name: { type: 'string' },
    local: { type: 'boolean', default: false },
    'data-dir': { type: 'string' },
    archive: { type: 'string' },
    region: { type: 'string' },
  },
  allowPositionals: false,
});

class UsageError extends Error {}

async function main(): Promise<number> {
  const from = new Date(values.from ?? '');
  const to = new Date(values.to ?? '');
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new UsageError('--from and --to must be ISO times');
  if (to < from) throw new UsageError('--to is before --from');
  const name =
    values.name ??
    `replay-${new Date()
      .toISOString()
      .replace(/[^0-9]/g, '')
      .slice(0, 14)}`;
  let client: EventBridgeClient;
  let source: string;
  let destination: string;
  if (values.local) {
    const local = readLocalEndpoints(values['data-dir'] ?? process.env.CRM_DATA_DIR ?? '.crm');
    client = new EventBridgeClient({
      region: local.region,
      endpoint: local.eventbridge,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    source = `arn:aws:events:${local.region}:000000000000:archive/${local.bus}-events`;
    destination = `arn:aws:events:${local.region}:000000000000:event-bus/${local.bus}`;
  } else {
    const config = !values.archive || !values.region ? loadConfig() : undefined;
    client = new EventBridgeClient({ region: values.region ?? config!.region });
    const archive = await client.send(
      new DescribeArchiveCommand({ ArchiveName: values.archive ?? `crm-${config!.stage}-events` }),
    );
    source = archive.ArchiveArn!;
    destination = archive.EventSourceArn!;
  }
  try {
    await client.send(
      new StartReplayCommand({
        ReplayName: name,
        EventSourceArn: source,
        EventStartTime: from,
        EventEndTime: to,
        Destination: { Arn: destination },
      }),
    );
    console.error(`replay ${name}: ${from.toISOString()} .. ${to.toISOString()} from ${source}`);
    for (;;) {
      const state = await client.send(new DescribeReplayCommand({ ReplayName: name }));
      if (state.State === 'COMPLETED') {
        console.log(JSON.stringify({ replay: name, state: state.State, detail: state.StateReason ?? null }));
        return 0;
      }
      if (state.State === 'FAILED' || state.State === 'CANCELLED') {
        console.error(`replay ${name} ${state.State}: ${state.StateReason ?? ''}`);
        return 1;
      }
      await new Promise((r) => setTimeout(r, values.local ? 200 : 5000));
    }
  } finally {
    client.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(error instanceof Error ? `replay failed: ${error.message}` : error);
    process.exit(1);
  },
);
