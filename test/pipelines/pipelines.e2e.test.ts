import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '#infra/config/load.ts';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import {
  createPipelineRoute,
  createStageRoute,
  deletePipelineRoute,
  deleteStageRoute,
  getPipelineRoute,
  getStageRoute,
  listPipelinesRoute,
  listStagesRoute,
  namedListRouteSets,
  updatePipelineRoute,
  updateStageRoute,
} from '#shared/pipelines/routes.ts';
import { stageKey } from '#shared/pipelines/dynamodb.ts';
import { bodyOf, expectStatus, useTestCloud } from '#test/helpers/local-cloud.ts';

// Pipelines, stages, reasons and sources over HTTP, as a client and an admin use them.

const session = useTestCloud({
  extraRules: [
    {
      name: 'test-sales-setup',
      pattern: {
        source: ['crm'],
        'detail-type': [{ prefix: 'pipeline.' }, { prefix: 'stage.' }, { prefix: 'loss_reason.' }, { prefix: 'source.' }],
      },
      target: async (e) => void busEvents.push(e),
    },
  ],
});
const { api, call, users, as } = session;
let n = 0;
const unique = () => `${Date.now().toString(36)}${n++}`;
const busEvents: BusEvent[] = [];

/** What a deal write does to its stage (the deals API is another module's). */
const dealsArrive = (stageId: string, count: number) =>
  session.table().send(
    new UpdateCommand({
      TableName: session.cloud.names.tableName,
      Key: stageKey(stageId),
      UpdateExpression: 'ADD deal_count :n',
      ExpressionAttributeValues: { ':n': count },
    }),
  );

const namedList = (kind: string) => namedListRouteSets.find((set) => set.kind === kind)!;

async function newPipeline(stages?: { name: string; likelihood: number }[]) {
  return bodyOf(await call(createPipelineRoute, { as: 'admin', body: { name: `Pipeline ${unique()}`, stages } }), 201);
}

async function stagesOf(pipelineId: string, who = 'admin') {
  return bodyOf(await call(listStagesRoute, { as: who, query: { pipeline_id: pipelineId } }), 200).items;
}

