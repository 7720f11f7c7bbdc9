import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventPattern } from '#shared/kernel/event-patterns.ts';
import { StreamPoller, type StreamFailureRecord } from '#infra/local/stream-poller.ts';
import { domainEvent, type DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { outboxStreamFilter } from '#shared/platform/dynamodb/table-spec.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';

// The local stand-in for the stream's event source mapping, on DynamoDB Local's real stream:
// a record's position is saved only once the handler's answer for it is known, failed records
// are sent again from the first one, and records that exhaust their attempts go to the
// on-failure destination before the shard moves on.

const dir = mkdtempSync(join(tmpdir(), 'crm-poller-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ctx = () => ({ actor_id: 'u1', correlation_id: 'c1', now: new Date(), newId: () => newId() });

/** A fresh table with `n` outbox events written one transaction each (so in stream order). */
async function tableWithEvents(
  n: number,
): Promise<{ streamArn: string; endpoint: string; ids: string[]; write: (k: number) => Promise<string[]> }> {
  const { tableName, streamArn, endpoint } = await useTestTable();
  const table = testTableClient(tableName);
  const write = async (k: number) => {
    const ids: string[] = [];
    for (let i = 0; i < k; i++) {
      const event = domainEvent(ctx(), 'thing.created', { resource_type: 'thing', resource_id: newId() }, { i });
      await table.write([], [event]);
      ids.push(event.metadata.event_id);
    }
    return ids;
  };
  return { streamArn, endpoint, ids: await write(n), write };
}

const idOf = (r: DynamoDBRecord) => (JSON.parse(r.dynamodb!.NewImage!.event!.S!) as DomainEvent).metadata.event_id;
const sequenceOf = (calls: DynamoDBRecord[][], id: string) => calls.flat().find((r) => idOf(r) === id)!.dynamodb!.SequenceNumber!;

function poller(
  setup: { streamArn: string; endpoint: string },
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>,
  extra: Partial<ConstructorParameters<typeof StreamPoller>[0]> = {},
): StreamPoller {
  return new StreamPoller({
    endpoint: setup.endpoint,
    streamArn: setup.streamArn,
    filter: outboxStreamFilter as unknown as EventPattern,
    handler,
    retryDelayMs: 1,
    ...extra,
  });
}

describe('stream poller', () => {
  it('checkpoints the records before a partial failure at once, sends the rest again, and resumes after the last one on restart', async () => {
    const setup = await tableWithEvents(5);
    const checkpointFile = join(dir, 'partial.json');
    const calls: DynamoDBRecord[][] = [];
    let savedDuringRetry: string | undefined;
    const first = poller(
      setup,
      async ({ Records }) => {
        calls.push(Records);
        if (calls.length === 1) return { batchItemFailures: [{ itemIdentifier: Records[2]!.dynamodb!.SequenceNumber! }] };
        savedDuringRetry = (JSON.parse(readFileSync(checkpointFile, 'utf8')) as Record<string, string>)[
          Object.keys(first.checkpoints())[0]!
        ];
        return { batchItemFailures: [] };
      },
      { checkpointFile },
    );
    expect(await first.poll()).toBe(5);
    await first.stop();
    expect(calls.map((batch) => batch.map(idOf))).toEqual([setup.ids, setup.ids.slice(2)]);
    expect(savedDuringRetry).toBe(sequenceOf(calls, setup.ids[1]!));
    const saved = JSON.parse(readFileSync(checkpointFile, 'utf8')) as Record<string, string>;
    expect(Object.values(saved)).toEqual([sequenceOf(calls, setup.ids[4]!)]);

    const later = await setup.write(2);
    const seen: string[] = [];
    const restarted = poller(setup, async ({ Records }) => (seen.push(...Records.map(idOf)), { batchItemFailures: [] }), {
      checkpointFile,
    });
    await restarted.poll();
    await restarted.stop();
    expect(seen).toEqual(later);
  });

  it('sends records that exhaust their attempts to the on-failure destination, then moves on', async () => {
    const setup = await tableWithEvents(3);
    const calls: DynamoDBRecord[][] = [];
    const parked: StreamFailureRecord[] = [];
    const p = poller(
      setup,
      async ({ Records }) => {
        calls.push(Records);
        const bad = Records.find((r) => idOf(r) === setup.ids[1]);
        return { batchItemFailures: bad ? [{ itemIdentifier: bad.dynamodb!.SequenceNumber! }] : [] };
      },
      { maxAttempts: 3, onFailure: async (record) => void parked.push(record) },
    );
    expect(await p.poll()).toBe(1);
    expect(calls.map((batch) => batch.map(idOf))).toEqual([setup.ids, setup.ids.slice(1), setup.ids.slice(1)]);
    expect(parked).toEqual([
      expect.objectContaining({
        requestContext: expect.objectContaining({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 }),
        DDBStreamBatchInfo: expect.objectContaining({
          startSequenceNumber: sequenceOf(calls, setup.ids[1]!),
          endSequenceNumber: sequenceOf(calls, setup.ids[2]!),
          batchSize: 2,
          streamArn: setup.streamArn,
        }),
      }),
    ]);
    const more = await setup.write(1);
    calls.length = 0;
    await p.poll();
    await p.stop();
    expect(calls.map((batch) => batch.map(idOf))).toEqual([more]);
  });

  it('moves nothing while the on-failure destination refuses: the records are read and sent again', async () => {
    const setup = await tableWithEvents(2);
    const calls: string[][] = [];
    let refusals = 1;
    const parked: StreamFailureRecord[] = [];
    const errors: string[] = [];
    const p = poller(
      setup,
      async ({ Records }) => {
        calls.push(Records.map(idOf));
        if (calls.length <= 2) throw new Error('publisher down');
        return { batchItemFailures: [] };
      },
      {
        maxAttempts: 2,
        onError: (e) => errors.push(e.message),
        onFailure: async (record) => {
          if (refusals-- > 0) throw new Error('queue down');
          parked.push(record);
        },
      },
    );
    expect(await p.poll()).toBe(0);
    expect(parked).toEqual([]);
    expect(errors.at(-1)).toContain('parking them failed: queue down');
    expect(await p.poll()).toBe(2);
    await p.stop();
    expect(calls).toEqual([setup.ids, setup.ids, setup.ids]);
  });
});

describe('stream poller timing', () => {
  it('reads at once when nudged (a write reached the table) instead of after its idle wait; a nudge with nothing new reads nothing', async () => {
    const setup = await tableWithEvents(0);
    const seen: { id: string; at: number }[] = [];
    const p = poller(
      setup,
      async ({ Records }) => {
        for (const r of Records) seen.push({ id: idOf(r), at: performance.now() });
        return { batchItemFailures: [] };
      },
      { intervalMs: 60_000 },
    );
    p.start();
    try {
      // The first pass finds the shard and nothing in it; the loop then waits a minute.
      await new Promise((r) => setTimeout(r, 500));
      p.nudge();
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toEqual([]);
      const [id] = await setup.write(1);
      const written = performance.now();
      p.nudge();
      // Well under the idle wait's minute, with room for a loaded runner's slow DynamoDB Local.
      while (seen.length === 0 && performance.now() - written < 20_000) await new Promise((r) => setTimeout(r, 10));
      expect(seen.map((s) => s.id)).toEqual([id]);
      expect(seen[0]!.at - written).toBeLessThan(20_000);
    } finally {
      await p.stop();
    }
  });
});
