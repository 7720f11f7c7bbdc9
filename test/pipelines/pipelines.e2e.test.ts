import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#infra/config/load.ts';
import { TABLE_NAME, type LocalCloud } from '#infra/local/cloud.ts';
import type { DevUser } from '#infra/local/seed.ts';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { stageKey } from '#shared/pipelines/dynamodb.ts';
import { apiClient, startTestCloud } from '#test/helpers/local-cloud.ts';

// Pipelines, stages, reasons and sources over HTTP, as a client and an admin use them.

let cloud: LocalCloud;
let api: ReturnType<typeof apiClient>;
let users: Record<string, DevUser>;
let dynamo: DynamoDBDocumentClient;
let n = 0;
const unique = () => `${Date.now().toString(36)}${n++}`;
const busEvents: BusEvent[] = [];

beforeAll(async () => {
  const started = await startTestCloud({
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
  cloud = started.cloud;
  api = apiClient(cloud.url);
  users = Object.fromEntries(started.users.map((u) => [u.email.split('@')[0]!, u]));
  dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: cloud.dynamoEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
});

afterAll(async () => {
  dynamo?.destroy();
  await cloud?.stop();
});

const as = (who: string) => users[who]!.token;

/** What a deal write does to its stage (the deals API is another module's). */
const dealsArrive = (stageId: string, count: number) =>
  dynamo.send(
    new UpdateCommand({
      TableName: TABLE_NAME,
      Key: stageKey(stageId),
      UpdateExpression: 'ADD deal_count :n',
      ExpressionAttributeValues: { ':n': count },
    }),
  );

async function newPipeline(stages?: { name: string; likelihood: number }[]) {
  const res = await api('POST', '/pipelines', { token: as('admin'), body: { name: `Pipeline ${unique()}`, stages } });
  expect(res.status).toBe(201);
  return res.body as { id: string; name: string; version: number };
}

async function stagesOf(pipelineId: string, who = 'admin') {
  const res = await api('GET', `/stages?pipeline_id=${pipelineId}`, { token: as(who) });
  expect(res.status).toBe(200);
  return res.body.items as {
    id: string;
    name: string;
    category: string;
    position: number;
    likelihood: number;
    version: number;
  }[];
}

async function eventually<T>(find: () => T | undefined): Promise<T | undefined> {
  const deadline = Date.now() + 2_000;
  while (!find() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return find();
}

describe('a fresh deployment', () => {
  it('has the default pipeline from the config and starter reasons and sources', async () => {
    const config = loadConfig();
    const list = await api('GET', '/pipelines', { token: as('rep1') });
    expect(list.status).toBe(200);
    const pipeline = list.body.items.find((p: { name: string }) => p.name === config.default_pipeline.name);
    expect(pipeline).toBeDefined();
    expect((await stagesOf(pipeline.id, 'rep1')).map((s) => [s.name, s.category, s.likelihood])).toEqual(
      config.default_pipeline.stages.map((s) => [s.name, s.category, s.likelihood]),
    );
    for (const path of ['/loss_reasons', '/deal_unqualified_reasons', '/lead_unqualified_reasons', '/sources']) {
      const res = await api('GET', path, { token: as('rep2') });
      expect(res.status, path).toBe(200);
      expect(res.body.items.length, path).toBeGreaterThan(3);
    }
  });
});

describe('pipelines', () => {
  it('lets an admin create a pipeline with Won, Lost and Unqualified after its stages; everyone reads it', async () => {
    const res = await api('POST', '/pipelines', {
      token: as('admin'),
      body: { name: `Renewals ${unique()}`, stages: [{ name: 'Due', likelihood: 60 }] },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/pipelines/${res.body.id}`);
    expect(res.headers.get('etag')).toBe('"1"');
    expect((await api('GET', `/pipelines/${res.body.id}`, { token: as('rep1') })).body).toEqual(res.body);
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
    for (const who of ['rep1', 'manager']) {
      expect((await api('POST', '/pipelines', { token: as(who), body: { name: `X ${unique()}` } })).status).toBe(403);
      expect((await api('PATCH', `/pipelines/${pipeline.id}`, { token: as(who), body: { name: 'X' } })).status).toBe(403);
      expect((await api('DELETE', `/stages/${(await stagesOf(pipeline.id))[0]!.id}`, { token: as(who) })).status).toBe(403);
    }
  });

  it('refuses a duplicate name (any case) with 409, and a stale If-Match with 412', async () => {
    const pipeline = await newPipeline();
    const dup = await api('POST', '/pipelines', { token: as('admin'), body: { name: pipeline.name.toUpperCase() } });
    expect(dup.status).toBe(409);
    expect(dup.headers.get('content-type')).toBe('application/problem+json');
    const ok = await api('PATCH', `/pipelines/${pipeline.id}`, {
      token: as('admin'),
      body: { name: `Renamed ${unique()}` },
      headers: { 'if-match': '"1"' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.version).toBe(2);
    const stale = await api('DELETE', `/pipelines/${pipeline.id}`, { token: as('admin'), headers: { 'if-match': '"1"' } });
    expect(stale.status).toBe(412);
    expect(stale.body.current).toMatchObject({ version: 2 });
  });

  it('refuses to delete a pipeline holding deals, and deletes an empty one with its stages', async () => {
    const pipeline = await newPipeline();
    const [incoming] = await stagesOf(pipeline.id);
    await dealsArrive(incoming!.id, 2);
    const busy = await api('DELETE', `/pipelines/${pipeline.id}`, { token: as('admin') });
    expect(busy.status).toBe(409);
    expect(busy.body.detail).toMatch(/holds 2 deal\(s\)/);
    await dealsArrive(incoming!.id, -2);
    expect((await api('DELETE', `/pipelines/${pipeline.id}`, { token: as('admin') })).status).toBe(204);
    expect((await api('GET', `/pipelines/${pipeline.id}`, { token: as('admin') })).status).toBe(404);
    expect((await api('GET', `/stages/${incoming!.id}`, { token: as('admin') })).status).toBe(404);
    expect((await api('GET', `/stages?pipeline_id=${pipeline.id}`, { token: as('admin') })).status).toBe(404);
  });

  it('replays a POST with the same Idempotency-Key', async () => {
    const key = `key-${unique()}`;
    const body = { name: `Once ${unique()}` };
    const first = await api('POST', '/pipelines', { token: as('admin'), body, headers: { 'idempotency-key': key } });
    const second = await api('POST', '/pipelines', { token: as('admin'), body, headers: { 'idempotency-key': key } });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.id).toBe(first.body.id);
  });
});

describe('stages', () => {
  it('adds, reorders and deletes active stages, renumbering the others', async () => {
    const pipeline = await newPipeline([
      { name: 'Incoming', likelihood: 10 },
      { name: 'Quote', likelihood: 50 },
    ]);
    const added = await api('POST', '/stages', {
      token: as('admin'),
      body: { pipeline_id: pipeline.id, name: 'Qualified', likelihood: 25, position: 2 },
    });
    expect(added.status).toBe(201);
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
    const moved = await api('PATCH', `/stages/${quote.id}`, {
      token: as('admin'),
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
    expect((await api('DELETE', `/stages/${added.body.id}`, { token: as('admin') })).status).toBe(204);
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
    const renamed = await api('PATCH', `/stages/${won.id}`, { token: as('admin'), body: { name: 'Closed won' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Closed won', likelihood: 100 });
    const likelihood = await api('PATCH', `/stages/${won.id}`, { token: as('admin'), body: { likelihood: 80 } });
    expect(likelihood.status).toBe(422);
    expect(likelihood.body.errors.map((e: { field: string }) => e.field)).toEqual(['body.likelihood']);
    const move = await api('PATCH', `/stages/${won.id}`, { token: as('admin'), body: { position: 1 } });
    expect(move.status).toBe(422);
    expect(move.body.errors[0].field).toBe('body.position');
    const deleted = await api('DELETE', `/stages/${won.id}`, { token: as('admin') });
    expect(deleted.status).toBe(409);
    expect(deleted.body.detail).toMatch(/cannot be deleted/);
    const added = await api('POST', '/stages', {
      token: as('admin'),
      body: { pipeline_id: pipeline.id, name: 'Won again', likelihood: 100, category: 'won' },
    });
    expect(added.status).toBe(422);
    expect(added.body.errors.map((e: { field: string }) => e.field)).toEqual(['body.category']);
  });

  it('needs move_deals_to to delete a stage holding deals, and names the count and the parameter', async () => {
    const pipeline = await newPipeline([
      { name: 'A', likelihood: 10 },
      { name: 'B', likelihood: 20 },
    ]);
    const [a] = await stagesOf(pipeline.id);
    await dealsArrive(a!.id, 3);
    const refused = await api('DELETE', `/stages/${a!.id}`, { token: as('admin') });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/holds 3 deal\(s\); pass move_deals_to=/);
    const self = await api('DELETE', `/stages/${a!.id}?move_deals_to=${a!.id}`, { token: as('admin') });
    expect(self.status).toBe(422);
    expect(self.body.errors[0].field).toBe('query.move_deals_to');
    expect((await api('GET', `/stages/${a!.id}`, { token: as('rep1') })).body).toMatchObject({ deal_count: 3 });
  });

  it('names bad input: a missing pipeline_id filter, an unknown pipeline, a likelihood over 100', async () => {
    const missing = await api('GET', '/stages', { token: as('rep1') });
    expect(missing.status).toBe(422);
    expect(missing.body.errors[0].field).toBe('query.pipeline_id');
    const unknown = await api('POST', '/stages', {
      token: as('admin'),
      body: { pipeline_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV', name: 'X', likelihood: 10 },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0].field).toBe('body.pipeline_id');
    const pipeline = await newPipeline();
    const over = await api('POST', '/stages', {
      token: as('admin'),
      body: { pipeline_id: pipeline.id, name: 'X', likelihood: 101 },
    });
    expect(over.status).toBe(422);
    expect(over.body.errors[0].field).toBe('body.likelihood');
  });
});

describe('reasons and sources', () => {
  it('keeps names unique per list, renames with If-Match, deletes, and publishes each change', async () => {
    const name = `Too slow ${unique()}`;
    const created = await api('POST', '/loss_reasons', { token: as('admin'), body: { name } });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/loss_reasons/${created.body.id}`);
    const dup = await api('POST', '/loss_reasons', { token: as('admin'), body: { name: name.toLowerCase() } });
    expect(dup.status).toBe(409);
    expect(dup.body.detail).toMatch(/loss reason named/);
    expect((await api('POST', '/sources', { token: as('admin'), body: { name } })).status).toBe(201);
    expect((await api('POST', '/loss_reasons', { token: as('rep1'), body: { name: `X ${unique()}` } })).status).toBe(403);

    const renamed = await api('PATCH', `/loss_reasons/${created.body.id}`, {
      token: as('admin'),
      body: { name: `${name} (renamed)` },
      headers: { 'if-match': '"1"' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.version).toBe(2);
    const stale = await api('DELETE', `/loss_reasons/${created.body.id}`, { token: as('admin'), headers: { 'if-match': '"1"' } });
    expect(stale.status).toBe(412);
    expect((await api('DELETE', `/loss_reasons/${created.body.id}`, { token: as('admin') })).status).toBe(204);
    expect((await api('GET', `/loss_reasons/${created.body.id}`, { token: as('rep1') })).status).toBe(404);

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