async function eventually<T>(find: () => T | undefined): Promise<T | undefined> {
  const deadline = Date.now() + 2_000;
  while (!find() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return find();
}

describe('a fresh deployment', () => {
  it('has the default pipeline from the config and starter reasons and sources', async () => {
    const config = loadConfig();
    const list = await call(listPipelinesRoute, { as: 'rep1' });
    expectStatus(list, 200);
    const pipeline = list.body.items.find((p) => p.name === config.default_pipeline.name);
    expect(pipeline).toBeDefined();
    expect((await stagesOf(pipeline!.id, 'rep1')).map((s) => [s.name, s.category, s.likelihood])).toEqual(
      config.default_pipeline.stages.map((s) => [s.name, s.category, s.likelihood]),
    );
    expect(namedListRouteSets.map((set) => set.list.path)).toEqual([
      '/loss_reasons',
      '/deal_unqualified_reasons',
      '/lead_unqualified_reasons',
      '/sources',
      '/call_outcomes',
    ]);
    for (const { list: route } of namedListRouteSets) {
      const res = await call(route, { as: 'rep2' });
      expect(res.status, route.path).toBe(200);
      expect(bodyOf(res).items.length, route.path).toBeGreaterThan(3);
    }
  });
});

describe('pipelines', () => {
  it('lets an admin create a pipeline with Won, Lost and Unqualified after its stages; everyone reads it', async () => {
    const res = await call(createPipelineRoute, {
      as: 'admin',
      body: { name: `Renewals ${unique()}`, stages: [{ name: 'Due', likelihood: 60 }] },
    });
    expectStatus(res, 201);
    expect(res.headers.get('location')).toBe(`/pipelines/${res.body.id}`);
    expect(res.headers.get('etag')).toBe('"1"');
    expect((await call(getPipelineRoute, { as: 'rep1', params: { id: res.body.id } })).body).toEqual(res.body);
    expect((await stagesOf(res.body.id, 'manager')).map((s) => [s.name, s.position, s.likelihood])).toEqual([
      ['Due', 1, 60],
      ['Won', 2, 100],
      ['Lost', 3, 0],
      ['Unqualified', 4, 0],
    ]);
    const created = await eventually(() =>
      busEvents.find((e) => e['detail-type'] === 'pipeline.created' && (e.detail as any).data.id === res.body.id),
    );
    expect((created?.detail as any)?.metadata).toMatchObject({ actor_id: users.admin!.user_id, resource_type: 'pipeline' });
  });

  it('refuses a rep and a manager the writes with 403', async () => {
    const pipeline = await newPipeline();
    const params = { id: pipeline.id };
    for (const who of ['rep1', 'manager']) {
      expect((await call(createPipelineRoute, { as: who, body: { name: `X ${unique()}` } })).status).toBe(403);
      expect((await call(updatePipelineRoute, { as: who, params, body: { name: 'X' } })).status).toBe(403);
      const stage = (await stagesOf(pipeline.id))[0]!;
      expect((await call(deleteStageRoute, { as: who, params: { id: stage.id } })).status).toBe(403);
    }
  });

  it('refuses a duplicate name (any case) with 409, and a stale If-Match with 412', async () => {
    const pipeline = await newPipeline();
    const params = { id: pipeline.id };
    const dup = await call(createPipelineRoute, { as: 'admin', body: { name: pipeline.name.toUpperCase() } });
    expect(dup.status).toBe(409);
    expect(dup.headers.get('content-type')).toBe('application/problem+json');
    const ok = await call(updatePipelineRoute, {
      as: 'admin',
      params,
      body: { name: `Renamed ${unique()}` },
      headers: { 'if-match': '"1"' },
    });
    expectStatus(ok, 200);
    expect(ok.body.version).toBe(2);
    const stale = await call(deletePipelineRoute, { as: 'admin', params, headers: { 'if-match': '"1"' } });
    expectStatus(stale, 412);
    expect(stale.body.current).toMatchObject({ version: 2 });
  });

  it('refuses to delete a pipeline holding deals, and deletes an empty one with its stages (kept as tombstones)', async () => {
    const pipeline = await newPipeline();
    const params = { id: pipeline.id };
    const [incoming] = await stagesOf(pipeline.id);
    await dealsArrive(incoming!.id, 2);
    const busy = await call(deletePipelineRoute, { as: 'admin', params });
    expectStatus(busy, 409);
    expect(busy.body.detail).toMatch(/holds 2 deal\(s\)/);
    await dealsArrive(incoming!.id, -2);
    expect((await call(deletePipelineRoute, { as: 'admin', params })).status).toBe(204);
    // Deals' stage history may name them: they still read by id, as deleted, and are out of the lists.
    const deleted = bodyOf(await call(getPipelineRoute, { as: 'rep1', params }), 200);
    expect(deleted).toMatchObject({ id: pipeline.id, version: 2, deleted_at: expect.any(String) });
    expect(bodyOf(await call(getStageRoute, { as: 'rep1', params: { id: incoming!.id } }), 200)).toMatchObject({
      deleted_at: deleted.deleted_at,
    });
    expect(await stagesOf(pipeline.id)).toEqual([]);
    const listed = bodyOf(await call(listPipelinesRoute, { as: 'rep1', query: { limit: 100 } }), 200).items;
    expect(listed.map((p) => p.id)).not.toContain(pipeline.id);
    // Never changed again, and its name is free.
    expect((await call(deletePipelineRoute, { as: 'admin', params })).status).toBe(404);
    expect((await call(updatePipelineRoute, { as: 'admin', params, body: { name: `Back ${unique()}` } })).status).toBe(404);
    expect((await call(deleteStageRoute, { as: 'admin', params: { id: incoming!.id } })).status).toBe(404);
    const again = await call(createStageRoute, { as: 'admin', body: { pipeline_id: pipeline.id, name: 'X', likelihood: 10 } });
    expectStatus(again, 422);
    expect(again.body.errors?.[0]).toMatchObject({ field: 'body.pipeline_id', code: 'unknown_reference' });
    expectStatus(await call(createPipelineRoute, { as: 'admin', body: { name: pipeline.name } }), 201);
  });

  it('replays a POST with the same Idempotency-Key', async () => {
    const headers = { 'idempotency-key': `key-${unique()}` };
    const body = { name: `Once ${unique()}` };
    const first = await call(createPipelineRoute, { as: 'admin', body, headers });
    const second = await call(createPipelineRoute, { as: 'admin', body, headers });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(bodyOf(second).id).toBe(bodyOf(first).id);
  });
});

describe('stages', () => {
  it('adds, reorders and deletes active stages, renumbering the others', async () => {
    const pipeline = await newPipeline([
      { name: 'Incoming', likelihood: 10 },
      { name: 'Quote', likelihood: 50 },
    ]);
    const added = await call(createStageRoute, {
      as: 'admin',
      body: { pipeline_id: pipeline.id, name: 'Qualified', likelihood: 25, position: 2 },
    });
    expectStatus(added, 201);
    expect(added.body).toMatchObject({ category: 'active', position: 2, deal_count: 0, version: 1 });
    expect((await stagesOf(pipeline.id)).map((s) => `${s.position}:${s.name}`)).toEqual([
      '1:Incoming',
      '2:Qualified',
      '3:Quote',
      '4:Won',
      '5:Lost',
      '6:Unqualified',
    ]);
    const quote = (await stagesOf(pipeline.id))[2]!;
    const moved = await call(updateStageRoute, {
      as: 'admin',
      params: { id: quote.id },
      body: { position: 1, likelihood: 55 },
      headers: { 'if-match': `"${quote.version}"` },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ position: 1, likelihood: 55 });
    expect((await stagesOf(pipeline.id)).map((s) => s.name)).toEqual([
      'Quote',
      'Incoming',
      'Qualified',
      'Won',
      'Lost',
      'Unqualified',
    ]);
    expect((await call(deleteStageRoute, { as: 'admin', params: { id: added.body.id } })).status).toBe(204);
    expect((await stagesOf(pipeline.id)).map((s) => `${s.position}:${s.name}`)).toEqual([
      '1:Quote',
      '2:Incoming',
      '3:Won',
      '4:Lost',
      '5:Unqualified',
    ]);
  });

  it('keeps the closed stages: renamed yes, moved, re-weighted, added or deleted no', async () => {
    const pipeline = await newPipeline();
    const won = (await stagesOf(pipeline.id)).find((s) => s.category === 'won')!;
    const params = { id: won.id };
    const renamed = await call(updateStageRoute, { as: 'admin', params, body: { name: 'Closed won' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Closed won', likelihood: 100 });
    const likelihood = await call(updateStageRoute, { as: 'admin', params, body: { likelihood: 80 } });
    expectStatus(likelihood, 422);
    expect(likelihood.body.errors?.map((e) => e.field)).toEqual(['body.likelihood']);
    const move = await call(updateStageRoute, { as: 'admin', params, body: { position: 1 } });
    expectStatus(move, 422);
    expect(move.body.errors?.[0]?.field).toBe('body.position');
    const deleted = await call(deleteStageRoute, { as: 'admin', params });
    expectStatus(deleted, 409);
    expect(deleted.body.detail).toMatch(/cannot be deleted/);
    const added = await call(createStageRoute, {
      as: 'admin',
      body: { pipeline_id: pipeline.id, name: 'Won again', likelihood: 100, category: 'won' },
    });
    expectStatus(added, 422);
    expect(added.body.errors?.map((e) => e.field)).toEqual(['body.category']);
  });

  it('needs move_deals_to to delete a stage holding deals, and names the count and the parameter', async () => {
    const pipeline = await newPipeline([
      { name: 'A', likelihood: 10 },
      { name: 'B', likelihood: 20 },
    ]);
    const [a] = await stagesOf(pipeline.id);
    const params = { id: a!.id };
    await dealsArrive(a!.id, 3);
    const refused = await call(deleteStageRoute, { as: 'admin', params });
    expectStatus(refused, 409);
    expect(refused.body.detail).toMatch(/holds 3 deal\(s\); pass move_deals_to=/);
    const self = await call(deleteStageRoute, { as: 'admin', params, query: { move_deals_to: a!.id } });
    expectStatus(self, 422);
    expect(self.body.errors?.[0]?.field).toBe('query.move_deals_to');
    expect((await call(getStageRoute, { as: 'rep1', params })).body).toMatchObject({ deal_count: 3 });
  });

  it("lists every pipeline's stages without pipeline_id, by pipeline (as GET /pipelines orders them) then position", async () => {
    const added = await newPipeline([
      { name: 'First', likelihood: 20 },
      { name: 'Second', likelihood: 40 },
    ]);
    const order = (await stagesOf(added.id)).map((s) => s.id);
    await call(updateStageRoute, { as: 'admin', params: { id: order[1]! }, body: { position: 1 } });
    const stages: { id: string; pipeline_id: string; name: string }[] = [];
    let cursor: string | undefined;
    do {
      const page = bodyOf(await call(listStagesRoute, { as: 'rep1', query: { cursor } }), 200);
      stages.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    const pipelines = bodyOf(await call(listPipelinesRoute, { as: 'rep1', query: { limit: 100 } }), 200).items;
    const expected: string[] = [];
    for (const p of pipelines) expected.push(...(await stagesOf(p.id, 'rep1')).map((s) => s.id));
    expect(stages.map((s) => s.id)).toEqual(expected);
    expect(stages.filter((s) => s.pipeline_id === added.id).map((s) => s.name)).toEqual([
      'Second',
      'First',
      'Won',
      'Lost',
      'Unqualified',
    ]);
  });

  it('names bad input: a cursor beside pipeline_id, an unknown pipeline, a likelihood over 100', async () => {
    const cursorWithPipeline = await api('GET', `/stages?pipeline_id=01ARZ3NDEKTSV4RRFFQ69G5FAV&cursor=x`, {
      token: as('rep1'),
    });
    expect(cursorWithPipeline.status).toBe(422);
    expect(cursorWithPipeline.body.errors[0].field).toBe('query.cursor');
    const unknown = await call(createStageRoute, {
      as: 'admin',
      body: { pipeline_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV', name: 'X', likelihood: 10 },
    });
    expectStatus(unknown, 422);
    expect(unknown.body.errors?.[0]?.field).toBe('body.pipeline_id');
    const pipeline = await newPipeline();
    const over = await call(createStageRoute, {
      as: 'admin',
      body: { pipeline_id: pipeline.id, name: 'X', likelihood: 101 },
    });
    expectStatus(over, 422);
    expect(over.body.errors?.[0]?.field).toBe('body.likelihood');
  });
});

describe('reasons and sources', () => {
  it('keeps names unique per list, renames with If-Match, deletes, and publishes each change', async () => {
    const lossReasons = namedList('loss_reason');
    const name = `Too slow ${unique()}`;
    const created = await call(lossReasons.create, { as: 'admin', body: { name } });
    expectStatus(created, 201);
    expect(created.headers.get('location')).toBe(`/loss_reasons/${created.body.id}`);
    const params = { id: created.body.id };
    const dup = await call(lossReasons.create, { as: 'admin', body: { name: name.toLowerCase() } });
    expectStatus(dup, 409);
    expect(dup.body.detail).toMatch(/loss reason named/);
    expect((await call(namedList('source').create, { as: 'admin', body: { name } })).status).toBe(201);
    expect((await call(lossReasons.create, { as: 'rep1', body: { name: `X ${unique()}` } })).status).toBe(403);

    const renamed = await call(lossReasons.update, {
      as: 'admin',
      params,
      body: { name: `${name} (renamed)` },
      headers: { 'if-match': '"1"' },
    });
    expectStatus(renamed, 200);
    expect(renamed.body.version).toBe(2);
    const stale = await call(lossReasons.remove, { as: 'admin', params, headers: { 'if-match': '"1"' } });
    expect(stale.status).toBe(412);
    expect((await call(lossReasons.remove, { as: 'admin', params })).status).toBe(204);
    // Kept as a tombstone: deals that name it keep an id that still reads.
    expect(bodyOf(await call(lossReasons.get, { as: 'rep1', params }))).toMatchObject({ deleted_at: expect.any(String) });
    expect((await call(lossReasons.remove, { as: 'admin', params })).status).toBe(404);

    const types = await eventually(() => {
      const seen = busEvents
        .filter((e) => (e.detail as any).metadata.resource_id === created.body.id)
        .map((e) => e['detail-type'])
        .sort();
      return seen.length === 3 ? seen : undefined;
    });
    expect(types).toEqual(['loss_reason.created', 'loss_reason.deleted', 'loss_reason.updated']);
  });
});
