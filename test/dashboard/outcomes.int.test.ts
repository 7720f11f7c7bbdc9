import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { cachedDefaultPipeline, calendarAppointments, feedActivities } from '#shared/dashboard/runtime.ts';
import { DynamoAppointmentRepository } from '#shared/appointments/dynamodb.ts';
import { createAppointment, type AppointmentsDeps } from '#shared/appointments/use-cases.ts';
import { DynamoActivityStore } from '#shared/activities/dynamodb.ts';
import { composeDashboard, type DashboardDeps } from '#shared/dashboard/use-cases.ts';
import { DynamoDealRepository } from '#shared/deals/dynamodb.ts';
import type { Deal } from '#shared/deals/domain.ts';
import type { DealReferences } from '#shared/deals/ports.ts';
import { createDeal, deleteDeal, updateDeal, type DealsDeps } from '#shared/deals/use-cases.ts';
import { DynamoTeamRepository, DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import { domainEvent, type DomainEvent, type EventContext } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { callContext, type Call } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { migrations } from '#shared/bootstrap/runtime.ts';
import { leadIndex } from '#shared/leads/dynamodb.ts';
import {
  DynamoOutcomeDirectory,
  DynamoOutcomeSource,
  DynamoOutcomeStore,
  OUTCOME_BUCKET_KIND,
  OUTCOME_HEAD_KIND,
} from '#shared/outcomes/dynamodb.ts';
import type { OutcomeSource } from '#shared/outcomes/ports.ts';
import {
  backfillOutcomesStep,
  outcomeWindow,
  recordOutcomes,
  type OutcomeConsumerDeps,
  type OutcomeReadDeps,
} from '#shared/outcomes/use-cases.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import { indexKeys } from '#shared/platform/dynamodb/partitions.ts';
import { DynamoMigrationStore } from '#shared/platform/migrations/dynamodb.ts';
import { runMigrations } from '#shared/platform/migrations/runner.ts';
import type { Stage } from '#shared/pipelines/domain.ts';
import { DynamoNamedListRepository, DynamoPipelineRepository } from '#shared/pipelines/dynamodb.ts';
import { CursorCodec } from '#shared/platform/dynamodb/cursor.ts';
import { DynamoRecordOwners } from '#shared/platform/dynamodb/record-owners.ts';
import { Table } from '#shared/platform/dynamodb/table.ts';
import { DynamoTaskRepository } from '#shared/tasks/dynamodb.ts';
import { createTask } from '#shared/tasks/use-cases.ts';
import { makeTeam, makeUser } from '#test/helpers/fakes.ts';
import { TEST_CURSOR_SECRET, useTestTable } from '#test/helpers/table.ts';
import { makeEntry, makePipeline, makeStage } from '#test/pipelines/fakes.ts';
import { RequestMeter } from '../../bench/meter.ts';

// The outcome buckets on DynamoDB Local, fed with the events the deal use cases really emit:
// exactly once per event (the same event twice, out of order, won → reopened → won on another
// day), the same items whatever the order; the backfill of existing records, exact beside the
// events handled while it runs; and the dashboard's DynamoDB requests per role.

const TZ = 'Etc/UTC';
const meter = new RequestMeter({ idempotencyPk: 'idempotency' });
let tableName: string;
let table: Table;
let consumer: OutcomeConsumerDeps;
let reader: OutcomeReadDeps;
let dealsDeps: DealsDeps;
let stage: (name: 'Qualified' | 'Won' | 'Lost') => Stage;
const captured: DomainEvent[] = [];
const TEAM = newId();
const admin = makeUser(newId(), { role: 'admin' });
const manager = makeUser(newId(), { role: 'manager', team_id: TEAM });
const repA = makeUser(newId(), { reports_to: manager.id, team_id: TEAM });
const repB = makeUser(newId(), { reports_to: manager.id, team_id: TEAM });
const repC = makeUser(newId(), { reports_to: manager.id });
const LOSS = newId();
/** A lead made unqualified on 2026-06-01 (version 2): stored, and its status event captured. */
const LEAD = newId();

const principal = (u: typeof repA): Principal => ({
  user_id: u.id,
  email: u.email,
  role: u.role,
  direct_reports: u.role === 'manager' ? [repA.id, repB.id, repC.id] : [],
});
const at = (u: typeof repA, iso: string): Call => callContext(principal(u), 'test', { now: () => new Date(iso) }, () => newId());

/** Keeps every event the deal repository writes, in order. */
class CapturingDeals extends DynamoDealRepository {
  override async create(deal: Deal, refs: DealReferences, events: DomainEvent[]) {
    await super.create(deal, refs, events);
    captured.push(...events);
  }
  override async update(before: Deal, after: Deal, refs: DealReferences, events: DomainEvent[]) {
    await super.update(before, after, refs, events);
    captured.push(...events);
  }
  override async delete(deal: Deal, events: DomainEvent[], ctx?: EventContext) {
    await super.delete(deal, events, ctx);
    captured.push(...events);
  }
}

/** Every outcome item of the table (buckets and heads), sorted: the read model's full dump. */
async function dump(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await table.client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: '#k IN (:b, :m)',
        ExpressionAttributeNames: { '#k': 'kind' },
        ExpressionAttributeValues: { ':b': OUTCOME_BUCKET_KIND, ':m': OUTCOME_HEAD_KIND },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items.sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
}

/** Deletes the read model (buckets and heads), as a rebuild does before replaying. */
async function wipe(): Promise<void> {
  for (const item of await dump())
    await table.client.send(
      new (await import('@aws-sdk/lib-dynamodb')).DeleteCommand({ TableName: tableName, Key: { pk: item.pk, sk: item.sk } }),
    );
}

/** A deterministic shuffle (seeded), so a failure can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const year = { from: '2026-01-01', to: '2026-12-31' };

beforeAll(async () => {
  ({ tableName } = await useTestTable());
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  meter.attach(client);
  table = new Table({ client, name: tableName, cursors: new CursorCodec(TEST_CURSOR_SECRET) });
  await new DynamoTeamRepository(table).create(makeTeam(TEAM), []);
  const users = new DynamoUserRepository(table);
  for (const u of [admin, manager, repA, repB, repC]) await users.create(u, []);
  const pipelines = new DynamoPipelineRepository(table);
  await new DynamoNamedListRepository(table).create('loss_reason', [makeEntry(LOSS, 'Price')], []);
  const pipeline = makePipeline(newId());
  const stages = (['Qualified', 'Won', 'Lost'] as const).map((name, i) =>
    makeStage(newId(), pipeline.id, {
      name,
      category: name === 'Qualified' ? 'active' : name === 'Won' ? 'won' : 'lost',
      position: i + 1,
    }),
  );
  await pipelines.createPipeline(pipeline, stages, []);
  stage = (name) => stages.find((s) => s.name === name)!;
  const teamMemberIds = async (team: string) => [manager, repA, repB, repC].filter((u) => u.team_id === team).map((u) => u.id);
  dealsDeps = {
    deals: new CapturingDeals(table),
    stages: pipelines,
    customFields: { definitions: async () => [] },
    defaultPipelineId: async () => (await pipelines.listPipelines({ limit: 1 })).items[0]?.id,
    defaultCurrency: async () => 'EUR',
    teamMemberIds,
  };
  const store = new DynamoOutcomeStore(table);
  consumer = { store, directory: new DynamoOutcomeDirectory(table), timeZone: TZ };
  reader = { store, timeZone: TZ, teamMemberIds };
});

let dealId: string;
let lostId: string;

describe('the outcome buckets, fed with the deal use cases’ events', () => {
  beforeAll(async () => {
    const deal = await createDeal(dealsDeps, at(repA, '2026-03-01T10:00:00Z'), {
      name: 'Big one',
      value: '1000',
      stage_id: stage('Qualified').id,
    });
    dealId = deal.id;
    await updateDeal(dealsDeps, at(repA, '2026-03-10T10:00:00Z'), dealId, { stage_id: stage('Won').id });
    await updateDeal(dealsDeps, at(repA, '2026-03-12T10:00:00Z'), dealId, { stage_id: stage('Qualified').id });
    await updateDeal(dealsDeps, at(repA, '2026-04-02T10:00:00Z'), dealId, { stage_id: stage('Won').id });
    await updateDeal(dealsDeps, at(repA, '2026-04-03T10:00:00Z'), dealId, { value: '1500' });
    await updateDeal(dealsDeps, at(manager, '2026-04-04T10:00:00Z'), dealId, { owner_id: repB.id });
    await updateDeal(dealsDeps, at(manager, '2026-04-05T10:00:00Z'), dealId, { name: 'Big one, renamed' });
    const lost = await createDeal(dealsDeps, at(repA, '2026-05-01T10:00:00Z'), {
      name: 'Lost one',
      value: '70',
      currency: 'USD',
      stage_id: stage('Lost').id,
      loss_reason_id: LOSS,
    });
    lostId = lost.id;
    const kept = await createDeal(dealsDeps, at(repC, '2026-05-02T10:00:00Z'), {
      name: 'Lost and kept',
      value: '30',
      stage_id: stage('Lost').id,
      loss_reason_id: LOSS,
    });
    expect(kept.id).toBeTruthy();
    await deleteDeal(dealsDeps, at(repA, '2026-05-03T10:00:00Z'), lostId);
    const lead = { id: LEAD, last_name: 'Nope', owner_id: repA.id, status: 'unqualified', version: 2 };
    await table.client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...recordKey('lead', LEAD),
          ...indexKeys(LEAD, leadIndex.all()),
          kind: 'lead',
          ...lead,
          created_at: '2026-05-20T08:00:00.000Z',
          updated_at: '2026-06-01T08:00:00.000Z',
        },
      }),
    );
    captured.push(
      domainEvent(
        { actor_id: repA.id, correlation_id: 'test', now: new Date('2026-06-01T08:00:00Z'), newId },
        'lead.status_changed',
        { resource_type: 'lead', resource_id: LEAD },
        lead,
        { previous: { status: 'working' } },
      ),
    );
  });

  it('counts each event once, and a reopened deal only on the day it was won again', async () => {
    for (const event of captured) await recordOutcomes(consumer, event as DomainEvent<Record<string, unknown>>);
    const company = await outcomeWindow(reader, at(admin, '2026-12-31T12:00:00Z'), year);
    expect(company.won).toEqual({ count: 1, values: [{ currency: 'EUR', count: 1, value: '1500.00' }] });
    expect(company.lost).toEqual({ count: 1, values: [{ currency: 'EUR', count: 1, value: '30.00' }] });
    expect(company.leads_unqualified).toEqual({ count: 1 });
    const march = await outcomeWindow(reader, at(admin, '2026-12-31T12:00:00Z'), { from: '2026-03-01', to: '2026-03-31' });
    expect(march.won.count).toBe(0);
    const april2 = await outcomeWindow(reader, at(admin, '2026-12-31T12:00:00Z'), { from: '2026-04-02', to: '2026-04-02' });
    expect(april2.won.count).toBe(1);
  });

  it('skips an event delivered again, changing no item', async () => {
    const before = await dump();
    for (const event of captured) {
      const outcome = await recordOutcomes(consumer, event as DomainEvent<Record<string, unknown>>);
      expect(outcome).not.toBe('applied');
    }
    expect(await dump()).toEqual(before);
  });

  it('gives a won deal to its new owner: the buckets follow the owner (F1.1)', async () => {
    const b = await outcomeWindow(reader, at(repB, '2026-12-31T12:00:00Z'), year);
    const a = await outcomeWindow(reader, at(repA, '2026-12-31T12:00:00Z'), year);
    expect(b.won.count).toBe(1);
    expect(a.won.count).toBe(0);
    expect(a.leads_unqualified.count).toBe(1);
  });

  it('narrows to the caller’s scope: a manager sees the reports’, a team narrows, a rep cannot read another', async () => {
    const mine = await outcomeWindow(reader, at(manager, '2026-12-31T12:00:00Z'), year);
    expect([mine.won.count, mine.lost.count]).toEqual([1, 1]);
    const team = await outcomeWindow(reader, at(manager, '2026-12-31T12:00:00Z'), { ...year, team_id: TEAM });
    expect([team.won.count, team.lost.count]).toEqual([1, 0]);
    const adminTeam = await outcomeWindow(reader, at(admin, '2026-12-31T12:00:00Z'), { ...year, team_id: TEAM });
    expect([adminTeam.won.count, adminTeam.lost.count]).toEqual([1, 0]);
    const other = await outcomeWindow(reader, at(repA, '2026-12-31T12:00:00Z'), { ...year, user_id: repB.id });
    expect(other.won.count).toBe(0);
  });

  it('ends in the same items whatever order the events are replayed in', async () => {
    const original = await dump();
    expect(original.length).toBeGreaterThan(10);
    for (const seed of [1, 7, 42]) {
      await wipe();
      expect(await dump()).toEqual([]);
      const order = shuffled(captured, seed);
      // Redeliveries too: every third event twice.
      for (const [i, event] of order.entries()) {
        await recordOutcomes(consumer, event as DomainEvent<Record<string, unknown>>);
        if (i % 3 === 0) await recordOutcomes(consumer, event as DomainEvent<Record<string, unknown>>);
      }
      expect(await dump()).toEqual(original);
    }
  });

  it('applies concurrent events on the same buckets once each', async () => {
    const original = await dump();
    await wipe();
    await Promise.all(captured.map((event) => recordOutcomes(consumer, event as DomainEvent<Record<string, unknown>>)));
    await Promise.all(captured.map((event) => recordOutcomes(consumer, event as DomainEvent<Record<string, unknown>>)));
    expect(await dump()).toEqual(original);
  });
});

describe('leads and emptied buckets', () => {
  it('counts a lead while unqualified, on the day it was made so, whatever order its events come in', async () => {
    const id = newId();
    const lead = (status: string, version: number, day: string, type = 'lead.status_changed') =>
      domainEvent(
        { actor_id: repC.id, correlation_id: 'test', now: new Date(`${day}T10:00:00Z`), newId },
        type,
        { resource_type: 'lead', resource_id: id },
        { id, owner_id: repC.id, status, version },
      ) as DomainEvent<Record<string, unknown>>;
    const events = [
      lead('unqualified', 1, '2026-10-01', 'lead.created'),
      lead('working', 2, '2026-10-05'),
      lead('unqualified', 3, '2026-10-09'),
    ];
    const october = async () =>
      (await outcomeWindow(reader, at(repC, '2026-12-31T12:00:00Z'), { from: '2026-10-01', to: '2026-10-31' })).leads_unqualified;
    const days = async () =>
      (await dump()).filter((i) => String(i.pk) === `outcomes#user#${repC.id}` && String(i.sk).startsWith('day#2026-10'));
    for (const event of events.slice(0, 2)) await recordOutcomes(consumer, event);
    expect(await october()).toEqual({ count: 0 });
    await recordOutcomes(consumer, events[2]!);
    expect(await october()).toEqual({ count: 1 });
    const inOrder = await days();
    expect(inOrder.map((i) => i.sk)).toEqual(['day#2026-10-09']);
    // Replayed newest first: the older events are skipped, the same items result.
    await wipe();
    for (const event of [...events].reverse()) await recordOutcomes(consumer, event);
    expect(await days()).toEqual(inOrder);
    // Deleted: it leaves the day, and no later event brings it back.
    await recordOutcomes(consumer, lead('unqualified', 3, '2026-10-12', 'lead.deleted'));
    await recordOutcomes(consumer, lead('unqualified', 4, '2026-10-13'));
    expect(await october()).toEqual({ count: 0 });
    // The other tests' read model, as the events build it.
    for (const event of captured) await recordOutcomes(consumer, event as DomainEvent<Record<string, unknown>>);
  });

  it('leaves no item behind when two deals won on one day are deleted at once', async () => {
    const from = captured.length;
    for (const name of ['Twin one', 'Twin two'])
      await createDeal(dealsDeps, at(repC, '2026-09-05T10:00:00Z'), { name, value: '10', stage_id: stage('Won').id });
    const made = captured.slice(from);
    await Promise.all(made.map((e) => recordOutcomes(consumer, e as DomainEvent<Record<string, unknown>>)));
    const september = (items: Record<string, unknown>[]) => items.filter((i) => String(i.sk).includes('2026-09'));
    // repC has no team: their buckets and the company’s, a day and a month each.
    expect(september(await dump())).toHaveLength(2 * 2);
    const ids = made.map((e) => e.metadata.resource_id);
    await Promise.all(ids.map((id) => deleteDeal(dealsDeps, at(repC, '2026-09-06T10:00:00Z'), id)));
    await Promise.all(
      captured.slice(from + made.length).map((e) => recordOutcomes(consumer, e as DomainEvent<Record<string, unknown>>)),
    );
    expect(september(await dump())).toEqual([]);
  });
});

describe('the counters’ backfill (a migration)', () => {
  const BACKFILL = '2026-12-outcome-counters';
  const windowNow = (range: { from: string; to: string } = year) =>
    outcomeWindow(reader, at(admin, '2026-12-31T12:00:00Z'), range);
  /** Every chunk of the backfill, from the start, through the consumer's own step. */
  async function backfill(source: OutcomeSource = new DynamoOutcomeSource(table)): Promise<void> {
    let checkpoint: string | null = null;
    do checkpoint = await backfillOutcomesStep(consumer, source, checkpoint);
    while (checkpoint !== null);
  }
  /** A dump without the deleted deal's tombstone: the backfill sees no deleted record. */
  const withoutTombstones = (items: Record<string, unknown>[]) => items.filter((i) => i.deleted !== true);
  const handleNewEvents = async (from: number) => {
    for (const event of captured.slice(from)) await recordOutcomes(consumer, event as DomainEvent<Record<string, unknown>>);
  };

  it('is registered after the feed’s backfill, and counts existing won and lost deals and unqualified leads once, as the events did', async () => {
    expect(migrations().map((m) => m.id)).toEqual([
      '2026-12-activity-feed',
      BACKFILL,
      '2026-12-task-reminders',
      '2026-12-appointment-reminders',
      '2026-12-sell-ids',
      '2026-12-phone-index',
      '2026-12-sell-ids-calls',
      '2026-12-tag-registry',
      '2026-12-conversion-sell-ids',
    ]);
    const fromEvents = await dump();
    await wipe();
    const registered = migrations().filter((m) => m.id === BACKFILL);
    const store = new DynamoMigrationStore(table);
    expect(await runMigrations(store, registered, { holder: 'test', leaseMs: 60_000 })).toEqual([
      { id: BACKFILL, outcome: 'done', chunks: 2 },
    ]);
    const company = await windowNow();
    expect(company.won).toEqual({ count: 1, values: [{ currency: 'EUR', count: 1, value: '1500.00' }] });
    expect(company.lost).toEqual({ count: 1, values: [{ currency: 'EUR', count: 1, value: '30.00' }] });
    expect(company.leads_unqualified).toEqual({ count: 1 });
    expect(await dump()).toEqual(withoutTombstones(fromEvents));
    // The events delivered again change nothing (each is at or below its record's head) but
    // add the deleted deals' tombstones, which the backfill could not see.
    const backfilled = await dump();
    await handleNewEvents(0);
    expect(withoutTombstones(await dump())).toEqual(backfilled);
  });

  it('changes no item when run twice', async () => {
    const once = await dump();
    await backfill();
    expect(await dump()).toEqual(once);
  });

  it('counts a deal changed while it runs once: an event handled before its step, another after it', async () => {
    await wipe();
    const real = new DynamoOutcomeSource(table);
    // The deals' page is read, then the deal is reopened and its event handled before the
    // backfill applies the (now stale) won deal it read.
    const racing: OutcomeSource = {
      page: async (type, after, limit) => {
        const page = await real.page(type, after, limit);
        if (type === 'deal') {
          const from = captured.length;
          await updateDeal(dealsDeps, at(repB, '2026-07-01T10:00:00Z'), dealId, { stage_id: stage('Qualified').id });
          await handleNewEvents(from);
        }
        return page;
      },
    };
    await backfill(racing);
    expect((await windowNow()).won.count).toBe(0);
    // Won again after the backfill's step: counted on that day, once.
    const from = captured.length;
    await updateDeal(dealsDeps, at(repB, '2026-08-03T10:00:00Z'), dealId, { stage_id: stage('Won').id });
    await handleNewEvents(from);
    const august = await windowNow({ from: '2026-08-01', to: '2026-08-31' });
    expect(august.won).toEqual({ count: 1, values: [{ currency: 'EUR', count: 1, value: '1500.00' }] });
    expect((await windowNow()).won.count).toBe(1);
    // Exact: the same items as replaying every event (in any order) builds, and a second
    // backfill and every event delivered again change none.
    const built = await dump();
    await backfill();
    await handleNewEvents(0);
    expect(withoutTombstones(await dump())).toEqual(built);
    await wipe();
    for (const event of shuffled(captured, 3)) await recordOutcomes(consumer, event as DomainEvent<Record<string, unknown>>);
    expect(withoutTombstones(await dump())).toEqual(built);
  });
});

