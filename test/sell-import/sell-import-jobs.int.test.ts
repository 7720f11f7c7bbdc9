import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import type { DomainEvent, EventContext } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { callContext, systemClock, type Call } from '#shared/kernel/ports.ts';
import { SecretDerivedSealer } from '#shared/mailboxes/sealer.ts';
import type { Item, Table } from '#shared/platform/dynamodb/table.ts';
import { recordIdOf } from '#shared/platform/dynamodb/sell-ids.ts';
import { SELL_IMPORT_SLICE_MS, type SellImportMessage } from '#shared/sell-import/domain.ts';
import { DynamoSellImportJobs, sellImportKey } from '#shared/sell-import/dynamodb.ts';
import {
  cancelSellImport,
  getSellImport,
  listSellImports,
  SELL_IMPORTS_LISTED,
  runSellImportSlice,
  startSellImport,
  type SellImportJobsDeps,
} from '#shared/sell-import/jobs.ts';
import { sellImportAdapters } from '#shared/sell-import/runtime.ts';
import { SellClient } from '#shared/sell-import/sell-client.ts';
import type { SellSource } from '#shared/sell-import/ports.ts';
import { makeUser, principalOf } from '#test/helpers/fakes.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';
import { sellAccount, startSellStandIn, type SellAccount, type SellStandIn } from './sell-stand-in.ts';

// The admin-started Sell import as the worker runs it, on DynamoDB Local against the loopback
// stand-in: the token stored sealed only, the job run in slices of SELL_IMPORT_SLICE_MS each
// queueing the next, a duplicate message leaving while the lease is held, a slice whose lease
// was taken over stopping at its next checkpoint, cancel, a refused token failing the job, and
// at the end the report and sell_import.finished for the admin.

const TOKEN = 'c'.repeat(64);
const admin = makeUser(newId(), { role: 'admin', email: 'ada@sell-jobs.test' });
const rep = makeUser(newId(), { email: 'rita@sell-jobs.test' });

let table: Table;
let account: SellAccount;
let standIn: SellStandIn;
let deps: SellImportJobsDeps;
const queued: SellImportMessage[] = [];
/** The slice budget's clock: every look at it is 10 s later (three pages a slice). */
let ticks = 0;

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName);
  const users = new DynamoUserRepository(table);
  await users.create(admin, []);
  await users.create(rep, []);
  account = sellAccount(60, { known: [admin.email, rep.email], unknown: 'gone@sell-jobs.test' });
  standIn = await startSellStandIn(account, TOKEN);
  deps = {
    jobs: new DynamoSellImportJobs(table),
    queue: { send: async (message) => void queued.push(message) },
    // A real sealer without KMS (the deployment's seals under the KMS credentials key: sealer.int.test.ts).
    sealer: new SecretDerivedSealer({ load: async () => ({ current: 'sell-jobs-test-secret' }) }),
    baseUrl: standIn.baseUrl,
    // Sell's pacing on a virtual clock (sell-client.test.ts shows the real one).
    source: (token, baseUrl) => {
      let now = Date.now();
      return new SellClient({ baseUrl, token, now: () => now, sleep: async (ms) => void (now += ms) });
    },
    engine: (source, store) => sellImportAdapters(source, store),
    clock: systemClock,
    elapsed: () => (ticks += 10_000),
  };
}, 60_000);
afterAll(() => standIn?.close());

const call = (user = admin): Call => callContext(principalOf(user), 'sell-jobs', systemClock, () => newId());
const events = (): EventContext => ({ actor_id: 'system', correlation_id: 'worker', now: new Date(), newId });

async function outbox(type: string): Promise<DomainEvent[]> {
  const out = await table.client.send(
    new ScanCommand({
      TableName: table.name,
      FilterExpression: '#kind = :kind',
      ExpressionAttributeNames: { '#kind': 'kind' },
      ExpressionAttributeValues: { ':kind': 'event' },
      ConsistentRead: true,
    }),
  );
  return ((out.Items ?? []) as Item[])
    .map((i) => JSON.parse(String(i.event)) as DomainEvent)
    .filter((e) => e.metadata.event_type === type);
}

