import { describe, expect, it } from 'vitest';
import {
  createPipeline,
  createStage,
  deletePipeline,
  deleteStage,
  getPipeline,
  getStage,
  listPipelines,
  listStages,
  renamePipeline,
  updateStage,
} from '#shared/pipelines/use-cases.ts';
import { ConflictError, NotFoundError, ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { Pipeline, Stage } from '#shared/pipelines/domain.ts';
import { TEST_CORRELATION_ID, TEST_NOW, fakeCall, makeUser, principalOf, testId, rejection } from '#test/helpers/fakes.ts';
import { FakeDealMover, InMemoryPipelineRepository, PipelineStore, makeStage, pipelineWithStages } from './fakes.ts';

const ADMIN = testId(1);
const SALES = testId(10);
const OTHER = testId(11);
const gen = (n: number) => testId(n, 'G');

/**
 * Two pipelines: SALES = Incoming(101) Qualified(102) Quote(103) Won(104) Lost(105)
 * Unqualified(106); OTHER = Intro(201) Won(202) Lost(203) Unqualified(204).
 */
function setup() {
  const sales = pipelineWithStages(SALES, ['Incoming', 'Qualified', 'Quote'], 101, { name: 'Sales' });
  const other = pipelineWithStages(OTHER, ['Intro'], 201, { name: 'Partners' });
  const store = new PipelineStore().seed({
    pipelines: [sales.pipeline, other.pipeline],
    stages: [...sales.stages, ...other.stages],
  });
  const pipelines = new InMemoryPipelineRepository(store);
  const deals = new FakeDealMover(store);
  return { store, pipelines, deals, deps: { pipelines, deals }, call: fakeCall(principalOf(makeUser(ADMIN, { role: 'admin' }))) };
}

const S = (n: number) => testId(n);

function problemFields(error: unknown): string[] {
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).problems.map((p) => p.field);
}

describe('createPipeline', () => {
  it('creates the pipeline with Incoming 10 %, then Won, Lost, Unqualified, and an event per record', async () => {
    const pipelines = new InMemoryPipelineRepository();
    const call = fakeCall(principalOf(makeUser(ADMIN, { role: 'admin' })));
    const pipeline = await createPipeline({ pipelines }, call, { name: 'Enterprise' });
    const expected: Pipeline = {
      id: gen(1),
      key: 'enterprise',
      name: 'Enterprise',
      created_at: TEST_NOW,
      updated_at: TEST_NOW,
      version: 1,
    };
    expect(pipeline).toEqual(expected);
    expect(await pipelines.getPipeline(gen(1))).toEqual(expected);
    const stages = await pipelines.ofPipeline(gen(1));
    expect(
      stages.map((s) => [s.name, s.key, s.pipeline_key, s.category, s.position, s.likelihood, s.deal_count, s.version]),
    ).toEqual([
      ['Incoming', 'incoming', 'enterprise', 'active', 1, 10, 0, 1],
      ['Won', 'won', 'enterprise', 'won', 2, 100, 0, 1],
      ['Lost', 'lost', 'enterprise', 'lost', 3, 0, 0, 1],
      ['Unqualified', 'unqualified', 'enterprise', 'unqualified', 4, 0, 0, 1],
    ]);
    expect(pipelines.events[0]).toEqual({
      metadata: {
        event_id: gen(6),
        event_type: 'pipeline.created',
        event_version: 1,
        occurred_at: TEST_NOW,
        actor_id: ADMIN,
        correlation_id: TEST_CORRELATION_ID,
        resource_type: 'pipeline',
        resource_id: gen(1),
      },
      data: expected,
    });
    expect(pipelines.events.slice(1).map((e) => [e.metadata.event_type, e.metadata.resource_type, e.data])).toEqual(
      stages.map((s) => ['stage.created', 'stage', s]),
    );
  });

  it('creates the active stages given, in order', async () => {
    const { pipelines, deps, call } = setup();
    const pipeline = await createPipeline(deps, call, {
      name: 'Renewals',
      stages: [
        { name: 'Due', likelihood: 60 },
        { name: 'Negotiation', likelihood: 80 },
      ],
    });
    expect((await pipelines.ofPipeline(pipeline.id)).map((s) => [s.name, s.position, s.likelihood])).toEqual([
      ['Due', 1, 60],
      ['Negotiation', 2, 80],
      ['Won', 3, 100],
      ['Lost', 4, 0],
      ['Unqualified', 5, 0],
    ]);
  });

  it('refuses a name already taken, whatever its case, and writes nothing', async () => {
    const { store, pipelines, deps, call } = setup();
    const error = await rejection(createPipeline(deps, call, { name: 'SALES' }));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe('A pipeline named "SALES" already exists');
    expect(store.pipelines.size).toBe(2);
    expect(pipelines.events).toEqual([]);
  });
});

