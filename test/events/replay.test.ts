import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeReplayCommand, EventBridgeClient, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalEventBus, serveLocalBus, type BusEvent, type LocalRule } from '#infra/local/eventbridge/local-bus.ts';
import { busRule } from '#infra/rules.ts';
import { REPO_ROOT } from '#infra/build/bundle.ts';
import { writeLocalEndpoints } from '#infra/local/endpoints.ts';

// The local bus's archive and replay, as EventBridge's: every event put is archived (on disk
// with a data folder), a replay sends a window of them again with `replay-name`, in random
// order, to the rules whose pattern takes them: read models yes, side effects no.

const dirs: string[] = [];
const servers: Server[] = [];
afterAll(() => {
  for (const server of servers) server.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'crm-archive-'));
  dirs.push(dir);
  return dir;
};

const entry = (n: number, time: string) => ({
  Source: 'crm',
  DetailType: 'thing.created',
  Detail: JSON.stringify({ metadata: { event_id: `E${n}` }, data: { n } }),
  Time: time,
});
const eventId = (e: BusEvent) => (e.detail as { metadata: { event_id: string } }).metadata.event_id;

/** The two kinds of rules, as infra/rules.ts builds them; each records what it got. */
function rules() {
  const readModel: BusEvent[] = [];
  const sideEffect: BusEvent[] = [];
  const rule = (name: string, sideEffects: boolean, into: BusEvent[]): LocalRule => {
    const { pattern } = busRule({ name, description: name, pattern: { source: ['crm'] }, target: name, sideEffects });
    return { name, pattern, target: async (e) => void into.push(e) };
  };
  return { readModel, sideEffect, list: [rule('read-model', false, readModel), rule('side-effect', true, sideEffect)] };
}

const times = ['2026-12-01T09:00:00Z', '2026-12-01T10:00:00Z', '2026-12-01T10:30:00Z', '2026-12-01T11:00:00Z'];

