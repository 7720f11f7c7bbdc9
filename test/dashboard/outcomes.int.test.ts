import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { cachedDefaultPipeline, feedActivities, noAppointments } from '#shared/dashboard/runtime.ts';
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
import {
  DynamoOutcomeDirectory,
  DynamoOutcomeStore,
  OUTCOME_BUCKET_KIND,
  OUTCOME_MARKER_KIND,
} from '#shared/outcomes/dynamodb.ts';
import { outcomeWindow, recordOutcomes, type OutcomeConsumerDeps, type OutcomeReadDeps } from '#shared/outcomes/use-cases.ts';
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
// day), the same items whatever the order, and the dashboard's DynamoDB requests per role.

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

/** Every outcome item of the table (buckets and markers), sorted: the read model's full dump. */
async function dump(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await table.client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: '#k IN (:b, :m)',
        ExpressionAttributeNames: { '#k': 'kind' },
        ExpressionAttributeValues: { ':b': OUTCOME_BUCKET_KIND, ':m': OUTCOME_MARKER_KIND },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items.sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
}

/** Deletes the read model (buckets and markers), as a rebuild does before replaying. */
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

describe('the outcome buckets, fed with the deal use cases’ events', () => {
  let dealId: string;
  let lostId: string;

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
    captured.push(
      domainEvent(
        { actor_id: repA.id, correlation_id: 'test', now: new Date('2026-06-01T08:00:00Z'), newId },
        'lead.status_changed',
        { resource_type: 'lead', resource_id: newId() },
        { owner_id: repA.id, status: 'unqualified' },
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

describe('the dashboard’s DynamoDB requests', () => {
  let deps: DashboardDeps;

  beforeAll(async () => {
    const tasks = new DynamoTaskRepository(table);
    deps = {
      deals: dealsDeps,
      outcomes: reader,
      tasks: { tasks, records: new DynamoRecordOwners(table) },
      activities: feedActivities(new DynamoActivityStore(table)),
      appointments: noAppointments,
    };
    await createTask(deps.tasks, at(repA, '2026-11-01T10:00:00Z'), { content: 'Call back', due_date: '2026-11-02T10:00:00Z' });
    await createTask(deps.tasks, at(repA, '2026-11-01T10:00:00Z'), { content: 'Send offer', due_date: '2027-01-02T10:00:00Z' });
  });

  const requests = async (call: Call, request = {}, using: DashboardDeps = deps) => {
    meter.take();
    const dashboard = await composeDashboard(using, call, request);
    return { dashboard, operations: meter.take().map((r) => r.operation) };
  };

  it('costs a rep 6 requests, overdue tasks first and flagged', async () => {
    const { dashboard, operations } = await requests(at(repA, '2026-12-01T12:00:00Z'));
    expect(operations).toHaveLength(6);
    expect(dashboard.tasks.items.map((t) => [t.content, t.overdue])).toEqual([
      ['Call back', true],
      ['Send offer', false],
    ]);
    expect(dashboard.pipeline?.stages.map((s) => s.count)).toEqual([0, 0, 0]);
    expect(dashboard.activities).toEqual({ items: [] });
    expect(dashboard.appointments).toEqual({ items: [] });
    expect(dashboard.outcomes.from).toBe('2026-11-02');
  });

  it('costs a rep 5 requests once the container knows the default pipeline, and asks again when it is gone', async () => {
    const cache = cachedDefaultPipeline(dealsDeps.defaultPipelineId);
    const warm: DashboardDeps = {
      ...deps,
      deals: { ...deps.deals, defaultPipelineId: cache.get },
      forgetDefaultPipeline: cache.forget,
    };
    const cold = await requests(at(repA, '2026-12-01T12:00:00Z'), {}, warm);
    const again = await requests(at(repA, '2026-12-01T12:00:00Z'), {}, warm);
    expect([cold.operations.length, again.operations.length]).toEqual([6, 5]);
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

  it('costs a manager 4 + 2 per owner in scope (outcome buckets and feed), an admin 6', async () => {
    const managerCall = await requests(at(manager, '2026-12-01T12:00:00Z'));
    expect(managerCall.operations).toHaveLength(4 + 2 * 4);
    const adminCall = await requests(at(admin, '2026-12-01T12:00:00Z'));
    expect(adminCall.operations).toHaveLength(6);
    expect(adminCall.dashboard.pipeline?.stages.find((s) => s.category === 'won')?.count).toBe(1);
  });

  it('reads a whole year in at most 3 Queries per scope', async () => {
    meter.take();
    await outcomeWindow(reader, at(repA, '2026-12-01T12:00:00Z'), { from: '2025-12-02', to: '2026-12-01' });
    expect(meter.take().map((r) => r.operation)).toEqual(['Query', 'Query', 'Query']);
  });
});
