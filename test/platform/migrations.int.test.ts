import { beforeAll, describe, expect, it } from 'vitest';
import { GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoActivityStore, DynamoRecordStates } from '#shared/activities/dynamodb.ts';
import { activityFeedBackfill } from '#shared/activities/runtime.ts';
import { recordActivity } from '#shared/activities/use-cases.ts';
import { contactIndex } from '#shared/contacts/dynamodb.ts';
import { dealIndex } from '#shared/deals/dynamodb.ts';
import { leadIndex } from '#shared/leads/dynamodb.ts';
import { noteIndex, noteKey } from '#shared/notes/dynamodb.ts';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import { indexKeys } from '#shared/platform/dynamodb/partitions.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { DynamoMigrationStore, migrationKey } from '#shared/platform/migrations/dynamodb.ts';
import { MIGRATION_CONTINUE_EVENT, runMigrations, type Migration } from '#shared/platform/migrations/runner.ts';
import { taskIndex, taskKey } from '#shared/tasks/dynamodb.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';
import { event } from '#test/activities/events.ts';

// The migration runner on DynamoDB Local: runs once, resumes from its checkpoint after a
// crash, never lets two concurrent runs both do a chunk; and the first migration, the
// activity feed's backfill, writes the same items however often and in however many runs.

let table: Table;
const client = () => dynamoDocumentClient();

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName);
});

/** A migration of `chunks` steps; each adds 1 to a counter (not idempotent: a double run shows). */
function counting(id: string, chunks: number, options: { crashAt?: number; delayMs?: number } = {}) {
  const calls: (string | null)[] = [];
  const migration: Migration = {
    id,
    description: 'test',
    step: async (checkpoint) => {
      calls.push(checkpoint);
      const n = checkpoint === null ? 0 : Number(checkpoint);
      if (options.crashAt === n) {
        options.crashAt = undefined;
        throw new Error('simulated crash');
      }
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      await client().send(
        new UpdateCommand({
          TableName: table.name,
          Key: { pk: `counter#${id}`, sk: `chunk#${n}` },
          UpdateExpression: 'ADD #n :one',
          ExpressionAttributeNames: { '#n': 'n' },
          ExpressionAttributeValues: { ':one': 1 },
        }),
      );
      return n + 1 < chunks ? String(n + 1) : null;
    },
  };
  return { migration, calls };
}

async function counts(id: string): Promise<number[]> {
  const out = await client().send(
    new QueryCommand({
      TableName: table.name,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `counter#${id}` },
    }),
  );
  return (out.Items ?? []).map((i) => Number(i.n));
}

