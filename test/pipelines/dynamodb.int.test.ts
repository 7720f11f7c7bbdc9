import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, VersionMismatchError } from '#shared/kernel/errors.ts';
import { newId } from '#shared/kernel/ids.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import type { Stage } from '#shared/pipelines/domain.ts';
import { callContext, systemClock, type Call } from '#shared/kernel/ports.ts';
import type { DealMover, StageChange } from '#shared/pipelines/ports.ts';
import {
  createPipeline,
  createStage,
  deletePipeline,
  deleteStage,
  listStages,
  renamePipeline,
  STAGE_PAGE_PIPELINES,
  stagePage,
  updateStage,
} from '#shared/pipelines/use-cases.ts';
import { createEntry, deleteEntry, renameEntry } from '#shared/pipelines/reason-use-cases.ts';
import { seedSalesDefaults } from '#shared/pipelines/sales-defaults.ts';
import { DynamoNamedListRepository, DynamoPipelineRepository, stageKey } from '#shared/pipelines/dynamodb.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { fieldsOf } from '#test/helpers/fakes.ts';
import { CountingMeter, testTableClient, useTestTable } from '#test/helpers/table.ts';

// The invariants the pipeline use cases rely on, under real concurrency against DynamoDB Local.

const system: Principal = { user_id: 'system', email: '', role: 'admin', direct_reports: [] };
const call = (): Call => callContext(system, 'test', systemClock, () => newId());
let n = 0;
const unique = (p: string) => `${p} ${Date.now().toString(36)}-${n++}`;

let table: Table;
let meter: CountingMeter;
let pipelines: DynamoPipelineRepository;
let namedLists: DynamoNamedListRepository;
const noMover: DealMover = { moveAllDeals: async () => expect.unreachable('no deals to move') };
let deps: { pipelines: DynamoPipelineRepository; namedLists: DynamoNamedListRepository; deals: DealMover };

beforeAll(async () => {
  const { tableName } = await useTestTable();
  meter = new CountingMeter();
  table = testTableClient(tableName, meter);
  pipelines = new DynamoPipelineRepository(table);
  namedLists = new DynamoNamedListRepository(table);
  deps = { pipelines, namedLists, deals: noMover };
});

/** What a deal write does to its stage: an atomic ADD on the counter, nothing else. */
async function dealArrives(stageId: string, count = 1): Promise<void> {
  await table.client.send(
    new UpdateCommand({
      TableName: table.name,
      Key: stageKey(stageId),
      UpdateExpression: 'ADD deal_count :n',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':n': count },
    }),
  );
}

async function newPipeline(active = ['Incoming', 'Qualified', 'Quote']): Promise<{ id: string; stages: Stage[] }> {
  const pipeline = await createPipeline(deps, call(), {
    name: unique('Pipeline'),
    stages: active.map((name, i) => ({ name, likelihood: 10 * (i + 1) })),
  });
  return { id: pipeline.id, stages: await pipelines.ofPipeline(pipeline.id) };
}

function expectWellFormed(stages: Stage[]): void {
  expect(stages.map((s) => s.position)).toEqual(stages.map((_, i) => i + 1));
  expect(stages.slice(-3).map((s) => s.category)).toEqual(['won', 'lost', 'unqualified']);
  expect(stages.slice(0, -3).every((s) => s.category === 'active')).toBe(true);
}