describe('the admin-started Sell import', () => {
  it('is for admins only', async () => {
    await expect(startSellImport(deps, call(rep), { token: TOKEN })).rejects.toMatchObject({ code: 'forbidden' });
    expect(queued).toEqual([]);
  });

  it('runs in slices under a lease, each queueing the next, to a finished report; duplicates leave', async () => {
    const started = await startSellImport(deps, call(), { token: TOKEN });
    expect(started).toMatchObject({ status: 'queued', creator_id: admin.id, pages: 0, report: {} });
    expect(queued).toEqual([{ import_id: started.id }]);
    // The token is stored sealed only.
    const raw = await table.get(sellImportKey(started.id));
    expect(JSON.stringify(raw)).not.toContain(TOKEN);
    expect(raw?.sealed_token).toEqual(expect.any(String));
    expect((await outbox('sell_import.created')).map((e) => e.metadata.resource_id)).toEqual([started.id]);

    // A duplicate of the message while a slice holds the lease leaves at once.
    const jobs = deps.jobs;
    const now = Date.now();
    expect(await jobs.acquire(started.id, 'slice-a', now, now + 60_000)).toBe(true);
    const requests = standIn.requests.length;
    expect(await runSellImportSlice(deps, events(), started.id, 'duplicate')).toBe('busy');
    expect(standIn.requests.length).toBe(requests);
    await jobs.release(started.id, 'slice-a');

    // Drain the queue as the worker would: each slice reads a few pages, then queues the rest.
    const outcomes: string[] = [];
    while (queued.length > 0 && outcomes.length < 200) {
      const message = queued.shift()!;
      outcomes.push(await runSellImportSlice(deps, events(), message.import_id, newId()));
      if (outcomes.length === 3) {
        const midway = await getSellImport(deps, call(), started.id);
        expect(midway.status).toBe('running');
        expect(midway.pages).toBeGreaterThan(0);
      }
    }
    expect(outcomes.at(-1)).toBe('finished');
    expect(outcomes.slice(0, -1).every((o) => o === 'continued')).toBe(true);
    expect(outcomes.length).toBeGreaterThan(3);

    const done = await getSellImport(deps, call(), started.id);
    expect(done.status).toBe('finished');
    expect(done.finished_at).toEqual(expect.any(String));
    expect(done.report.leads).toMatchObject({ imported: account.leads.length, skipped: 0 });
    expect(done.report.users).toMatchObject({ imported: 2, skipped: 1 });
    expect(done.report.users!.examples[0]!.reason).toMatch(/invite them first/);
    expect(await recordIdOf(table, 'lead', account.leads[0]!.id as number)).toEqual(expect.any(String));
    // Ended: the sealed token and the lease are gone; the admin is told.
    const item = await table.get(sellImportKey(started.id));
    expect(item?.sealed_token).toBeUndefined();
    expect(item?.lease_holder).toBeUndefined();
    const finished = await outbox('sell_import.finished');
    expect(finished).toHaveLength(1);
    expect(finished[0]!.metadata.actor_id).toBe(admin.id);
    expect(finished[0]!.data).toMatchObject({ creator_id: admin.id, owner_id: admin.id, status: 'finished' });
    // A message delivered again after the end does nothing.
    expect(await runSellImportSlice(deps, events(), started.id, newId())).toBe('skipped');
    expect(queued).toEqual([]);
    // The whole stand-in account (about 550 records) through the families' use cases, on a
    // DynamoDB Local the other integration files share: minutes when CI runs them all.
  }, 300_000);

  it('stops a slice whose lease another took over at its next checkpoint, writing nothing more', async () => {
    const job = await startSellImport(deps, call(), { token: TOKEN });
    queued.length = 0;
    // The slice's lease is taken over (as after it outlived it) once it has read its first page.
    const jobs = deps.jobs;
    const stealing: SellImportJobsDeps = {
      ...deps,
      engine: (source, store) => {
        const stolen: SellSource = {
          get requests() {
            return source.requests;
          },
          page: async (url) => {
            const page = await source.page(url);
            await jobs.acquire(job.id, 'thief', Date.now() + 10 * 60_000, Date.now() + 20 * 60_000);
            return page;
          },
        };
        return sellImportAdapters(stolen, store);
      },
    };
    expect(await runSellImportSlice(stealing, events(), job.id, 'slow')).toBe('lost');
    expect(queued).toEqual([]);
    expect((await table.get(sellImportKey(job.id)))?.lease_holder).toBe('thief');
  });

  it('cancels a running import (its token removed) and refuses to cancel it twice', async () => {
    const job = await startSellImport(deps, call(), { token: TOKEN });
    queued.length = 0;
    const cancelled = await cancelSellImport(deps, call(), job.id);
    expect(cancelled.status).toBe('cancelled');
    expect((await table.get(sellImportKey(job.id)))?.sealed_token).toBeUndefined();
    expect(await runSellImportSlice(deps, events(), job.id, newId())).toBe('skipped');
    await expect(cancelSellImport(deps, call(), job.id)).rejects.toMatchObject({ code: 'conflict' });
    await expect(getSellImport(deps, call(rep), job.id)).rejects.toMatchObject({ code: 'forbidden' });
    expect((await outbox('sell_import.cancelled')).map((e) => e.metadata.resource_id)).toContain(job.id);
  });

  it('fails the job when Sell refuses the token, saying why', async () => {
    const job = await startSellImport(deps, call(), { token: 'd'.repeat(64) });
    queued.length = 0;
    expect(await runSellImportSlice(deps, events(), job.id, newId())).toBe('failed');
    const failed = await getSellImport(deps, call(), job.id);
    expect(failed).toMatchObject({ status: 'failed', failure_reason: expect.stringContaining('401') });
    expect(queued).toEqual([]);
    expect(SELL_IMPORT_SLICE_MS).toBeGreaterThan(10_000);
  });

  it('lists the newest imports first for admins only, without their tokens', async () => {
    const first = await startSellImport(deps, call(), { token: TOKEN });
    const second = await startSellImport(deps, call(), { token: TOKEN });
    queued.length = 0;
    const { items } = await listSellImports(deps, call());
    const ids = items.map((i) => i.id);
    expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
    expect(ids.indexOf(first.id)).toBeGreaterThanOrEqual(0);
    expect(items.length).toBeLessThanOrEqual(SELL_IMPORTS_LISTED);
    expect(JSON.stringify(items)).not.toContain('sealed_token');
    await expect(listSellImports(deps, call(rep))).rejects.toMatchObject({ code: 'forbidden' });
  });
});