describe('the migration runner', () => {
  it('runs a migration to the end once, and never again', async () => {
    const store = new DynamoMigrationStore(table);
    const { migration, calls } = counting('once', 4);
    expect(await runMigrations(store, [migration], { holder: 'a', leaseMs: 60_000 })).toEqual([
      { id: 'once', outcome: 'done', chunks: 4 },
    ]);
    expect(await runMigrations(store, [migration], { holder: 'b', leaseMs: 60_000 })).toEqual([
      { id: 'once', outcome: 'already_done', chunks: 0 },
    ]);
    expect(calls).toEqual([null, '1', '2', '3']);
    expect(await counts('once')).toEqual([1, 1, 1, 1]);
    expect(await store.get('once')).toMatchObject({ status: 'done', chunks: 4 });
  });

  it('resumes from the checkpoint after a crash, once the crashed run’s lease has ended', async () => {
    let clock = 1_000_000;
    const store = new DynamoMigrationStore(table, () => clock);
    const { migration, calls } = counting('crash', 5, { crashAt: 2 });
    await expect(runMigrations(store, [migration], { holder: 'first', leaseMs: 60_000, now: () => clock })).rejects.toThrow(
      'simulated crash',
    );
    expect(await store.get('crash')).toMatchObject({ status: 'running', checkpoint: '2', chunks: 2 });
    // The crashed run's lease still holds: another run leaves it alone.
    expect(await runMigrations(store, [migration], { holder: 'second', leaseMs: 60_000, now: () => clock })).toEqual([
      { id: 'crash', outcome: 'busy', chunks: 0 },
    ]);
    clock += 61_000;
    expect(await runMigrations(store, [migration], { holder: 'second', leaseMs: 60_000, now: () => clock })).toEqual([
      { id: 'crash', outcome: 'done', chunks: 3 },
    ]);
    // Chunks 0 and 1 ran once; chunk 2 was retried (it crashed before its write); none twice.
    expect(calls).toEqual([null, '1', '2', '2', '3', '4']);
    expect(await counts('crash')).toEqual([1, 1, 1, 1, 1]);
  });

  it('lets one of two concurrent runs do the work: no chunk runs twice', async () => {
    const store = new DynamoMigrationStore(table);
    const { migration, calls } = counting('race', 6, { delayMs: 5 });
    const reports = await Promise.all(
      ['a', 'b', 'c'].map((holder) => runMigrations(store, [migration], { holder, leaseMs: 60_000 })),
    );
    const outcomes = reports.map((r) => r[0]?.outcome).sort();
    expect(outcomes.filter((o) => o === 'done')).toHaveLength(1);
    expect(outcomes.every((o) => o === 'done' || o === 'busy' || o === 'already_done')).toBe(true);
    expect(calls).toHaveLength(6);
    expect(await counts('race')).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('pauses at its deadline, asks for a continuation through the outbox, and the next run goes on', async () => {
    let clock = 5_000_000;
    const store = new DynamoMigrationStore(table, () => clock);
    const { migration } = counting('paused', 3);
    const slow: Migration = {
      ...migration,
      step: async (c) => {
        const next = await migration.step(c);
        clock += 1000;
        return next;
      },
    };
    const first = await runMigrations(store, [slow], { holder: 'a', leaseMs: 60_000, deadline: clock + 1500, now: () => clock });
    expect(first).toEqual([{ id: 'paused', outcome: 'paused', chunks: 2 }]);
    const outbox = await client().send(
      new ScanCommand({
        TableName: table.name,
        FilterExpression: 'event_type = :t',
        ExpressionAttributeValues: { ':t': MIGRATION_CONTINUE_EVENT },
      }),
    );
    expect(outbox.Items?.map((i) => JSON.parse(String(i.event)).data)).toContainEqual({ migration_id: 'paused' });
    // The lease was dropped: a run at once (the continuation) takes over.
    expect(await runMigrations(store, [slow], { holder: 'b', leaseMs: 60_000, now: () => clock })).toEqual([
      { id: 'paused', outcome: 'done', chunks: 1 },
    ]);
    expect(await counts('paused')).toEqual([1, 1, 1]);
  });

  it('stops at the first migration not complete: later ones wait for it', async () => {
    const clock = 9_000_000;
    const store = new DynamoMigrationStore(table, () => clock);
    await client().send(
      new PutCommand({
        TableName: table.name,
        Item: { ...migrationKey('held'), status: 'running', lease_holder: 'x', lease_until: clock + 10_000, chunks: 0 },
      }),
    );
    const later = counting('after-held', 1);
    const reports = await runMigrations(store, [counting('held', 1).migration, later.migration], {
      holder: 'y',
      leaseMs: 1000,
      now: () => clock,
    });
    expect(reports).toEqual([{ id: 'held', outcome: 'busy', chunks: 0 }]);
    expect(later.calls).toEqual([]);
  });
});

describe('the activity feed backfill', () => {
  const created = (n: number) => new Date(Date.UTC(2030, 0, 1, 0, n)).toISOString();

  async function seedRecords(): Promise<void> {
    const put = (Item: Record<string, unknown>) => client().send(new PutCommand({ TableName: table.name, Item }));
    for (let i = 0; i < 30; i++) {
      const id = `bl${String(i).padStart(2, '0')}`;
      await put({
        ...recordKey('lead', id),
        ...indexKeys(id, leadIndex.all()),
        kind: 'lead',
        id,
        last_name: `Lead ${i}`,
        owner_id: i % 2 ? 'rep1' : 'rep2',
        creator_id: 'rep1',
        version: 3,
        created_at: created(i),
      });
    }
    await put({
      ...recordKey('contact', 'bc1'),
      ...indexKeys('bc1', contactIndex.all()),
      kind: 'contact',
      id: 'bc1',
      name: 'Carla',
      owner_id: 'rep1',
      creator_id: 'rep1',
      version: 1,
      created_at: created(40),
    });
    await put({
      ...recordKey('deal', 'bd1'),
      ...indexKeys('bd1', dealIndex.all()),
      kind: 'deal',
      id: 'bd1',
      name: 'Big deal',
      owner_id: 'rep2',
      creator_id: 'rep1',
      version: 2,
      created_at: created(41),
    });
    const note = {
      id: 'bn1',
      content: 'A note',
      resource_type: 'deal',
      resource_id: 'bd1',
      creator_id: 'mgr',
      created_at: created(42),
      version: 1,
    };
    await put({
      ...noteKey('bn1'),
      ...indexKeys('bn1', noteIndex.byRecord({ resource_type: 'deal', resource_id: 'bd1' })),
      kind: 'note',
      ...note,
    });
    const task = {
      id: 'bt1',
      content: 'Call back',
      owner_id: 'rep1',
      creator_id: 'rep1',
      resource_type: null,
      resource_id: null,
      completed: false,
      created_at: created(43),
      version: 1,
    };
    await put({ ...taskKey('bt1'), ...indexKeys('bt1', taskIndex.all()), kind: 'task', ...task });
  }

  async function feedDump(): Promise<string> {
    const out = await client().send(new ScanCommand({ TableName: table.name, ConsistentRead: true }));
    const items = (out.Items ?? []).filter((i) => String(i.pk).startsWith('activity#'));
    items.sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
    return JSON.stringify(items.map((i) => Object.fromEntries(Object.entries(i).sort(([a], [b]) => a.localeCompare(b)))));
  }

  it('writes one "created" entry per record and note, the same items on every run, in chunks', async () => {
    await seedRecords();
    // The consumer saw the contact's creation already: the backfill leaves it alone.
    const deps = { store: new DynamoActivityStore(table), states: new DynamoRecordStates(table) };
    const live = event(
      'contact.created',
      { resource_type: 'contact', resource_id: 'bc1' },
      { id: 'bc1', name: 'Carla', owner_id: 'rep1', version: 1 },
      { at: created(40) },
    );
    await recordActivity(deps, live);

    const backfill = activityFeedBackfill();
    let clock = 0;
    const store = new DynamoMigrationStore(table, () => clock);
    // A deadline after one chunk: the run pauses, a second run finishes.
    const first = await runMigrations(store, [backfill], { holder: 'a', leaseMs: 60_000, deadline: 1, now: () => clock++ });
    expect(first[0]?.outcome).toBe('paused');
    const second = await runMigrations(store, [backfill], { holder: 'b', leaseMs: 60_000, now: () => clock });
    expect(second[0]?.outcome).toBe('done');
    const dump = await feedDump();

    const timeline = async (type: string, id: string) =>
      (
        await client().send(
          new QueryCommand({
            TableName: table.name,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :at)',
            ExpressionAttributeValues: { ':pk': `activity#${type}#${id}`, ':at': 'at#' },
          }),
        )
      ).Items ?? [];
    expect((await timeline('deal', 'bd1')).map((i) => [i.record.type, i.id, i.owner_id, i.actor_id])).toEqual([
      ['deal', 'backfill-deal-bd1', 'rep2', 'rep1'],
      ['note', 'backfill-note-bn1', 'rep2', 'mgr'],
    ]);
    expect((await timeline('contact', 'bc1')).map((i) => i.id)).toEqual([live.metadata.event_id]);
    expect(await timeline('task', 'bt1')).toHaveLength(1);
    for (let i = 0; i < 30; i++) expect(await timeline('lead', `bl${String(i).padStart(2, '0')}`)).toHaveLength(1);
    const head = await client().send(new GetCommand({ TableName: table.name, Key: { pk: 'activity#lead#bl01', sk: 'head' } }));
    expect(head.Item).toMatchObject({ owner_id: 'rep1', version: 3 });

    // Run again from scratch (a new marker): byte-identical items.
    await client().send(
      new PutCommand({ TableName: table.name, Item: { ...migrationKey(backfill.id), status: 'running', chunks: 0 } }),
    );
    await runMigrations(store, [backfill], { holder: 'c', leaseMs: 60_000, now: () => clock });
    expect(await feedDump()).toBe(dump);
  });
});
