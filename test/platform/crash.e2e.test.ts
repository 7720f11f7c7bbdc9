import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#infra/build/bundle.ts';
import { readLocalEndpoints } from '#infra/local/endpoints.ts';
import type { BusEvent, OnFailureRecord } from '#infra/local/eventbridge/local-bus.ts';
import type { LocalCloud } from '#infra/local/cloud.ts';
import type { DevUser } from '#infra/local/seed.ts';
import { localSqsClient } from '#infra/local/sqs.ts';
import { createContactRoute, getContactRoute } from '#shared/contacts/routes.ts';
import { createDealRoute, getDealRoute, updateDealRoute } from '#shared/deals/routes.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { listPipelinesRoute, listStagesRoute } from '#shared/pipelines/routes.ts';
import { routeClient, type CallRoute } from '#shared/platform/http/client.ts';
import { startTestCloud } from '#test/helpers/local-cloud.ts';

// The local cloud's promise across crashes, as `npm start` runs it: a burst of deals marked
// won, a SIGKILL of the whole process group (DynamoDB Local's JVM included) in the middle,
// a restart on the same data, and then every committed change's consumer effect (the deal's
// contact becomes a customer, through outbox → stream → bus → contact-status) happens, and
// happens once. Then the other half of the promise: a consumer that throws gets the event in
// its on-failure queue, and `npm run redrive` replays it (from the queue, by id, by window).

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  // A failed or timed-out test must not leave a local cloud (and its JVM) running.
  for (const child of children) if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

/** `npm start` in its own process group, so that a kill of the group reaches the JVM too. */
function start(dataDir: string, args: string[] = []): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(process.execPath, ['infra/local/start.ts', ...args], {
    cwd: REPO_ROOT,
    detached: true,
    env: { ...process.env, CRM_DATA_DIR: dataDir, PORT: '0', SES_PORT: '0', WS_PORT: '0', POWERTOOLS_LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearInterval(timer);
        resolve(match[1]!);
      }
    }, 50);
    child.once('exit', (code, signal) => {
      clearInterval(timer);
      reject(new Error(`npm start exited (${code ?? signal}): ${output}`));
    });
  });
  url.catch(() => undefined);
  return { child, url };
}

function javaProcessesFor(dir: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout;
  return ps.split('\n').filter((line) => line.includes('DynamoDBLocal') && line.includes(dir));
}

