import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEventBus, type BusEvent, type LocalRule, type OnFailureRecord } from '#infra/local/eventbridge/local-bus.ts';
import { PendingLog } from '#infra/local/eventbridge/pending-log.ts';
import { startLocalSqs, type LocalSqs } from '#infra/local/sqs.ts';

// The local bus's promise across crashes: an event PutEvents accepted is on disk before the
// answer, each rule's delivery is recorded when done, and a bus opened on the same folder
// delivers what a crash left owed; deliveries that keep failing go to the rule's on-failure
// queue (the local SQS, read back with the real SQS client).

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'crm-bus-'));
  dirs.push(dir);
  return dir;
};
let sqs: LocalSqs;
beforeAll(async () => {
  sqs = await startLocalSqs({ region: 'us-east-1' });
});
afterAll(async () => {
  await sqs.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const entry = (n: number, type = 'thing.created') => ({
  Source: 'crm',
  DetailType: type,
  Detail: JSON.stringify({ metadata: { event_id: `E${n}` }, data: { n } }),
});
const eventId = (e: BusEvent) => (e.detail as { metadata: { event_id: string } }).metadata.event_id;

/** A rule whose target records what it got; `behave` decides each call (throw to fail it). */
function recordingRule(name: string, behave: (e: BusEvent) => Promise<void> = async () => undefined) {
  const got: string[] = [];
  const rule: LocalRule = {
    name,
    pattern: { source: ['crm'] },
    target: async (e) => {
      got.push(eventId(e));
      await behave(e);
    },
  };
  return { rule, got };
}
const never = () => new Promise<void>(() => undefined);

describe('local bus across a crash', () => {
  it('delivers again, after a restart, only the (event, rule) pairs that had not finished', async () => {
    const dataDir = tempDir();
    const quick = recordingRule('quick');
    const stuck = recordingRule('stuck', never);
    const before = new LocalEventBus({ dataDir, rules: [quick.rule, stuck.rule] });
    const answer = before.put([entry(1), entry(2), { Source: 'crm', DetailType: 'x', Detail: '{' }]);
    expect(answer.FailedEntryCount).toBe(1);
    expect(readFileSync(join(dataDir, 'bus-pending.jsonl'), 'utf8')).toContain('"E2"');
    await new Promise((r) => setImmediate(r));
    expect(quick.got).toEqual(['E1', 'E2']);
    expect(stuck.got).toEqual(['E1', 'E2']);
    // The process dies here: "stuck" never finished. A new bus opens the same folder.
    const quickAgain = recordingRule('quick');
    const stuckAgain = recordingRule('stuck');
    const after = new LocalEventBus({ dataDir, rules: [quickAgain.rule] });
    after.addRule(stuckAgain.rule);
    await after.idle();
    expect(quickAgain.got).toEqual([]);
    expect(stuckAgain.got).toEqual(['E1', 'E2']);
    await after.close();
    const third = recordingRule('stuck');
    const once = new LocalEventBus({ dataDir, rules: [third.rule] });
    await once.close();
    expect(third.got).toEqual([]);
  });

  it('ignores a line torn by a kill in the middle of an append', async () => {
    const dataDir = tempDir();
    const stuck = recordingRule('r', never);
    new LocalEventBus({ dataDir, rules: [stuck.rule] }).put([entry(1)]);
    appendFileSync(join(dataDir, 'bus-pending.jsonl'), '{"e":{"version":"0","id":"half');
    const again = recordingRule('r');
    const bus = new LocalEventBus({ dataDir, rules: [again.rule] });
    await bus.close();
    expect(again.got).toEqual(['E1']);
  });

  it('retries a failing target with backoff, then parks the event in its on-failure queue as Lambda does', async () => {
    const dataDir = tempDir();
    const failing = recordingRule('fails', async () => {
      throw new TypeError('no such contact');
    });
    const logged: string[] = [];
    const bus = new LocalEventBus({
      dataDir,
      retryDelayMs: 1,
      onFailure: sqs,
      rules: [failing.rule],
      log: (l) => logged.push(l),
    });
    const [accepted] = bus.put([entry(7, 'deal.updated')]).Entries as { EventId: string }[];
    await bus.close();
    expect(failing.got).toEqual(['E7', 'E7', 'E7']);
    expect(logged).toEqual([expect.stringContaining('sent to crm-fails-on-failure')]);
    expect(bus.deadLetters).toMatchObject([{ rule: 'fails', queue: 'crm-fails-on-failure', error: 'no such contact' }]);
    const out = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: await sqs.queueUrl('crm-fails-on-failure'), MaxNumberOfMessages: 10 }),
    );
    expect(out.Messages).toHaveLength(1);
    const record = JSON.parse(out.Messages![0]!.Body!) as OnFailureRecord;
    expect(record).toMatchObject({
      version: '1.0',
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: { id: accepted!.EventId, 'detail-type': 'deal.updated', detail: { metadata: { event_id: 'E7' } } },
      responsePayload: { errorType: 'TypeError', errorMessage: 'no such contact' },
    });
    // Parked is done: a restart does not deliver it again.
    const again = recordingRule('fails');
    await new LocalEventBus({ dataDir, rules: [again.rule] }).close();
    expect(again.got).toEqual([]);
  });

  it('keeps the event owed when the on-failure queue cannot take it, and delivers it on the next start', async () => {
    const dataDir = tempDir();
    const failing = recordingRule('r', async () => {
      throw new Error('down');
    });
    const unreachable = {
      send: async () => {
        throw new Error('connect ECONNREFUSED');
      },
    };
    const logged: string[] = [];
    const bus = new LocalEventBus({
      dataDir,
      retryDelayMs: 1,
      onFailure: unreachable,
      rules: [failing.rule],
      log: (l) => logged.push(l),
    });
    bus.put([entry(3)]);
    await bus.close();
    expect(logged.at(-1)).toContain('could not park');
    const healed = recordingRule('r');
    await new LocalEventBus({ dataDir, rules: [healed.rule] }).close();
    expect(healed.got).toEqual(['E3']);
  });

  it('in memory (no data folder) still retries, and logs what it gives up on', async () => {
    let calls = 0;
    const logged: string[] = [];
    const bus = new LocalEventBus({
      retryDelayMs: 1,
      log: (l) => logged.push(l),
      rules: [
        {
          name: 'flaky',
          pattern: { 'detail-type': ['thing.created'] },
          target: async () => {
            if (++calls < 3) throw new Error('not yet');
          },
        },
        {
          name: 'broken',
          pattern: { 'detail-type': ['thing.created'] },
          maxAttempts: 2,
          target: async () => {
            throw new Error('always');
          },
        },
      ],
    });
    bus.put([entry(1)]);
    await bus.close();
    expect(calls).toBe(3);
    expect(bus.deadLetters).toMatchObject([{ rule: 'broken', error: 'always' }]);
    expect(logged).toEqual([expect.stringContaining('rule broken: thing.created failed 2 times: always')]);
  });
});