describe('the dashboard’s DynamoDB requests', () => {
  let deps: DashboardDeps;

  beforeAll(async () => {
    const tasks = new DynamoTaskRepository(table);
    const appointments: AppointmentsDeps = {
      appointments: new DynamoAppointmentRepository(table),
      records: new DynamoRecordOwners(table),
    };
    deps = {
      deals: dealsDeps,
      outcomes: reader,
      tasks: { tasks, records: new DynamoRecordOwners(table) },
      activities: feedActivities(new DynamoActivityStore(table)),
      appointments: calendarAppointments(appointments),
    };
    await createTask(deps.tasks, at(repA, '2026-11-01T10:00:00Z'), { content: 'Call back', due_date: '2026-11-02T10:00:00Z' });
    await createTask(deps.tasks, at(repA, '2026-11-01T10:00:00Z'), { content: 'Send offer', due_date: '2027-01-02T10:00:00Z' });
    const slot = (day: string) => ({ start_at: `${day}T10:00:00Z`, end_at: `${day}T11:00:00Z` });
    await createAppointment(appointments, at(repA, '2026-11-01T10:00:00Z'), { name: 'Past demo', ...slot('2026-11-20') });
    await createAppointment(appointments, at(repA, '2026-11-01T10:00:00Z'), { name: 'Demo', ...slot('2026-12-03') });
  });

  const requests = async (call: Call, request = {}, using: DashboardDeps = deps) => {
    meter.take();
    const dashboard = await composeDashboard(using, call, request);
    return { dashboard, operations: meter.take().map((r) => r.operation) };
  };

  it('costs a rep 7 requests, overdue tasks first and flagged, the next appointments', async () => {
    const { dashboard, operations } = await requests(at(repA, '2026-12-01T12:00:00Z'));
    expect(operations).toHaveLength(7);
    expect(dashboard.tasks.items.map((t) => [t.content, t.overdue])).toEqual([
      ['Call back', true],
      ['Send offer', false],
    ]);
    expect(dashboard.pipeline?.stages.map((s) => s.count)).toEqual([0, 0, 0]);
    expect(dashboard.activities).toEqual({ items: [] });
    expect(dashboard.appointments.items.map((a) => a.name)).toEqual(['Demo']);
    expect(dashboard.appointments.more).toBe(false);
    expect(dashboard.outcomes.from).toBe('2026-11-02');
  });

  it('costs a rep 6 requests once the container knows the default pipeline, and asks again when it is gone', async () => {
    const cache = cachedDefaultPipeline(dealsDeps.defaultPipelineId);
    const warm: DashboardDeps = {
      ...deps,
      deals: { ...deps.deals, defaultPipelineId: cache.get },
      forgetDefaultPipeline: cache.forget,
    };
    const cold = await requests(at(repA, '2026-12-01T12:00:00Z'), {}, warm);
    const again = await requests(at(repA, '2026-12-01T12:00:00Z'), {}, warm);
    expect([cold.operations.length, again.operations.length]).toEqual([7, 6]);
    expect(again.dashboard.pipeline?.pipeline_id).toBe(cold.dashboard.pipeline?.pipeline_id);
    // A default the container still holds, deleted meanwhile: the board of the oldest live one.
    const stale = cachedDefaultPipeline(async () => 'deleted-pipeline');
    await stale.get();
    let reads = 0;
    const gone: DashboardDeps = {
      ...deps,
      deals: {
        ...deps.deals,
        defaultPipelineId: async () => (reads++ === 0 ? stale.get() : dealsDeps.defaultPipelineId()),
      },
      forgetDefaultPipeline: stale.forget,
    };
    const answered = await requests(at(repA, '2026-12-01T12:00:00Z'), {}, gone);
    expect(answered.dashboard.pipeline?.pipeline_id).toBe(cold.dashboard.pipeline?.pipeline_id);
  });

  it('costs a manager 5 + 2 per owner in scope (outcome buckets and feed), an admin 7', async () => {
    const managerCall = await requests(at(manager, '2026-12-01T12:00:00Z'));
    expect(managerCall.operations).toHaveLength(5 + 2 * 4);
    const adminCall = await requests(at(admin, '2026-12-01T12:00:00Z'));
    expect(adminCall.operations).toHaveLength(7);
    expect(adminCall.dashboard.pipeline?.stages.find((s) => s.category === 'won')?.count).toBe(1);
  });

  it('reads a whole year in at most 3 Queries per scope', async () => {
    meter.take();
    await outcomeWindow(reader, at(repA, '2026-12-01T12:00:00Z'), { from: '2025-12-02', to: '2026-12-01' });
    expect(meter.take().map((r) => r.operation)).toEqual(['Query', 'Query', 'Query']);
  });
});
