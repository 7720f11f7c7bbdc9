import { beforeAll, describe, expect, it } from 'vitest';
import { TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import { batchesOf, rowRecordId, type ImportJob, type ImportMessage } from '#shared/imports/domain.ts';
import { DynamoImportRepository } from '#shared/imports/dynamodb.ts';
import type { ImportFiles } from '#shared/imports/ports.ts';
import { importTargets } from '#shared/imports/runtime.ts';
import { importBatch, ROW_CONCURRENCY, type ImportsDeps } from '#shared/imports/use-cases.ts';
import { newId } from '#shared/kernel/ids.ts';
import { systemClock } from '#shared/kernel/ports.ts';
import { CursorCodec } from '#shared/platform/dynamodb/cursor.ts';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { userKey } from '#shared/platform/dynamodb/keys.ts';
import { allocateSellIds, recordIdOf, sellOfKey, sellSequenceKey } from '#shared/platform/dynamodb/sell-ids.ts';
import { Table } from '#shared/platform/dynamodb/table.ts';
import { makeUser } from '#test/helpers/fakes.ts';
import { TEST_CURSOR_SECRET, useTestTable } from '#test/helpers/table.ts';

// An import's batches against DynamoDB Local, through the real targets (the families' use
// cases and repositories): the owners are checked once per batch, so rows of one owner written
// in parallel (and two batches at once) share no item: no row's transaction checks the
// owner's user item, none is tried again, and the batch takes its Sell ids in one update.

const admin = makeUser(newId(), { role: 'admin' });
const rep = makeUser(newId());
const gone = makeUser(newId(), { status: 'inactive' });

/** What the table's client was sent: each transaction's items, and the Sell id counter updates. */
const sent = { transactions: [] as Record<string, unknown>[][], sellCounterUpdates: 0 };
let table: Table;
let deps: ImportsDeps;

/** The document client, recording what it sends. */
function recording(client: DynamoDBDocumentClient): DynamoDBDocumentClient {
  return new Proxy(client, {
    get(target, property) {
      if (property === 'send') {
        return (command: unknown) => {
          if (command instanceof TransactWriteCommand) {
            sent.transactions.push((command.input.TransactItems ?? []) as Record<string, unknown>[]);
          }
          if (command instanceof UpdateCommand && String(command.input.Key?.pk).startsWith(sellSequenceKey('lead').pk)) {
            sent.sellCounterUpdates++;
          }
          return target.send(command as never);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const noFiles: ImportFiles = {
  uploadUrl: async () => '',
  downloadUrl: async () => '',
  read: async () => undefined,
  put: async () => undefined,
};

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = new Table({
    client: recording(dynamoDocumentClient()),
    name: tableName,
    cursors: new CursorCodec(TEST_CURSOR_SECRET),
  });
  const users = new DynamoUserRepository(table);
  for (const u of [admin, rep, gone]) await users.create(u, []);
  deps = {
    imports: new DynamoImportRepository(table),
    files: noFiles,
    queue: { send: async () => undefined },
    targets: importTargets(table),
    clock: systemClock,
  };
});

/** The columns of the leads files here, and what each maps to. */
const LEAD_MAPPING = { 'Last Name': 'last_name', Email: 'email', Owner: 'owner_email' };

/** A running import of `rows` (as the plan leaves it) and its batch messages. */
async function runningImport(
  rows: string[][],
  mapping: Record<string, string> = LEAD_MAPPING,
): Promise<{ job: ImportJob; batches: (ImportMessage & { type: 'batch' })[] }> {
  const at = new Date().toISOString();
  const job: ImportJob = {
    id: newId(),
    resource: 'leads',
    filename: 'leads.csv',
    status: 'awaiting_upload',
    creator_id: admin.id,
    mapping: null,
    columns: null,
    match_by_email: false,
    run_automations: false,
    total_rows: null,
    batches: null,
    batches_done: 0,
    created: 0,
    updated: 0,
    failed: 0,
    created_at: at,
    updated_at: at,
    finished_at: null,
  };
  const repo = deps.imports;
  await repo.create(job, []);
  const columns = Object.keys(mapping);
  await repo.start(
    job.id,
    {
      mapping,
      columns,
      match_by_email: false,
      run_automations: false,
    },
    at,
  );
  const batches = [...batchesOf(job.id, rows)];
  await repo.planned(job.id, { total_rows: rows.length, batches: batches.length }, at);
  return { job: (await repo.get(job.id))!, batches };
}

const events = () => ({ actor_id: 'system', correlation_id: 'test', now: new Date(), newId });
const leadWrites = () => sent.transactions.filter((items) => JSON.stringify(items).includes('"kind":"lead"'));
const checksOn = (userId: string) =>
  sent.transactions
    .flat()
    .filter(
      (item) => JSON.stringify((item.ConditionCheck as { Key?: unknown } | undefined)?.Key) === JSON.stringify(userKey(userId)),
    );

describe('an import batch on DynamoDB Local', () => {
  it("writes two batches of one owner's rows at once with no check on the owner in any row, no retry, one Sell id update each", async () => {
    const rows = Array.from({ length: 200 }, (_, i) => [`Parallel ${i + 1}`, `p${i + 1}@example.com`, rep.email]);
    const { job, batches } = await runningImport(rows);
    expect(batches).toHaveLength(2);
    sent.transactions.length = 0;
    sent.sellCounterUpdates = 0;
    const results = await Promise.all(batches.map((b) => importBatch(deps, events(), b)));
    expect(results.map((r) => [r?.created, r?.failed])).toEqual([
      [100, 0],
      [100, 0],
    ]);
    // ROW_CONCURRENCY rows of the same owner in flight in each batch, yet one transaction a row.
    expect(ROW_CONCURRENCY).toBeGreaterThan(1);
    expect(leadWrites()).toHaveLength(200);
    expect(checksOn(rep.id)).toEqual([]);
    expect(sent.sellCounterUpdates).toBe(2);
    expect(await deps.imports.get(job.id)).toMatchObject({ status: 'finished', created: 200, failed: 0, batches_done: 2 });
    const lead = await table.get({ pk: `lead#${rowRecordId(job.id, 150)}`, sk: 'lead' });
    expect(lead).toMatchObject({ owner_id: rep.id, last_name: 'Parallel 150' });
    // Every row took its own Sell id from the batches' reservations.
    const numbers = await table.getMany(rows.map((_, i) => sellOfKey('lead', rowRecordId(job.id, i + 1))));
    expect(new Set(numbers.map((n) => n.sell_id)).size).toBe(200);
    // 200 rows on the DynamoDB Local every integration file shares: minutes when CI runs them all.
  }, 300_000);

  it('refuses the rows of a deactivated owner one by one and writes the others; the other checks stay', async () => {
    const rows = [
      ['Kept', 'kept@example.com', rep.email],
      ['Refused', 'refused@example.com', gone.email],
      ['Kept too', 'kept2@example.com', ''],
    ];
    const { job, batches } = await runningImport(rows);
    const result = await importBatch(deps, events(), batches[0]!);
    expect(result).toMatchObject({ created: 2, failed: 1 });
    expect(result!.errors.map(({ row, column, reason }) => ({ row, column, reason }))).toEqual([
      { row: 2, column: 'Owner', reason: `no active user has the e-mail ${gone.email}` },
    ]);
    expect(await table.get({ pk: `lead#${rowRecordId(job.id, 2)}`, sk: 'lead' })).toBeUndefined();
    expect(await table.get({ pk: `lead#${rowRecordId(job.id, 3)}`, sk: 'lead' })).toMatchObject({ owner_id: admin.id });
  });

  it("keeps a Sell export's ids: the sequence moves past them first, and a number held already fails its row alone", async () => {
    const mapping = { ...LEAD_MAPPING, ID: 'sell_id' };
    const base = (await allocateSellIds(table, 'lead', 1)) + 1_000_000; // past every number this file's other tests drew
    const rows = [
      ['Sell one', 'sell1@example.com', rep.email, String(base + 1)],
      ['Numbered here', 'here1@example.com', rep.email, ''],
      ['Sell two', 'sell2@example.com', '', String(base + 2)],
    ];
    const first = await runningImport(rows, mapping);
    expect(await importBatch(deps, events(), first.batches[0]!)).toMatchObject({ created: 3, failed: 0 });
    expect(await recordIdOf(table, 'lead', base + 1)).toBe(rowRecordId(first.job.id, 1));
    expect(await recordIdOf(table, 'lead', base + 2)).toBe(rowRecordId(first.job.id, 3));
    // The row without a number drew one past the file's: the sequence had moved first.
    const drawn = (await table.get(sellOfKey('lead', rowRecordId(first.job.id, 2))))!.sell_id as number;
    expect(drawn).toBe(base + 3);

    // The same file again: its numbered rows fail on their taken numbers; nothing is doubled.
    const again = await runningImport(rows, mapping);
    const result = await importBatch(deps, events(), again.batches[0]!);
    expect(result).toMatchObject({ created: 1, failed: 2 });
    expect(result!.errors.map(({ row, reason }) => [row, reason])).toEqual([
      [1, `Sell id ${base + 1} of a lead is taken here`],
      [3, `Sell id ${base + 2} of a lead is taken here`],
    ]);
    expect(await table.get({ pk: `lead#${rowRecordId(again.job.id, 1)}`, sk: 'lead' })).toBeUndefined();
    expect(await recordIdOf(table, 'lead', base + 1)).toBe(rowRecordId(first.job.id, 1));
  });
});