describe('pending log', () => {
  it('keeps only what is owed: rewritten on open, emptied once it grows past its size and nothing is owed', () => {
    const file = join(tempDir(), 'log.jsonl');
    const event = (id: string) => ({ id, payload: 'x'.repeat(200) });
    const log = new PendingLog<{ id: string }>(file, { compactBytes: 1_000 });
    log.accept([
      { event: event('a'), rules: ['r1', 'r2'] },
      { event: event('b'), rules: ['r1'] },
      { event: event('none'), rules: [] },
    ]);
    log.done('a', 'r1', 'delivered');
    log.close();
    const reopened = new PendingLog<{ id: string }>(file, { compactBytes: 1_000 });
    expect(reopened.pending().map((p) => [p.event.id, [...p.rules]])).toEqual([
      ['a', ['r2']],
      ['b', ['r1']],
    ]);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
    for (let i = 0; i < 5; i++) reopened.accept([{ event: event(`c${i}`), rules: ['r1'] }]);
    for (const id of ['a', 'b', 'c0', 'c1', 'c2', 'c3', 'c4']) reopened.done(id, id === 'a' ? 'r2' : 'r1', 'delivered');
    expect(reopened.pending()).toEqual([]);
    expect(statSync(file).size).toBeLessThan(1_000);
    reopened.close();
  });
});