describe('reading pipelines and stages', () => {
  it('gets and lists pipelines; an unknown one is not found', async () => {
    const { deps } = setup();
    expect((await getPipeline(deps, SALES)).name).toBe('Sales');
    expect((await listPipelines(deps, { limit: 1 })).items.map((p) => p.id)).toEqual([SALES]);
    await expect(getPipeline(deps, testId(99))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists the stages of a pipeline in position order; an unknown pipeline is not found', async () => {
    const { store, deps } = setup();
    // Stored out of order: the list comes in position order anyway.
    store.stages.get(S(101))!.position = 3;
    store.stages.get(S(103))!.position = 1;
    expect((await listStages(deps, SALES)).map((s) => s.name)).toEqual([
      'Quote',
      'Qualified',
      'Incoming',
      'Won',
      'Lost',
      'Unqualified',
    ]);
    await expect(listStages(deps, testId(99))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('gets a stage; an unknown one is not found', async () => {
    const { deps } = setup();
    expect((await getStage(deps, S(104))).category).toBe('won');
    await expect(getStage(deps, testId(99))).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('renamePipeline', () => {
  it('renames: version + 1, pipeline.updated with the previous name', async () => {
    const { pipelines, deps, call } = setup();
    const saved = await renamePipeline(deps, call, SALES, { name: 'New business' }, 1);
    expect(saved).toMatchObject({ id: SALES, name: 'New business', updated_at: TEST_NOW, version: 2 });
    expect(await pipelines.getPipeline(SALES)).toEqual(saved);
    expect(pipelines.events).toEqual([
      {
        metadata: expect.objectContaining({ event_type: 'pipeline.updated', resource_type: 'pipeline', resource_id: SALES }),
        data: saved,
        previous: { name: 'Sales' },
      },
    ]);
  });

  it('lets a pipeline change the case of its own name, but not take another pipeline name', async () => {
    const { deps, call } = setup();
    expect((await renamePipeline(deps, call, SALES, { name: 'SALES' })).name).toBe('SALES');
    await expect(renamePipeline(deps, call, SALES, { name: 'partners' })).rejects.toBeInstanceOf(ConflictError);
  });

  it('refuses a stale If-Match with the current pipeline, and answers the same name as a no-op', async () => {
    const { pipelines, deps, call } = setup();
    const error = await rejection(renamePipeline(deps, call, SALES, { name: 'X' }, 2));
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).current).toMatchObject({ id: SALES, version: 1 });
    expect(await renamePipeline(deps, call, SALES, { name: 'Sales' })).toMatchObject({ version: 1 });
    expect(pipelines.events).toEqual([]);
  });
});

describe('deletePipeline', () => {
  it('deletes an empty pipeline with its stages: pipeline.deleted and one stage.deleted each', async () => {
    const { store, pipelines, deps, call } = setup();
    await deletePipeline(deps, call, OTHER, 1);
    expect(store.order(OTHER)).toEqual([]);
    expect(pipelines.events.map((e) => [e.metadata.event_type, e.metadata.resource_id])).toEqual([
      ['pipeline.deleted', OTHER],
      ['stage.deleted', S(201)],
      ['stage.deleted', S(202)],
      ['stage.deleted', S(203)],
      ['stage.deleted', S(204)],
    ]);
  });

  it('keeps the pipeline and its stages as tombstones: read by id with deleted_at, out of every list', async () => {
    const { deps, call } = setup();
    await deletePipeline(deps, call, OTHER, 1);
    expect(await getPipeline(deps, OTHER)).toMatchObject({ id: OTHER, name: 'Partners', deleted_at: TEST_NOW, version: 2 });
    expect(await getStage(deps, S(201))).toMatchObject({ pipeline_id: OTHER, deleted_at: TEST_NOW, version: 2 });
    expect((await listPipelines(deps, { limit: 10 })).items.map((p) => p.id)).toEqual([SALES]);
    expect(await listStages(deps, OTHER)).toEqual([]);
    expect(await deps.pipelines.pipelineCount()).toBe(1);
  });

  it('frees the name, and never lets the deleted pipeline change or take a stage again', async () => {
    const { deps, call } = setup();
    await deletePipeline(deps, call, OTHER);
    expect(await createPipeline(deps, call, { name: 'partners' })).toMatchObject({ name: 'partners' });
    await expect(deletePipeline(deps, call, OTHER)).rejects.toBeInstanceOf(NotFoundError);
    await expect(renamePipeline(deps, call, OTHER, { name: 'Back' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(updateStage(deps, call, S(201), { name: 'Back' })).rejects.toBeInstanceOf(NotFoundError);
    expect(problemFields(await rejection(createStage(deps, call, { pipeline_id: OTHER, name: 'X', likelihood: 1 })))).toEqual([
      'body.pipeline_id',
    ]);
  });

  it('refuses a pipeline holding deals, naming how many', async () => {
    const { store, pipelines, deps, call } = setup();
    store.addDeals(S(202), 2);
    store.addDeals(S(201), 1);
    const error = await rejection(deletePipeline(deps, call, OTHER));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe(
      'Pipeline "Partners" holds 3 deal(s); move them to another pipeline or delete them first',
    );
    expect(store.pipeline(OTHER)).toBeDefined();
    expect(pipelines.events).toEqual([]);
  });

  it('refuses when a deal arrives between the read and the write', async () => {
    const { store, pipelines, deps, call } = setup();
    pipelines.beforeWrite = () => store.addDeals(S(201), 1);
    await expect(deletePipeline(deps, call, OTHER)).rejects.toBeInstanceOf(ConflictError);
    expect(store.order(OTHER)).toHaveLength(4);
  });

  it('refuses to delete the only pipeline', async () => {
    const { store, deps, call } = setup();
    await deletePipeline(deps, call, OTHER);
    const error = await rejection(deletePipeline(deps, call, SALES));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/only pipeline; create another one/);
    expect(store.pipeline(SALES)).toBeDefined();
  });

  it('refuses a stale If-Match and an unknown pipeline', async () => {
    const { deps, call } = setup();
    await expect(deletePipeline(deps, call, OTHER, 3)).rejects.toBeInstanceOf(VersionMismatchError);
    await expect(deletePipeline(deps, call, testId(99))).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('a read of the stages that does not show the whole pipeline yet (index lag)', () => {
  it('refuses changes planned on it with a conflict to retry, and writes nothing', async () => {
    const { store, pipelines, deps, call } = setup();
    const lagging = new InMemoryPipelineRepository(store);
    const ofPipeline = lagging.ofPipeline.bind(lagging);
    lagging.ofPipeline = async (id) => (await ofPipeline(id)).filter((s) => s.category !== 'unqualified');
    const stale = { pipelines: lagging, deals: deps.deals };
    const attempts = [
      createStage(stale, call, { pipeline_id: SALES, name: 'X', likelihood: 1 }),
      updateStage(stale, call, S(103), { position: 1 }),
      deleteStage(stale, call, S(101)),
      deletePipeline(stale, call, OTHER),
    ];
    for (const attempt of attempts) {
      const error = await rejection(attempt);
      expect(error).toBeInstanceOf(ConflictError);
      expect((error as Error).message).toMatch(/try again in a moment/);
    }
    expect(store.order(SALES)).toHaveLength(6);
    expect(store.pipeline(OTHER)).toBeDefined();
    expect(pipelines.events).toEqual([]);
  });
});

describe('createStage', () => {
  it('adds an active stage after the active ones by default; the closed stages move down, with events', async () => {
    const { store, pipelines, deps, call } = setup();
    const stage = await createStage(deps, call, { pipeline_id: SALES, name: 'Closure', likelihood: 75 });
    const expected: Stage = {
      id: gen(1),
      pipeline_id: SALES,
      key: 'closure',
      name: 'Closure',
      category: 'active',
      position: 4,
      likelihood: 75,
      deal_count: 0,
      created_at: TEST_NOW,
      updated_at: TEST_NOW,
      version: 1,
    };
    expect(stage).toEqual(expected);
    expect(store.order(SALES)).toEqual([
      ['Incoming', 1],
      ['Qualified', 2],
      ['Quote', 3],
      ['Closure', 4],
      ['Won', 5],
      ['Lost', 6],
      ['Unqualified', 7],
    ]);
    expect(store.stage(S(104))).toMatchObject({ position: 5, version: 2, updated_at: TEST_NOW });
    expect(pipelines.events.map((e) => [e.metadata.event_type, e.metadata.resource_id, e.previous])).toEqual([
      ['stage.created', gen(1), undefined],
      ['stage.updated', S(104), { position: 4 }],
      ['stage.updated', S(105), { position: 5 }],
      ['stage.updated', S(106), { position: 6 }],
    ]);
    expect(pipelines.events[0]!.data).toEqual(expected);
  });

  it('inserts at the position given; the stages after it move down one', async () => {
    const { store, deps, call } = setup();
    const stage = await createStage(deps, call, { pipeline_id: SALES, name: 'Lead', likelihood: 5, position: 1 });
    expect(stage.position).toBe(1);
    expect(store.order(SALES).map(([name]) => name)).toEqual([
      'Lead',
      'Incoming',
      'Qualified',
      'Quote',
      'Won',
      'Lost',
      'Unqualified',
    ]);
  });

  it.each(['won', 'lost', 'unqualified'] as const)('refuses a %s stage, naming body.category', async (category) => {
    const { store, pipelines, deps, call } = setup();
    const error = await rejection(createStage(deps, call, { pipeline_id: SALES, name: 'More', likelihood: 0, category }));
    expect(problemFields(error)).toEqual(['body.category']);
    expect(store.order(SALES)).toHaveLength(6);
    expect(pipelines.events).toEqual([]);
  });

  it('refuses a position among the closed stages and an unknown pipeline', async () => {
    const { deps, call } = setup();
    expect(
      problemFields(await rejection(createStage(deps, call, { pipeline_id: SALES, name: 'X', likelihood: 1, position: 5 }))),
    ).toEqual(['body.position']);
    expect(
      problemFields(await rejection(createStage(deps, call, { pipeline_id: testId(99), name: 'X', likelihood: 1 }))),
    ).toEqual(['body.pipeline_id']);
  });

  it('refuses when the stages changed between the read and the write, and writes nothing', async () => {
    const { store, pipelines, deps, call } = setup();
    pipelines.beforeWrite = () => void (store.stages.get(S(104))!.version += 1);
    await expect(createStage(deps, call, { pipeline_id: SALES, name: 'X', likelihood: 1 })).rejects.toBeInstanceOf(ConflictError);
    expect(store.order(SALES)).toHaveLength(6);
    expect(pipelines.events).toEqual([]);
  });
});

describe('updateStage', () => {
  it('renames a stage: version + 1, stage.updated with the previous name', async () => {
    const { pipelines, deps, call } = setup();
    const saved = await updateStage(deps, call, S(102), { name: 'Qualified lead' }, 1);
    expect(saved).toMatchObject({ name: 'Qualified lead', position: 2, version: 2, updated_at: TEST_NOW });
    expect(pipelines.events).toEqual([
      {
        metadata: expect.objectContaining({ event_type: 'stage.updated', resource_type: 'stage', resource_id: S(102) }),
        data: saved,
        previous: { name: 'Qualified' },
      },
    ]);
  });

  it("changes an active stage's likelihood", async () => {
    const { deps, call } = setup();
    expect(await updateStage(deps, call, S(103), { likelihood: 55 })).toMatchObject({ likelihood: 55, version: 2 });
  });

  it("renames a closed stage but keeps its likelihood: a won deal's is 100", async () => {
    const { store, deps, call } = setup();
    expect(await updateStage(deps, call, S(104), { name: 'Closed won', likelihood: 100 })).toMatchObject({
      name: 'Closed won',
      likelihood: 100,
    });
    expect(problemFields(await rejection(updateStage(deps, call, S(104), { likelihood: 90 })))).toEqual(['body.likelihood']);
    expect(problemFields(await rejection(updateStage(deps, call, S(105), { likelihood: 10 })))).toEqual(['body.likelihood']);
    expect(store.stage(S(104))).toMatchObject({ likelihood: 100, version: 2 });
  });

  it('moves an active stage; the stages between renumber in the same write, each with an event', async () => {
    const { store, pipelines, deps, call } = setup();
    const saved = await updateStage(deps, call, S(103), { position: 1 });
    expect(saved).toMatchObject({ name: 'Quote', position: 1, version: 2 });
    expect(store.order(SALES)).toEqual([
      ['Quote', 1],
      ['Incoming', 2],
      ['Qualified', 3],
      ['Won', 4],
      ['Lost', 5],
      ['Unqualified', 6],
    ]);
    expect(store.stage(S(101))).toMatchObject({ version: 2 });
    expect(store.stage(S(104))).toMatchObject({ version: 1 });
    expect(pipelines.events.map((e) => [e.metadata.resource_id, e.previous])).toEqual([
      [S(103), { position: 3 }],
      [S(101), { position: 1 }],
      [S(102), { position: 2 }],
    ]);
  });

  it('refuses to move a closed stage, or an active one among the closed ones', async () => {
    const { store, deps, call } = setup();
    expect(problemFields(await rejection(updateStage(deps, call, S(105), { position: 1 })))).toEqual(['body.position']);
    expect(problemFields(await rejection(updateStage(deps, call, S(101), { position: 4 })))).toEqual(['body.position']);
    expect(store.order(SALES).map(([, p]) => p)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('answers an unchanged stage as it is, with no event', async () => {
    const { pipelines, deps, call } = setup();
    expect(await updateStage(deps, call, S(102), { name: 'Qualified', position: 2 })).toMatchObject({ version: 1 });
    expect(pipelines.events).toEqual([]);
  });

  it('refuses a stale If-Match with the current stage', async () => {
    const { deps, call } = setup();
    const error = await rejection(updateStage(deps, call, S(102), { name: 'X' }, 4));
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).current).toMatchObject({ id: S(102), version: 1 });
  });

  it('keeps a deal count that moved between the read and the write', async () => {
    const { store, pipelines, deps, call } = setup();
    pipelines.beforeWrite = () => store.addDeals(S(102), 2);
    await updateStage(deps, call, S(102), { name: 'Renamed' });
    expect(store.stage(S(102))).toMatchObject({ name: 'Renamed', deal_count: 2 });
  });

  it('refuses a move when another stage changed meanwhile, and writes nothing', async () => {
    const { store, pipelines, deps, call } = setup();
    pipelines.beforeWrite = () => void (store.stages.get(S(101))!.version += 1);
    await expect(updateStage(deps, call, S(103), { position: 1 })).rejects.toBeInstanceOf(ConflictError);
    expect(store.stage(S(103))).toMatchObject({ position: 3, version: 1 });
  });
});

describe('deleteStage', () => {
  it('deletes an empty active stage; the stages after it move up, with events', async () => {
    const { store, pipelines, deals, deps, call } = setup();
    await deleteStage(deps, call, S(101), { ifMatch: 1 });
    expect(store.order(SALES)).toEqual([
      ['Qualified', 1],
      ['Quote', 2],
      ['Won', 3],
      ['Lost', 4],
      ['Unqualified', 5],
    ]);
    expect(pipelines.events.map((e) => [e.metadata.event_type, e.metadata.resource_id, e.previous])).toEqual([
      ['stage.deleted', S(101), undefined],
      ['stage.updated', S(102), { position: 2 }],
      ['stage.updated', S(103), { position: 3 }],
      ['stage.updated', S(104), { position: 4 }],
      ['stage.updated', S(105), { position: 5 }],
      ['stage.updated', S(106), { position: 6 }],
    ]);
    expect(deals.calls).toEqual([]);
  });

  it.each([104, 105, 106])('refuses to delete closed stage %i with a 409 that says why', async (n) => {
    const { store, deps, call } = setup();
    const error = await rejection(deleteStage(deps, call, S(n)));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/cannot be deleted: every pipeline keeps its won, lost and unqualified stages/);
    expect(store.stage(S(n))).toBeDefined();
  });

  it('refuses a stage holding deals without move_deals_to, naming the count and the parameter', async () => {
    const { store, deals, deps, call } = setup();
    store.addDeals(S(102), 3);
    const error = await rejection(deleteStage(deps, call, S(102)));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe(
      'Stage "Qualified" holds 3 deal(s); pass move_deals_to=<stage id> (another stage of the same pipeline) to move them there and delete the stage',
    );
    expect(deals.calls).toEqual([]);
    expect(store.stage(S(102))).toMatchObject({ deal_count: 3 });
  });

  it('moves the deals to move_deals_to through the deal mover, then deletes the stage', async () => {
    const { store, pipelines, deals, deps, call } = setup();
    store.addDeals(S(102), 3);
    await deleteStage(deps, call, S(102), { moveDealsTo: S(103) });
    expect(deals.calls).toEqual([{ from: S(102), to: S(103), actor: ADMIN }]);
    expect(store.stage(S(102))).toMatchObject({ deleted_at: TEST_NOW, deal_count: 0 });
    expect(store.stage(S(103))).toMatchObject({ deal_count: 3, position: 2 });
    expect(pipelines.events[0]).toMatchObject({ metadata: { event_type: 'stage.deleted' }, data: { id: S(102), deal_count: 0 } });
  });

  it('refuses when a deal arrives after the move: the delete is conditioned on deal_count = 0', async () => {
    const { store, pipelines, deals, deps, call } = setup();
    store.addDeals(S(102), 3);
    deals.afterMove = () => store.addDeals(S(102), 1);
    const error = await rejection(deleteStage(deps, call, S(102), { moveDealsTo: S(101) }));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/received 1 deal\(s\) meanwhile/);
    expect(store.stage(S(102))).toMatchObject({ deal_count: 1 });
    expect(pipelines.events).toEqual([]);
  });

  it('refuses when a deal arrives in an empty stage between the read and the write', async () => {
    const { store, pipelines, deps, call } = setup();
    pipelines.beforeWrite = () => store.addDeals(S(101), 1);
    await expect(deleteStage(deps, call, S(101))).rejects.toBeInstanceOf(ConflictError);
    expect(store.order(SALES)).toHaveLength(6);
  });

  it('refuses move_deals_to naming the stage itself, or a stage of another pipeline', async () => {
    const { store, deals, deps, call } = setup();
    store.addDeals(S(102), 1);
    expect(problemFields(await rejection(deleteStage(deps, call, S(102), { moveDealsTo: S(102) })))).toEqual([
      'query.move_deals_to',
    ]);
    expect(problemFields(await rejection(deleteStage(deps, call, S(102), { moveDealsTo: S(201) })))).toEqual([
      'query.move_deals_to',
    ]);
    expect(problemFields(await rejection(deleteStage(deps, call, S(102), { moveDealsTo: testId(99) })))).toEqual([
      'query.move_deals_to',
    ]);
    expect(deals.calls).toEqual([]);
  });

  it('refuses a stale If-Match and an unknown stage', async () => {
    const { deps, call } = setup();
    await expect(deleteStage(deps, call, S(101), { ifMatch: 2 })).rejects.toBeInstanceOf(VersionMismatchError);
    await expect(deleteStage(deps, call, testId(99))).rejects.toBeInstanceOf(NotFoundError);
  });

  it("refuses to delete a pipeline's last active stage: new deals need somewhere to start", async () => {
    const { store, deps, call } = setup();
    const error = await rejection(deleteStage(deps, call, S(201)));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe(
      'Stage "Intro" is the pipeline\'s last active stage; add another active stage before deleting it',
    );
    expect(store.order(OTHER)).toHaveLength(4);
  });

  it('reads a stage that moved since the list was read from its own record', async () => {
    const { store, deps, call } = setup();
    const stale = makeStage(S(101), SALES, { name: 'Incoming', position: 1, version: 1 });
    store.seed({ stages: [{ ...stale, version: 2 }] });
    await deleteStage(deps, call, S(101), { ifMatch: 2 });
    expect(store.stage(S(101))).toMatchObject({ deleted_at: TEST_NOW, version: 3 });
  });

  it('keeps the stage as a tombstone: read by id with deleted_at, out of the list, never changed or chosen again', async () => {
    const { deps, call } = setup();
    await deleteStage(deps, call, S(101), { ifMatch: 1 });
    expect(await getStage(deps, S(101))).toMatchObject({ id: S(101), name: 'Incoming', deleted_at: TEST_NOW, version: 2 });
    expect((await listStages(deps, SALES)).map((s) => s.id)).not.toContain(S(101));
    await expect(deleteStage(deps, call, S(101))).rejects.toBeInstanceOf(NotFoundError);
    await expect(updateStage(deps, call, S(101), { name: 'Back' })).rejects.toBeInstanceOf(NotFoundError);
    expect(problemFields(await rejection(deleteStage(deps, call, S(102), { moveDealsTo: S(101) })))).toEqual([
      'query.move_deals_to',
    ]);
    // Its name is free: stage names were never unique, and a new stage may take it.
    expect(await createStage(deps, call, { pipeline_id: SALES, name: 'Incoming', likelihood: 5 })).toMatchObject({
      name: 'Incoming',
    });
  });
});