async function killGroup(child: ChildProcess, dataDir: string): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
  for (const deadline = Date.now() + 10_000; javaProcessesFor(dataDir).length > 0;) {
    if (Date.now() > deadline) throw new Error(`DynamoDB Local survived the kill: ${javaProcessesFor(dataDir).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function clientAs(url: string, dataDir: string, email: string): CallRoute {
  const users = JSON.parse(readFileSync(join(dataDir, 'dev-users.json'), 'utf8')) as DevUser[];
  return routeClient({ baseUrl: url, token: users.find((u) => u.email === email)!.token });
}

async function ok<T>(answer: Promise<{ ok: boolean; status: number; body: unknown }>): Promise<T> {
  const res = await answer;
  if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
  return res.body as T;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs `fn` over `items`, `width` at a time. */
async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}

/** contact.updated outbox events per contact id, read from DynamoDB Local's table. */
async function contactUpdates(dataDir: string): Promise<Map<string, number>> {
  const local = readLocalEndpoints(dataDir);
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: local.dynamodb,
      region: local.region,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    }),
  );
  const counts = new Map<string, number>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: local.table,
        FilterExpression: 'kind = :kind AND event_type = :type',
        ExpressionAttributeValues: { ':kind': 'event', ':type': 'contact.updated' },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const id = (JSON.parse(item.event as string) as DomainEvent).metadata.resource_id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  client.destroy();
  return counts;
}

async function stagesOf(call: CallRoute): Promise<Record<string, string>> {
  const pipelines = await ok<{ items: { id: string }[] }>(call(listPipelinesRoute, {}));
  const stages = await ok<{ items: { id: string; name: string }[] }>(
    call(listStagesRoute, { query: { pipeline_id: pipelines.items[0]!.id } }),
  );
  return Object.fromEntries(stages.items.map((s) => [s.name, s.id]));
}

type Contact = { id: string; prospect_status: string; customer_status: string; version: number };

describe('the local cloud killed in the middle of a burst of writes', () => {
  const DEALS = 30;

  it('delivers every committed change once after a restart on the same data', async () => {
    const dataDir = tempDir('crm-crash-');
    const first = start(dataDir, ['--fresh']);
    const call = clientAs(await first.url, dataDir, 'rep1@example.com');
    const stages = await stagesOf(call);
    const pairs: { contact: string; deal: string }[] = [];
    await pool(
      Array.from({ length: DEALS }, (_, i) => i),
      6,
      async (i) => {
        const contact = await ok<{ id: string }>(call(createContactRoute, { body: { last_name: `Crash ${i}` } }));
        const deal = await ok<{ id: string }>(call(createDealRoute, { body: { name: `Deal ${i}`, contact_id: contact.id } }));
        pairs.push({ contact: contact.id, deal: deal.id });
      },
    );
    // Every contact is a prospect (version 2) before the burst.
    for (const { contact } of pairs) {
      await until(`contact ${contact} to be a prospect`, async () => {
        const c = await ok<Contact>(call(getContactRoute, { params: { id: contact } }));
        return c.prospect_status === 'current' ? c : undefined;
      });
    }

    // The burst: every deal won, six at a time; the kill lands after half were acknowledged,
    // with writes in flight and events between the table, the stream, the bus and the consumer.
    const acknowledged = new Set<string>();
    let killed: Promise<void> | undefined;
    await pool(pairs, 6, async ({ deal }) => {
      if (killed) return;
      const answer = await call(updateDealRoute, { params: { id: deal }, body: { stage_id: stages.Won! } }).catch(
        () => undefined,
      );
      if (answer?.ok) acknowledged.add(deal);
      if (acknowledged.size >= DEALS / 2) killed ??= killGroup(first.child, dataDir);
    });
    await killed;
    expect(javaProcessesFor(dataDir)).toEqual([]);

    const second = start(dataDir);
    try {
      const again = clientAs(await second.url, dataDir, 'rep1@example.com');
      const won = new Set<string>();
      for (const { deal } of pairs) {
        const d = await ok<{ stage_id: string }>(again(getDealRoute, { params: { id: deal } }));
        if (d.stage_id === stages.Won) won.add(deal);
      }
      // Committed: what the table holds after the restart. Not quite every acknowledged write:
      // DynamoDB Local answers a moment before its SQLite commit, so a kill right after an
      // answer can lose that write (DynamoDB itself is durable once it answers).
      expect(won.size).toBeGreaterThan(acknowledged.size / 2);
      expect(won.size).toBeLessThan(DEALS);

      for (const { contact, deal } of pairs) {
        if (!won.has(deal)) continue;
        await until(`contact ${contact} of won deal ${deal} to become a customer`, async () => {
          const c = await ok<Contact>(again(getContactRoute, { params: { id: contact } }));
          return c.customer_status === 'current' ? c : undefined;
        });
      }
      // Let any duplicate delivery land before counting.
      await new Promise((r) => setTimeout(r, 2_000));
      const updates = await contactUpdates(dataDir);
      for (const { contact, deal } of pairs) {
        const c = await ok<Contact>(again(getContactRoute, { params: { id: contact } }));
        const expected = won.has(deal)
          ? { customer_status: 'current', prospect_status: 'none', version: 3 }
          : { customer_status: 'none', prospect_status: 'current', version: 2 };
        expect({ contact, ...c }).toMatchObject({ contact, ...expected });
        // One contact.updated for becoming a prospect, and one for becoming a customer.
        expect({ contact, updates: updates.get(contact) }).toEqual({ contact, updates: won.has(deal) ? 2 : 1 });
      }
    } finally {
      await killGroup(second.child, dataDir);
    }
  }, 150_000);
});

describe('a consumer that throws', () => {
  it('parks the event in its on-failure queue, and npm run redrive replays it: the effect happens once', async () => {
    const dataDir = tempDir('crm-redrive-');
    let healthy = false;
    const deliveries: string[] = [];
    const effects = new Map<string, number>();
    // A consumer like the real ones: dedupes on event_id, and throws while its dependency is down.
    const handled = new Set<string>();
    const target = async (event: BusEvent) => {
      const id = (event.detail as DomainEvent).metadata.event_id;
      deliveries.push(id);
      if (!healthy) throw new Error('mail server down');
      if (handled.has(id)) return;
      handled.add(id);
      effects.set(id, (effects.get(id) ?? 0) + 1);
    };
    const { cloud, users } = await startTestCloud({
      dataDir,
      extraRules: [{ name: 'won-deal-mailer', pattern: { source: ['crm'], 'detail-type': ['deal.stage_changed'] }, target }],
    });
    try {
      const rep = users.find((u) => u.email === 'rep1@example.com')!;
      const call = routeClient({ baseUrl: cloud.url, token: rep.token });
      const stages = await stagesOf(call);
      const began = new Date();
      const contact = await ok<{ id: string }>(call(createContactRoute, { body: { last_name: 'Redrive' } }));
      const deal = await ok<{ id: string }>(call(createDealRoute, { body: { name: 'Redrive', contact_id: contact.id } }));
      await ok(call(updateDealRoute, { params: { id: deal.id }, body: { stage_id: stages.Won! } }));

      const record = await onFailureRecord(cloud, `${cloud.names.eventBusName}-won-deal-mailer-on-failure`);
      expect(record).toMatchObject({
        requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
        requestPayload: { 'detail-type': 'deal.stage_changed', detail: { metadata: { resource_id: deal.id } } },
        responsePayload: { errorMessage: 'mail server down' },
      });
      const eventId = (record.requestPayload.detail as DomainEvent).metadata.event_id;
      expect(deliveries).toEqual([eventId, eventId, eventId]);
      expect(effects.size).toBe(0);
      const customer = await until('the contact to become a customer', async () => {
        const c = await ok<Contact>(call(getContactRoute, { params: { id: contact.id } }));
        return c.customer_status === 'current' ? c : undefined;
      });
      await cloud.bus.idle();
      const updatesBefore = (await contactUpdates(dataDir)).get(contact.id);

      healthy = true;
      const queue = `${cloud.names.eventBusName}-won-deal-mailer-on-failure`;
      const listed = await redrive(dataDir, ['--queue', queue, '--dry-run']);
      expect(listed.code, listed.output).toBe(0);
      expect(JSON.parse(listed.stdout)).toMatchObject({ messages: 1, deleted: 0, redrives: [{ found: 1, published: 0 }] });
      expect(await queueDepth(cloud, queue)).toBe(1);
      expect(effects.size).toBe(0);

      const replay = await redrive(dataDir, ['--queue', queue]);
      expect(replay.code, replay.output).toBe(0);
      expect(JSON.parse(replay.stdout)).toMatchObject({
        messages: 1,
        deleted: 1,
        unreadable_message_ids: [],
        redrives: [{ found: 1, published: 1, failed_event_ids: [], missing_event_ids: [] }],
      });
      expect(await queueDepth(cloud, queue)).toBe(0);
      await until('the redriven event to reach the consumer', async () => (effects.get(eventId) ? true : undefined), 10_000);
      const byId = await redrive(dataDir, ['--event-id', eventId]);
      expect(byId.code, byId.output).toBe(0);
      expect(JSON.parse(byId.stdout)).toMatchObject({ found: 1, published: 1 });

      // A window replays everything since the deal was created: each consumer sees its events
      // again, and no effect happens twice (contact-status recomputes; the mailer dedupes).
      const window = await redrive(dataDir, ['--from', began.toISOString(), '--to', new Date().toISOString()]);
      expect(window.code, window.output).toBe(0);
      expect(JSON.parse(window.stdout).published).toBeGreaterThanOrEqual(4);
      await until('the window to reach the consumer', async () => (deliveries.length >= 6 ? true : undefined), 10_000);
      await cloud.bus.idle();
      expect([...effects]).toEqual([[eventId, 1]]);
      const after = await ok<Contact>(call(getContactRoute, { params: { id: contact.id } }));
      expect(after).toMatchObject({ customer_status: 'current', version: customer.version });
      expect((await contactUpdates(dataDir)).get(contact.id)).toBe(updatesBefore);
    } finally {
      await cloud.stop();
    }
  }, 120_000);
});

/** The first message of an on-failure queue, read (and left visible) with the real SQS client. */
async function onFailureRecord(cloud: LocalCloud, queue: string): Promise<OnFailureRecord> {
  const sqs = localSqsClient(cloud.sqs.endpoint, cloud.sqs.region);
  const QueueUrl = await cloud.sqs.queueUrl(queue);
  const body = await until(`a message in ${queue}`, async () => {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 0 }));
    return out.Messages?.[0]?.Body;
  });
  sqs.destroy();
  return JSON.parse(body) as OnFailureRecord;
}

/** Messages in a queue, visible or not (GetQueueAttributes). */
async function queueDepth(cloud: LocalCloud, queue: string): Promise<number> {
  const sqs = localSqsClient(cloud.sqs.endpoint, cloud.sqs.region);
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: await cloud.sqs.queueUrl(queue),
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  sqs.destroy();
  return Number(out.Attributes?.ApproximateNumberOfMessages) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible);
}

/** `npm run redrive -- --local ...` against the local cloud of `dataDir`, in its own process. */
function redrive(dataDir: string, args: string[]): Promise<{ code: number | null; stdout: string; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'redrive', '--', '--local', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, CRM_DATA_DIR: dataDir, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (c: Buffer) => ((stdout += c.toString()), (output += c.toString())));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout, output }));
  });
}