describe('the local bus archive', () => {
  it('replays a window to read-model rules only, marked with replay-name, and returns when delivered', async () => {
    const { readModel, sideEffect, list } = rules();
    const bus = new LocalEventBus({ rules: list });
    bus.put(times.map((t, i) => entry(i, t)));
    await bus.idle();
    expect(readModel.map(eventId)).toEqual(['E0', 'E1', 'E2', 'E3']);
    expect(sideEffect.map(eventId)).toEqual(['E0', 'E1', 'E2', 'E3']);
    readModel.length = 0;
    sideEffect.length = 0;

    const report = await bus.replay({ from: new Date('2026-12-01T10:00:00Z'), to: new Date('2026-12-01T10:30:00Z'), name: 'r1' });
    expect(report).toEqual({ name: 'r1', events: 2, deliveries: 2 });
    expect(readModel.map(eventId).sort()).toEqual(['E1', 'E2']);
    expect(readModel.every((e) => (e as BusEvent & { 'replay-name'?: string })['replay-name'] === 'r1')).toBe(true);
    expect(readModel.map((e) => e.time).sort()).toEqual(['2026-12-01T10:00:00Z', '2026-12-01T10:30:00Z']);
    expect(sideEffect).toEqual([]);
  });

  it('replays in random order unless asked not to', async () => {
    const { readModel, list } = rules();
    const bus = new LocalEventBus({ rules: list });
    const many = Array.from({ length: 40 }, (_, i) => entry(i, `2026-12-01T10:${String(i).padStart(2, '0')}:00Z`));
    for (let i = 0; i < many.length; i += 10) bus.put(many.slice(i, i + 10));
    await bus.idle();
    const window = { from: new Date('2026-12-01T00:00:00Z'), to: new Date('2026-12-02T00:00:00Z') };
    readModel.length = 0;
    await bus.replay({ ...window, shuffle: false });
    const inOrder = readModel.map(eventId);
    expect(inOrder).toEqual(many.map((_, i) => `E${i}`));
    readModel.length = 0;
    await bus.replay(window);
    const shuffled = readModel.map(eventId);
    expect([...shuffled].sort()).toEqual([...inOrder].sort());
    expect(shuffled).not.toEqual(inOrder); // 40! orders: a false alarm is beyond likely
  });

  it('keeps the archive on disk with a data folder: a bus opened later replays what an earlier one took', async () => {
    const dir = tempDir();
    const first = new LocalEventBus({ dataDir: dir });
    first.put(times.map((t, i) => entry(i, t)));
    await first.close();
    expect(readFileSync(join(dir, 'bus-archive.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4);
    const { readModel, list } = rules();
    const second = new LocalEventBus({ dataDir: dir, rules: list });
    const report = await second.replay({ from: new Date(times[0]!), to: new Date(times[3]!) });
    expect(report.events).toBe(4);
    expect(readModel.map(eventId).sort()).toEqual(['E0', 'E1', 'E2', 'E3']);
    await second.close();
  });

  it('answers StartReplay and DescribeReplay on the wire, as `npm run replay -- --local` calls them', async () => {
    const { readModel, sideEffect, list } = rules();
    const bus = new LocalEventBus({ rules: list });
    bus.put(times.map((t, i) => entry(i, t)));
    await bus.idle();
    readModel.length = 0;
    sideEffect.length = 0;
    const { endpoint, server } = await serveLocalBus(bus);
    servers.push(server);
    const client = new EventBridgeClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const started = await client.send(
      new StartReplayCommand({
        ReplayName: 'wire-1',
        EventSourceArn: 'arn:aws:events:us-east-1:000000000000:archive/crm-events',
        Destination: { Arn: 'arn:aws:events:us-east-1:000000000000:event-bus/crm' },
        EventStartTime: new Date(times[1]!),
        EventEndTime: new Date(times[3]!),
      }),
    );
    expect(started.State).toBe('STARTING');
    let state: string | undefined;
    for (let i = 0; i < 50 && state !== 'COMPLETED'; i++) {
      state = (await client.send(new DescribeReplayCommand({ ReplayName: 'wire-1' }))).State;
      if (state !== 'COMPLETED') await new Promise((r) => setTimeout(r, 20));
    }
    expect(state).toBe('COMPLETED');
    expect(readModel.map(eventId).sort()).toEqual(['E1', 'E2', 'E3']);
    expect(sideEffect).toEqual([]);
    client.destroy();
  });

  it('is what `npm run replay -- --local` runs, exiting 0 once the replay completed', async () => {
    const { readModel, sideEffect, list } = rules();
    const bus = new LocalEventBus({ rules: list });
    bus.put(times.map((t, i) => entry(i, t)));
    await bus.idle();
    readModel.length = 0;
    sideEffect.length = 0;
    const { endpoint, server } = await serveLocalBus(bus);
    servers.push(server);
    const dir = tempDir();
    const local = { http: '', dynamodb: '', sqs: '', table: 'crm', bus: 'crm', pid: process.pid };
    writeLocalEndpoints(dir, { ...local, eventbridge: endpoint, region: 'us-east-1' });
    const args = ['infra/ops/replay.ts', '--local', '--data-dir', dir, '--from', times[0]!, '--to', times[1]!, '--name', 'cli-1'];
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, args, { cwd: REPO_ROOT }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(out, out.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(out.stdout)).toMatchObject({ replay: 'cli-1', state: 'COMPLETED' });
    expect(readModel.map(eventId).sort()).toEqual(['E0', 'E1']);
    expect(sideEffect).toEqual([]);
    const refused = await new Promise<number>((resolve) =>
      execFile(
        process.execPath,
        ['infra/ops/replay.ts', '--local', '--data-dir', dir, '--from', 'soon'],
        { cwd: REPO_ROOT },
        (error) => resolve(Number(error?.code ?? 0)),
      ),
    );
    expect(refused).toBe(2);
  });
});