/** Whether exactly one outbox item carries this event (a test-only Scan, never on a request path). */
async function outboxHas(eventType: string, resourceId: string): Promise<boolean> {
  let found = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await table.client.send(
      new ScanCommand({
        TableName: table.name,
        // The envelope is JSON text (see outboxItem): match the type, then the resource id in it.
        FilterExpression: '#kind = :event AND event_type = :type AND contains(#event, :id)',
        ExpressionAttributeNames: { '#kind': 'kind', '#event': 'event' },
        ExpressionAttributeValues: { ':event': 'event', ':type': eventType, ':id': resourceId },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    found += page.Items?.length ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return found === 1;
}

describe('pipelines and stages on the table', () => {
  it('writes a pipeline, its stages, the counter and the outbox events in one transaction', async () => {
    const before = await pipelines.pipelineCount();
    meter.reset();
    const pipeline = await createPipeline(deps, call(), { name: unique('Fresh') });
    // The Sell ids of the pipeline and of its stages (one sequence UpdateItem each kind), then the one write.
    expect(meter.calls.map((c) => c.operation)).toEqual(['UpdateItem', 'UpdateItem', 'TransactWriteItems']);
    expect(await pipelines.pipelineCount()).toBe(before + 1);
    expect(await pipelines.getPipeline(pipeline.id)).toEqual(pipeline);
    const stages = await pipelines.ofPipeline(pipeline.id);
    expect(stages.map((s) => [s.name, s.category, s.position, s.likelihood])).toEqual([
      ['Incoming', 'active', 1, 10],
      ['Won', 'won', 2, 100],
      ['Lost', 'lost', 3, 0],
      ['Unqualified', 'unqualified', 4, 0],
    ]);
    expect(Object.keys(stages[0]!).sort()).toEqual(
      [
        'category',
        'created_at',
        'deal_count',
        'id',
        'key',
        'likelihood',
        'name',
        'pipeline_id',
        'pipeline_key',
        'position',
        'updated_at',
        'version',
      ].sort(),
    );
    expect(await outboxHas('pipeline.created', pipeline.id)).toBe(true);
    expect(await outboxHas('stage.created', stages[1]!.id)).toBe(true);
  });

  it('reads the stages of a pipeline with one Query, in position order', async () => {
    const { id } = await newPipeline();
    await updateStage(deps, call(), (await pipelines.ofPipeline(id))[2]!.id, { position: 1 });
    meter.reset();
    const stages = await listStages(deps, id);
    expect(meter.calls.map((c) => c.operation)).toEqual(['Query']);
    expect(stages.map((s) => s.name)).toEqual(['Quote', 'Incoming', 'Qualified', 'Won', 'Lost', 'Unqualified']);
  });

  it("lists every pipeline's stages without pipeline_id: by pipeline then position, whole pipelines a page, at most 11 Queries a page", async () => {
    for (let i = 0; i <= STAGE_PAGE_PIPELINES; i++) await newPipeline(i % 2 ? ['One'] : ['One', 'Two']);
    const expected: Stage[] = [];
    let pipelineCursor: string | undefined;
    do {
      const page = await pipelines.listPipelines({ limit: 100, cursor: pipelineCursor });
      for (const p of page.items) expected.push(...(await listStages(deps, p.id)));
      pipelineCursor = page.next_cursor ?? undefined;
    } while (pipelineCursor);

    const seen: Stage[] = [];
    const pages: Stage[][] = [];
    let cursor: string | undefined;
    do {
      meter.reset();
      const page = await stagePage(deps, { cursor });
      const operations = meter.calls.map((c) => c.operation);
      expect(operations.every((o) => o === 'Query')).toBe(true);
      expect(operations.length).toBeLessThanOrEqual(1 + STAGE_PAGE_PIPELINES);
      pages.push(page.items);
      seen.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    expect(pages.length).toBeGreaterThan(1);
    expect(seen.map((s) => s.id)).toEqual(expected.map((s) => s.id));
    // No pipeline is split across two pages.
    const pipelineIds = pages.map((page) => new Set(page.map((s) => s.pipeline_id)));
    for (let i = 1; i < pipelineIds.length; i++) {
      expect([...pipelineIds[i]!].some((id) => pipelineIds[i - 1]!.has(id))).toBe(false);
    }
  });

  it('refuses a cursor with pipeline_id, whose stages are always one page', async () => {
    const { id } = await newPipeline();
    const page = await stagePage(deps, { pipeline_id: id });
    expect(page.next_cursor).toBeNull();
    expect(await fieldsOf(stagePage(deps, { pipeline_id: id, cursor: 'x' }))).toEqual(['query.cursor']);
  });

  it('gives one name to one pipeline when five creations race, whatever the case', async () => {
    const name = unique('Race');
    const results = await Promise.allSettled(
      [name, name.toUpperCase(), name.toLowerCase(), ` ${name}`, name].map((n) =>
        createPipeline(deps, call(), { name: n.trim() }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ConflictError)).toHaveLength(4);
  });

  it('frees the old name on a rename and refuses a taken one', async () => {
    const a = await createPipeline(deps, call(), { name: unique('Alpha') });
    const b = await createPipeline(deps, call(), { name: unique('Beta') });
    await expect(renamePipeline(deps, call(), b.id, { name: a.name.toUpperCase() })).rejects.toBeInstanceOf(ConflictError);
    const renamed = await renamePipeline(deps, call(), a.id, { name: unique('Gamma') }, 1);
    expect(renamed.version).toBe(2);
    expect((await renamePipeline(deps, call(), b.id, { name: a.name })).name).toBe(a.name);
    // A stale version is refused by the write itself.
    await expect(pipelines.renamePipeline(a, { ...a, name: unique('Stale'), version: 2 }, [])).rejects.toBeInstanceOf(
      VersionMismatchError,
    );
  });

  it('keeps positions 1..n with the closed stages last when stage inserts and moves race', async () => {
    const { id, stages } = await newPipeline(['A', 'B', 'C', 'D']);
    const results = await Promise.allSettled([
      createStage(deps, call(), { pipeline_id: id, name: 'E', likelihood: 50 }),
      createStage(deps, call(), { pipeline_id: id, name: 'F', likelihood: 50, position: 1 }),
      updateStage(deps, call(), stages[0]!.id, { position: 4 }),
      updateStage(deps, call(), stages[3]!.id, { position: 1 }),
      createStage(deps, call(), { pipeline_id: id, name: 'G', likelihood: 50, position: 2 }),
    ]);
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(failures.every((f) => f.reason instanceof ConflictError || f.reason instanceof VersionMismatchError)).toBe(true);
    expect(failures.length).toBeLessThan(results.length);
    const after = await pipelines.ofPipeline(id);
    expectWellFormed(after);
    expect(after).toHaveLength(7 + results.filter((r, i) => r.status === 'fulfilled' && [0, 1, 4].includes(i)).length);
  });

  it('refuses a move computed from a read that another move made stale (each stage conditioned on its version)', async () => {
    const { id, stages } = await newPipeline(['A', 'B', 'C', 'D']);
    let interleaved = false;
    class AnotherMoveLandsFirst extends DynamoPipelineRepository {
      override async updateStage(
        change: StageChange,
        moved: StageChange[],
        events: Parameters<DynamoPipelineRepository['updateStage']>[2],
      ) {
        if (!interleaved) {
          interleaved = true;
          await updateStage(deps, call(), stages[3]!.id, { position: 2 }); // D to 2: C moves to 4
        }
        return super.updateStage(change, moved, events);
      }
    }
    // A to 3 was planned on A B C D: it would put A and C at 3, and B and D at 2.
    await expect(
      updateStage({ pipelines: new AnotherMoveLandsFirst(table) }, call(), stages[0]!.id, { position: 3 }),
    ).rejects.toBeInstanceOf(ConflictError);
    const after = await pipelines.ofPipeline(id);
    expectWellFormed(after);
    expect(after.map((s) => s.name)).toEqual(['A', 'D', 'B', 'C', 'Won', 'Lost', 'Unqualified']);
  });

  it('keeps the deal count when a stage is renamed or renumbered after deals arrived', async () => {
    const { id, stages } = await newPipeline();
    await dealArrives(stages[0]!.id, 2);
    await updateStage(deps, call(), stages[0]!.id, { name: 'First contact' });
    await updateStage(deps, call(), stages[2]!.id, { position: 1 });
    expect(await pipelines.get(stages[0]!.id)).toMatchObject({ name: 'First contact', position: 2, deal_count: 2 });
    expectWellFormed(await pipelines.ofPipeline(id));
  });
});

describe('deleting stages and pipelines while deals arrive', () => {
  it('refuses a stage delete when a deal arrived after the read: the condition is deal_count = 0', async () => {
    const { id, stages } = await newPipeline();
    const stage = stages[1]!;
    class DealArrivesMidway extends DynamoPipelineRepository {
      override async deleteStage(s: Stage, moved: StageChange[], events: Parameters<DynamoPipelineRepository['deleteStage']>[2]) {
        await dealArrives(s.id);
        return super.deleteStage(s, moved, events);
      }
    }
    const error = await deleteStage({ pipelines: new DealArrivesMidway(table), deals: noMover }, call(), stage.id).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/received 1 deal\(s\) meanwhile; pass move_deals_to/);
    expect(await pipelines.get(stage.id)).toMatchObject({ deal_count: 1, position: 2 });
    expectWellFormed(await pipelines.ofPipeline(id));
  });

  it('moves the deals through the mover, then deletes; a deal arriving after the move blocks the delete', async () => {
    const { id, stages } = await newPipeline();
    const [from, to] = [stages[1]!, stages[2]!];
    await dealArrives(from.id, 3);
    let lateArrival = true;
    const mover: DealMover = {
      moveAllDeals: async (f, t) => {
        await dealArrives(f.id, -3);
        await dealArrives(t.id, 3);
        if (lateArrival) await dealArrives(f.id, 1);
        return 3;
      },
    };
    await expect(deleteStage({ pipelines, deals: mover }, call(), from.id, { moveDealsTo: to.id })).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(await pipelines.get(from.id)).toMatchObject({ deal_count: 1 });
    await dealArrives(from.id, 2); // back to 3 for the mover
    lateArrival = false;
    await deleteStage({ pipelines, deals: mover }, call(), from.id, { moveDealsTo: to.id });
    expect(await pipelines.get(from.id)).toMatchObject({ deal_count: 0, deleted_at: expect.any(String) });
    const after = await pipelines.ofPipeline(id);
    expectWellFormed(after);
    expect(after.find((s) => s.id === to.id)).toMatchObject({ position: 2, deal_count: 6 });
    expect(await outboxHas('stage.deleted', from.id)).toBe(true);
  });

  it('refuses a stale stage version on delete, and a closed stage', async () => {
    const { stages } = await newPipeline();
    await updateStage(deps, call(), stages[0]!.id, { name: 'Renamed' });
    await expect(pipelines.deleteStage(stages[0]!, [], [])).rejects.toBeInstanceOf(VersionMismatchError);
    await expect(deleteStage(deps, call(), stages.at(-1)!.id)).rejects.toBeInstanceOf(ConflictError);
  });

  it('deletes an empty pipeline and all its stages (as tombstones); refuses one a deal reached meanwhile', async () => {
    const empty = await newPipeline();
    await deletePipeline(deps, call(), empty.id);
    const deletedAt = (await pipelines.getPipeline(empty.id))!.deleted_at;
    expect(deletedAt).toEqual(expect.any(String));
    expect(await pipelines.ofPipeline(empty.id)).toEqual([]);
    for (const stage of empty.stages) {
      expect(await pipelines.get(stage.id)).toMatchObject({ version: 2, deleted_at: deletedAt });
    }
    expect(await outboxHas('pipeline.deleted', empty.id)).toBe(true);

    const busy = await newPipeline();
    const pipeline = (await pipelines.getPipeline(busy.id))!;
    await dealArrives(busy.stages.at(-2)!.id);
    // A stale read (no deals) cannot delete a pipeline that has one.
    await expect(pipelines.deletePipeline(pipeline, busy.stages, [])).rejects.toThrow(/received deals meanwhile/);
    expect(await pipelines.getPipeline(busy.id)).toBeDefined();
    expect(await pipelines.ofPipeline(busy.id)).toHaveLength(6);
    await expect(deletePipeline(deps, call(), busy.id)).rejects.toThrow(/holds 1 deal\(s\)/);
  });

  it('keeps a deleted stage or pipeline as a tombstone: out of its list, never written again, the name free', async () => {
    const { id, stages } = await newPipeline();
    const gone = stages[1]!;
    await deleteStage(deps, call(), gone.id);
    const tomb = (await pipelines.get(gone.id))!;
    expect(tomb).toMatchObject({ version: 2, deleted_at: expect.any(String) });
    expect((await pipelines.ofPipeline(id)).map((s) => s.id)).not.toContain(gone.id);
    // A change planned on the live read loses to the delete: not found, not a version conflict.
    await expect(
      pipelines.updateStage({ before: tomb, after: { ...tomb, name: 'Back', version: 3 } }, [], []),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(pipelines.deleteStage(tomb, [], [])).rejects.toBeInstanceOf(NotFoundError);

    const pipeline = (await pipelines.getPipeline(id))!;
    const rest = await pipelines.ofPipeline(id);
    await deletePipeline(deps, call(), id);
    expect((await pipelines.listPipelines({ limit: 100 })).items.map((p) => p.id)).not.toContain(id);
    const deleted = (await pipelines.getPipeline(id))!;
    await expect(pipelines.deletePipeline(deleted, [], [])).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      pipelines.renamePipeline(deleted, { ...deleted, name: unique('Back'), version: deleted.version + 1 }, []),
    ).rejects.toBeInstanceOf(NotFoundError);
    // A stage added on a read from before the delete is refused by the write itself.
    const late = { ...rest[0]!, id: newId(), name: 'Late', version: 1 };
    expect(await fieldsOf(pipelines.createStage(late, [], []))).toEqual(['body.pipeline_id']);
    // The name is free again, whatever its case.
    expect((await createPipeline(deps, call(), { name: pipeline.name.toUpperCase() })).name).toBe(pipeline.name.toUpperCase());
  });

  it('refuses a pipeline delete when a stage was added meanwhile (no orphaned stage)', async () => {
    const { id, stages } = await newPipeline();
    const pipeline = (await pipelines.getPipeline(id))!;
    await createStage(deps, call(), { pipeline_id: id, name: 'Late', likelihood: 40 });
    await expect(pipelines.deletePipeline(pipeline, stages, [])).rejects.toBeInstanceOf(ConflictError);
    expect(await pipelines.ofPipeline(id)).toHaveLength(7);
  });

  it('keeps the last pipeline when the two remaining ones are deleted at once', async () => {
    const { tableName } = await useTestTable();
    const fresh = testTableClient(tableName);
    const own = { pipelines: new DynamoPipelineRepository(fresh), deals: noMover };
    const a = await createPipeline(own, call(), { name: 'A' });
    const b = await createPipeline(own, call(), { name: 'B' });
    const results = await Promise.allSettled([deletePipeline(own, call(), a.id), deletePipeline(own, call(), b.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    expect(refused.reason).toBeInstanceOf(ConflictError);
    expect(refused.reason.message).toMatch(/only pipeline/);
    expect(await own.pipelines.pipelineCount()).toBe(1);
    expect((await own.pipelines.listPipelines({ limit: 10 })).items).toHaveLength(1);
  });
});

describe('reasons and sources on the table', () => {
  it('gives one name to one entry per list when ten creations race, and frees names on rename and delete', async () => {
    const name = unique('Price');
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => createEntry(deps, call(), 'loss_reason', { name: i % 2 ? name.toUpperCase() : name })),
    );
    const created = results.filter((r) => r.status === 'fulfilled');
    expect(created).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ConflictError)).toHaveLength(9);
    // Another list may use the same name.
    await createEntry(deps, call(), 'deal_unqualified_reason', { name });

    const entry = (created[0] as PromiseFulfilledResult<{ id: string; name: string }>).value;
    const renamed = await renameEntry(deps, call(), 'loss_reason', entry.id, { name: unique('Cost') }, 1);
    expect(renamed.version).toBe(2);
    const again = await createEntry(deps, call(), 'loss_reason', { name });
    await expect(renameEntry(deps, call(), 'loss_reason', again.id, { name: renamed.name.toLowerCase() })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await deleteEntry(deps, call(), 'loss_reason', renamed.id, 2);
    // A tombstone: it still reads by id (records keep naming it), out of its list, not chosen again.
    expect(await namedLists.get('loss_reason', renamed.id)).toMatchObject({ version: 3, deleted_at: expect.any(String) });
    expect((await namedLists.list('loss_reason', { limit: 100 })).items.map((e) => e.id)).not.toContain(renamed.id);
    await expect(deleteEntry(deps, call(), 'loss_reason', renamed.id)).rejects.toBeInstanceOf(NotFoundError);
    await createEntry(deps, call(), 'loss_reason', { name: renamed.name });
    expect(await outboxHas('loss_reason.deleted', renamed.id)).toBe(true);
  });

  it('refuses stale versions on rename and delete', async () => {
    const entry = await createEntry(deps, call(), 'source', { name: unique('Web') });
    await renameEntry(deps, call(), 'source', entry.id, { name: unique('Website') });
    await expect(namedLists.update('source', entry, { ...entry, name: unique('X'), version: 2 }, [])).rejects.toBeInstanceOf(
      VersionMismatchError,
    );
    await expect(namedLists.delete('source', entry, [])).rejects.toBeInstanceOf(VersionMismatchError);
    await expect(namedLists.delete('source', { ...entry, id: newId() }, [])).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists an entry of each list only in its own list', async () => {
    const entry = await createEntry(deps, call(), 'lead_unqualified_reason', { name: unique('Gone quiet') });
    const page = await namedLists.list('lead_unqualified_reason', { limit: 100 });
    expect(page.items).toContainEqual(entry);
    expect((await namedLists.list('source', { limit: 100 })).items.map((e) => e.id)).not.toContain(entry.id);
  });
});

describe('seedSalesDefaults on a fresh table', () => {
  it('seeds once: a second run, even two racing, adds nothing', async () => {
    const { tableName } = await useTestTable();
    const fresh = testTableClient(tableName);
    const own = { pipelines: new DynamoPipelineRepository(fresh), namedLists: new DynamoNamedListRepository(fresh) };
    const config = {
      default_pipeline: {
        name: 'Sales Pipeline',
        stages: [
          { name: 'Incoming', category: 'active' as const, likelihood: 10 },
          { name: 'Won', category: 'won' as const, likelihood: 100 },
          { name: 'Lost', category: 'lost' as const, likelihood: 0 },
          { name: 'Unqualified', category: 'unqualified' as const, likelihood: 0 },
        ],
      },
    };
    const reports = await Promise.all([seedSalesDefaults(own, call(), config), seedSalesDefaults(own, call(), config)]);
    for (const key of [
      'pipeline',
      'loss_reasons',
      'deal_unqualified_reasons',
      'lead_unqualified_reasons',
      'sources',
      'call_outcomes',
    ] as const) {
      expect(reports.map((r) => r[key]).sort()).toEqual(['already_present', 'created']);
    }
    expect(await own.pipelines.pipelineCount()).toBe(1);
    expect((await own.namedLists.list('source', { limit: 100 })).items.map((e) => e.name)).toEqual([
      'Website',
      'Referral',
      'Cold call',
      'Event',
      'Partner',
    ]);
    expect(Object.values(await seedSalesDefaults(own, call(), config))).toEqual(Array(6).fill('already_present'));
  });
});
