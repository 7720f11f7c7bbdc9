import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '#shared/kernel/errors.ts';
import { newId } from '#shared/kernel/ids.ts';
import { callContext, systemClock, type Call } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { DynamoPipelineRepository, pipelineKeys, stageKey } from '#shared/pipelines/dynamodb.ts';
import type { WriteOp } from '#shared/platform/dynamodb/table.ts';
import { keyFromName } from '#shared/pipelines/domain.ts';
import {
  backfillKeys,
  createPipeline,
  createPipelineWithStages,
  createStage,
  deletePipeline,
  renamePipeline,
  updateStage,
} from '#shared/pipelines/use-cases.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';

// Pipeline and stage keys on DynamoDB Local: from the name, unique (a pipeline's for good,
// through a uniqueness item in the creating transaction), kept on rename, carried by stages.

const system: Principal = { user_id: 'system', email: '', role: 'admin', direct_reports: [] };
const call = (): Call => callContext(system, 'test', systemClock, () => newId());
let deps: { pipelines: DynamoPipelineRepository; deals: { moveAllDeals: () => Promise<number> } };
const tag = Date.now().toString(36);
let tableName: string;

beforeAll(async () => {
  ({ tableName } = await useTestTable());
  deps = { pipelines: new DynamoPipelineRepository(testTableClient(tableName)), deals: { moveAllDeals: async () => 0 } };
});

describe('pipeline and stage keys', () => {
  it('derives keys from names, lower case, accents and punctuation dropped', () => {
    expect(keyFromName('Quote / Proposal')).toBe('quote-proposal');
    expect(keyFromName('  Négociation ')).toBe('negociation');
    expect(keyFromName('!!!')).toBe('x');
  });

  it('makes a key unique with -2 when another pipeline, even a deleted one, had it', async () => {
    const first = await createPipeline(deps, call(), { name: `Partners ${tag}` });
    expect(first.key).toBe(`partners-${tag}`);
    const second = await createPipeline(deps, call(), { name: `Partners! ${tag}` });
    expect(second.key).toBe(`partners-${tag}-2`);
    await deletePipeline(deps, call(), second.id);
    const third = await createPipeline(deps, call(), { name: `Partners? ${tag}` });
    expect(third.key).toBe(`partners-${tag}-3`);
    expect((await deps.pipelines.ofPipeline(third.id)).map((s) => [s.key, s.pipeline_key])).toEqual([
      ['incoming', third.key],
      ['won', third.key],
      ['lost', third.key],
      ['unqualified', third.key],
    ]);
  });

  it('refuses a key the config gives when it is taken (no suffix for a named key)', async () => {
    await createPipelineWithStages(deps, call(), `Cfg ${tag}`, stagesPlan(), 'default_pipeline.stages', `cfg-${tag}`);
    await expect(
      createPipelineWithStages(deps, call(), `Cfg two ${tag}`, stagesPlan(), 'default_pipeline.stages', `cfg-${tag}`),
    ).rejects.toThrow(ConflictError);
  });

  it('keeps keys on rename, and gives a new stage a key unique in its pipeline', async () => {
    const pipeline = await createPipeline(deps, call(), { name: `Renamed ${tag}` });
    const renamed = await renamePipeline(deps, call(), pipeline.id, { name: `Renamed again ${tag}` });
    expect(renamed.key).toBe(pipeline.key);
    const stage = await createStage(deps, call(), { pipeline_id: pipeline.id, name: 'Incoming!', likelihood: 20 });
    expect([stage.key, stage.pipeline_key]).toEqual(['incoming-2', pipeline.key]);
    const moved = await updateStage(deps, call(), stage.id, { name: 'Warm' });
    expect(moved.key).toBe('incoming-2');
  });
});

describe('backfilling keys', () => {
  it("gives pipelines and stages made before keys theirs (the default pipeline the config's), once", async () => {
    const name = `Old default ${tag}`;
    const pipeline = await createPipeline(deps, call(), { name, stages: [{ name: 'Proposal', likelihood: 40 }] });
    // As such a pipeline was stored before keys: no key on it, its stages, nor a claim.
    const raw = testTableClient(tableName);
    await raw.write([
      { type: 'remove', key: pipelineKeys.pipelineKey(pipeline.key!) },
      { type: 'update', key: pipelineKeys.pipeline(pipeline.id), update: 'REMOVE #key', names: { '#key': 'key' } },
      ...(await deps.pipelines.ofPipeline(pipeline.id)).map((stage): WriteOp => ({
        type: 'update',
        key: stageKey(stage.id),
        update: 'REMOVE #key, pipeline_key',
        names: { '#key': 'key' },
      })),
    ]);
    expect((await deps.pipelines.getPipeline(pipeline.id))!.key).toBeUndefined();

    const defaults = { name, key: `default-${tag}`, stages: [{ name: 'Proposal', key: 'offer' }] };
    expect(await backfillKeys(deps, defaults)).toBeGreaterThanOrEqual(1);
    expect((await deps.pipelines.getPipeline(pipeline.id))!.key).toBe(`default-${tag}`);
    expect((await deps.pipelines.ofPipeline(pipeline.id)).map((s) => [s.name, s.key, s.pipeline_key])).toEqual([
      ['Proposal', 'offer', `default-${tag}`],
      ['Won', 'won', `default-${tag}`],
      ['Lost', 'lost', `default-${tag}`],
      ['Unqualified', 'unqualified', `default-${tag}`],
    ]);
    expect(await backfillKeys(deps, defaults)).toBe(0);
  });
});

function stagesPlan() {
  return [
    { name: 'Open', category: 'active' as const, likelihood: 10 },
    { name: 'Won', category: 'won' as const, likelihood: 100 },
    { name: 'Lost', category: 'lost' as const, likelihood: 0 },
    { name: 'Unqualified', category: 'unqualified' as const, likelihood: 0 },
  ];
}
