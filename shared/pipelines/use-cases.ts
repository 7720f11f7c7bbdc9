import { ConflictError, NotFoundError, ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import { changedFields, domainEvent, type DomainEvent } from '#shared/kernel/events.ts';
import {
  checkDeletable,
  checkLikelihoodChange,
  checkNewStageCategory,
  checkPipelineStages,
  dealCountOf,
  insertActiveStage,
  isDeleted,
  moveActiveStage,
  newPipelineStages,
  renumber,
  keyFromName,
  showsWholePipeline,
  stageKeys,
  uniqueKey,
  withoutStage,
  type Pipeline,
  type Stage,
  type StagePlan,
} from './domain.ts';
import type { DealMover, PipelineRepository, StageChange } from './ports.ts';
import type { CreatePipelineInput, CreateStageInput, UpdateStageInput } from './domain.ts';
import type { Call, Page, PageQuery } from '#shared/kernel/ports.ts';
import { checkIfMatch } from '#shared/kernel/versioned-update.ts';

// Pipelines and stages (F5.1–F5.3). Everyone reads them (deals need them); only admins change
// them (route contracts enforce the role). Positions are renumbered 1..n on every insert, move
// and delete, in the same transaction as the change, each stage conditioned on the version read:
// two concurrent reorders cannot leave two stages at one position.
// A deleted pipeline or stage is a tombstone (deleted_at set): it still reads by id, since
// deals' stage history names it, but it is out of every list and cannot change or be chosen.

/** Suffixes tried for a pipeline key derived from a name ("sales", "sales-2"...). */
const MAX_KEY_ATTEMPTS = 20;

export interface PipelinesDeps {
  pipelines: PipelineRepository;
}

export interface StageDeletionDeps extends PipelinesDeps {
  deals: DealMover;
}

// ---- Pipelines ----

/** A pipeline by id, a deleted one too (deleted_at set): deals' stage history names it. */
export async function getPipeline(deps: PipelinesDeps, id: string): Promise<Pipeline> {
  const pipeline = await deps.pipelines.getPipeline(id);
  if (!pipeline) throw new NotFoundError('pipeline', id);
  return pipeline;
}

/** A pipeline that may still change: a deleted one is not found. */
async function livePipeline(deps: PipelinesDeps, id: string): Promise<Pipeline> {
  const pipeline = await getPipeline(deps, id);
  if (isDeleted(pipeline)) throw new NotFoundError('pipeline', id);
  return pipeline;
}

export function listPipelines(deps: PipelinesDeps, query: PageQuery): Promise<Page<Pipeline>> {
  return deps.pipelines.listPipelines(query);
}

/** A pipeline with the active stages given, then Won (100 %), Lost (0 %), Unqualified (0 %). */
export function createPipeline(deps: PipelinesDeps, call: Call, input: CreatePipelineInput): Promise<Pipeline> {
  return createPipelineWithStages(deps, call, input.name, newPipelineStages(input.stages), 'body.stages');
}

/** A pipeline with exactly these stages (checked: actives first, one of each closed outcome). */
export async function createPipelineWithStages(
  deps: PipelinesDeps,
  call: Call,
  name: string,
  plans: readonly StagePlan[],
  field: string,
  key?: string,
): Promise<Pipeline> {
  checkPipelineStages(plans, field);
  // A key from the name is made unique by trying the next suffix when the write finds it taken
  // (no read first: keys collide only for names that differ in punctuation or accents).
  const taken = new Set<string>();
  for (let attempt = 1; ; attempt++) {
    const pipelineKey = key ?? uniqueKey(keyFromName(name), taken);
    try {
      return await writePipeline(pipelineKey);
    } catch (error) {
      const keyTaken = error instanceof ConflictError && error.code === 'pipeline.key_taken';
      if (!keyTaken || key !== undefined || attempt >= MAX_KEY_ATTEMPTS) throw error;
      taken.add(pipelineKey);
    }
  }

  async function writePipeline(pipelineKey: string): Promise<Pipeline> {
    const now = call.events.now.toISOString();
    const keys = stageKeys(plans);
    const pipeline: Pipeline = { id: call.events.newId(), key: pipelineKey, name, created_at: now, updated_at: now, version: 1 };
    const stages: Stage[] = plans.map((plan, index) => ({
      id: call.events.newId(),
      pipeline_id: pipeline.id,
      key: keys[index]!,
      pipeline_key: pipelineKey,
      name: plan.name,
      category: plan.category,
      position: index + 1,
      likelihood: plan.likelihood,
      deal_count: 0,
      created_at: now,
      updated_at: now,
      version: 1,
    }));
    const events: DomainEvent[] = [
      domainEvent(call.events, 'pipeline.created', { resource_type: 'pipeline', resource_id: pipeline.id }, pipeline),
      ...stages.map((stage) => stageEvent(call, 'stage.created', stage)),
    ];
    await deps.pipelines.createPipeline(pipeline, stages, events);
    return pipeline;
  }
}

/**
 * Keys for pipelines and stages made before keys existed (each deploy's bootstrap runs it):
 * the default pipeline (found by the config's name) takes the config's keys, the others keys
 * from their names; stages keep any key they have. No events: a key is new, nothing changed.
 * @returns how many pipelines it gave keys.
 */
export async function backfillKeys(
  deps: PipelinesDeps,
  defaults?: { name: string; key?: string | undefined; stages: readonly { name: string; key?: string | undefined }[] },
): Promise<number> {
  const pipelines: Pipeline[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.pipelines.listPipelines({ limit: 100, cursor });
    pipelines.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  const taken = new Set(pipelines.flatMap((p) => (p.key ? [p.key] : [])));
  let changed = 0;
  for (const pipeline of pipelines) {
    const stages = await deps.pipelines.ofPipeline(pipeline.id);
    if (pipeline.key && stages.every((s) => s.key && s.pipeline_key)) continue;
    const isDefault = defaults !== undefined && pipeline.name === defaults.name;
    const stageTaken = new Set(stages.flatMap((s) => (s.key ? [s.key] : [])));
    const assigned = stages
      .filter((s) => !s.key || !s.pipeline_key)
      .map((stage) => {
        const configured = isDefault ? defaults.stages.find((c) => c.name === stage.name)?.key : undefined;
        const key =
          stage.key ?? (configured && !stageTaken.has(configured) ? configured : uniqueKey(keyFromName(stage.name), stageTaken));
        stageTaken.add(key);
        return { stage, key };
      });
    for (let attempt = 1; ; attempt++) {
      const wanted = pipeline.key ? undefined : (isDefault && defaults.key) || uniqueKey(keyFromName(pipeline.name), taken);
      try {
        await deps.pipelines.assignKeys(pipeline, wanted, assigned);
        break;
      } catch (error) {
        const keyTaken = error instanceof ConflictError && error.code === 'pipeline.key_taken';
        if (!keyTaken || wanted === undefined || attempt >= MAX_KEY_ATTEMPTS) throw error;
        taken.add(wanted);
        if (isDefault) defaults.key = undefined;
      }
    }
    changed++;
  }
  return changed;
}

export async function renamePipeline(
  deps: PipelinesDeps,
  call: Call,
  id: string,
  input: { name: string },
  ifMatch?: number,
): Promise<Pipeline> {
  const before = await livePipeline(deps, id);
  await checkIfMatch('pipeline', id, before, ifMatch);
  if (before.name === input.name) return before;
  const after: Pipeline = { ...before, name: input.name, updated_at: call.events.now.toISOString(), version: before.version + 1 };
  await deps.pipelines.renamePipeline(before, after, [
    domainEvent(call.events, 'pipeline.updated', { resource_type: 'pipeline', resource_id: id }, after, {
      previous: { name: before.name },
    }),
  ]);
  return after;
}

/**
 * Only an empty pipeline goes, with its stages (all kept as tombstones, the name freed); never
 * the company's last one.
 */
export async function deletePipeline(deps: PipelinesDeps, call: Call, id: string, ifMatch?: number): Promise<void> {
  const pipeline = await livePipeline(deps, id);
  await checkIfMatch('pipeline', id, pipeline, ifMatch);
  const stages = await wholePipeline(deps, id);
  const deals = dealCountOf(stages);
  if (deals > 0) {
    throw new ConflictError(
      `Pipeline "${pipeline.name}" holds ${deals} deal(s); move them to another pipeline or delete them first`,
      { code: 'pipeline.has_deals' },
    );
  }
  if ((await deps.pipelines.pipelineCount()) <= 1) {
    throw new ConflictError(`Pipeline "${pipeline.name}" is the only pipeline; create another one before deleting it`, {
      code: 'pipeline.last_pipeline',
    });
  }
  await deps.pipelines.deletePipeline(pipeline, stages, [
    domainEvent(call.events, 'pipeline.deleted', { resource_type: 'pipeline', resource_id: id }, pipeline),
    ...stages.map((stage) => stageEvent(call, 'stage.deleted', stage)),
  ]);
}

// ---- Stages ----

/** A stage by id, a deleted one too (deleted_at set): deals' stage history names it. */
export async function getStage(deps: PipelinesDeps, id: string): Promise<Stage> {
  const stage = await deps.pipelines.get(id);
  if (!stage) throw new NotFoundError('stage', id);
  return stage;
}

/** A stage that may still change: a deleted one is not found. */
async function liveStage(deps: PipelinesDeps, id: string): Promise<Stage> {
  const stage = await getStage(deps, id);
  if (isDeleted(stage)) throw new NotFoundError('stage', id);
  return stage;
}

/**
 * The stages of a pipeline in position order; a pipeline always has at least four. A deleted
 * pipeline (which still reads by id) lists none; NotFoundError for an unknown one.
 */
export async function listStages(deps: PipelinesDeps, pipelineId: string): Promise<Stage[]> {
  const stages = await deps.pipelines.ofPipeline(pipelineId);
  if (stages.length > 0) return stages;
  const pipeline = await deps.pipelines.getPipeline(pipelineId);
  if (!pipeline || !isDeleted(pipeline)) throw new NotFoundError('pipeline', pipelineId);
  return [];
}

/** How many pipelines' stages one page of `GET /stages` (no pipeline_id) holds: at most 430 stages. */
export const STAGE_PAGE_PIPELINES = 10;

/**
 * `GET /stages`: one pipeline's stages in position order (NotFoundError if it does not exist),
 * or, without `pipeline_id`, every stage everyone may see (all of them), by pipeline (oldest
 * first, as GET /pipelines lists them) then position. A page holds the whole stage lists of at
 * most STAGE_PAGE_PIPELINES pipelines, so a pipeline is never split across pages: one Query
 * for the page of pipelines, then one per pipeline in parallel (at most 11 requests per page).
 * A cursor with `pipeline_id` is refused (that answer is always one page).
 */
export async function stagePage(
  deps: PipelinesDeps,
  query: { pipeline_id?: string | undefined; cursor?: string | undefined },
): Promise<Page<Stage>> {
  if (query.pipeline_id !== undefined) {
    if (query.cursor !== undefined) {
      throw ValidationError.field('query.cursor', "is only for listing every pipeline's stages (without pipeline_id)");
    }
    return { items: await listStages(deps, query.pipeline_id), next_cursor: null };
  }
  const pipelines = await deps.pipelines.listPipelines({ limit: STAGE_PAGE_PIPELINES, cursor: query.cursor });
  const stages = await Promise.all(pipelines.items.map((pipeline) => deps.pipelines.ofPipeline(pipeline.id)));
  return { items: stages.flat(), next_cursor: pipelines.next_cursor };
}

/** Adds an active stage among the active ones; the stages after it move down one. */
export async function createStage(deps: PipelinesDeps, call: Call, input: CreateStageInput): Promise<Stage> {
  checkNewStageCategory(input.category);
  const siblings = await deps.pipelines.ofPipeline(input.pipeline_id);
  if (siblings.length === 0)
    throw ValidationError.field('body.pipeline_id', `no pipeline ${input.pipeline_id}`, { fieldCode: 'unknown_reference' });
  if (!showsWholePipeline(siblings)) throw stagesInFlux();
  const now = call.events.now.toISOString();
  const pipelineKey = siblings[0]?.pipeline_key;
  const added: Stage = {
    id: call.events.newId(),
    pipeline_id: input.pipeline_id,
    key: uniqueKey(keyFromName(input.name), new Set(siblings.flatMap((s) => (s.key ? [s.key] : [])))),
    ...(pipelineKey ? { pipeline_key: pipelineKey } : {}),
    name: input.name,
    category: 'active',
    position: 0,
    likelihood: input.likelihood,
    deal_count: 0,
    created_at: now,
    updated_at: now,
    version: 1,
  };
  const order = insertActiveStage(siblings, added, input.position);
  const stage: Stage = { ...added, position: order.indexOf(added) + 1 };
  const moved = stageChanges(
    call,
    renumber(order).filter((r) => r.stage.id !== added.id),
    siblings,
  );
  await deps.pipelines.createStage(stage, moved, [
    stageEvent(call, 'stage.created', stage),
    ...moved.map((c) => stageEvent(call, 'stage.updated', c.after, { position: c.before.position })),
  ]);
  return stage;
}

/**
 * Renames a stage, changes its likelihood (active stages only: a closed stage's is its
 * outcome), or moves an active stage among the active ones.
 */
export async function updateStage(
  deps: PipelinesDeps,
  call: Call,
  id: string,
  patch: UpdateStageInput,
  ifMatch?: number,
): Promise<Stage> {
  const before = await liveStage(deps, id);
  checkStageVersion(before, ifMatch);
  if (patch.likelihood !== undefined) checkLikelihoodChange(before, patch.likelihood);
  const changed: Stage = { ...before };
  if (patch.name !== undefined) changed.name = patch.name;
  if (patch.likelihood !== undefined) changed.likelihood = patch.likelihood;

  let moved: StageChange[] = [];
  if (patch.position !== undefined && patch.position !== before.position) {
    const siblings = withCurrent(await wholePipeline(deps, before.pipeline_id), before);
    const renumbered = renumber(moveActiveStage(siblings, id, patch.position));
    changed.position = renumbered.find((r) => r.stage.id === id)?.stage.position ?? before.position;
    moved = stageChanges(
      call,
      renumbered.filter((r) => r.stage.id !== id),
      siblings,
    );
  }

  const previous = changedFields(before, changed);
  if (Object.keys(previous).length === 0) return before;
  const after: Stage = { ...changed, updated_at: call.events.now.toISOString(), version: before.version + 1 };
  await deps.pipelines.updateStage({ before, after }, moved, [
    stageEvent(call, 'stage.updated', after, previous),
    ...moved.map((c) => stageEvent(call, 'stage.updated', c.after, { position: c.before.position })),
  ]);
  return after;
}

/**
 * Deletes an active stage (F5.2), keeping it as a tombstone. One holding deals needs `moveDealsTo`, another stage of the
 * same pipeline (F5.3): its deals move there first, and the stage goes only if no deal arrived
 * meanwhile (the delete is conditioned on deal_count = 0).
 */
export async function deleteStage(
  deps: StageDeletionDeps,
  call: Call,
  id: string,
  options: { moveDealsTo?: string | undefined; ifMatch?: number | undefined } = {},
): Promise<void> {
  const stage = await liveStage(deps, id);
  checkStageVersion(stage, options.ifMatch);
  checkDeletable(stage);
  const siblings = withCurrent(await wholePipeline(deps, stage.pipeline_id), stage);
  const target = options.moveDealsTo === undefined ? undefined : moveTarget(siblings, stage, options.moveDealsTo);
  if (stage.deal_count > 0) {
    if (!target) {
      throw new ConflictError(
        `Stage "${stage.name}" holds ${stage.deal_count} deal(s); pass move_deals_to=<stage id> (another stage of the same pipeline) to move them there and delete the stage`,
        { code: 'stage.has_deals' },
      );
    }
    await deps.deals.moveAllDeals(stage, target, call);
  }
  const gone: Stage = { ...stage, deal_count: 0 };
  const moved = stageChanges(call, renumber(withoutStage(siblings, id)), siblings);
  await deps.pipelines.deleteStage(stage, moved, [
    stageEvent(call, 'stage.deleted', gone),
    ...moved.map((c) => stageEvent(call, 'stage.updated', c.after, { position: c.before.position })),
  ]);
}

function moveTarget(siblings: readonly Stage[], stage: Stage, targetId: string): Stage {
  if (targetId === stage.id) throw ValidationError.field('query.move_deals_to', 'must be another stage than the one deleted');
  const target = siblings.find((s) => s.id === targetId);
  if (!target) throw ValidationError.field('query.move_deals_to', `must be a stage of the same pipeline; ${targetId} is not`);
  return target;
}

/** The stages of a pipeline, refused (to be retried) while the read does not show them all. */
async function wholePipeline(deps: PipelinesDeps, pipelineId: string): Promise<Stage[]> {
  const stages = await deps.pipelines.ofPipeline(pipelineId);
  if (!showsWholePipeline(stages)) throw stagesInFlux();
  return stages;
}

const stagesInFlux = () =>
  new ConflictError("The pipeline's stages are being changed right now; try again in a moment", { code: 'concurrent_change' });

function checkStageVersion(stage: Stage, ifMatch: number | undefined): void {
  if (ifMatch !== undefined && ifMatch !== stage.version) throw new VersionMismatchError('stage', stage.id, stage);
}

/** The pipeline's stages with `current` (read by id, consistently) in place of its listed copy. */
function withCurrent(siblings: readonly Stage[], current: Stage): Stage[] {
  return [...siblings.filter((s) => s.id !== current.id), current];
}

/** Renumbered stages as writes: each conditioned on the version read, bumped by one. */
function stageChanges(call: Call, renumbered: { stage: Stage; from: number }[], read: readonly Stage[]): StageChange[] {
  const now = call.events.now.toISOString();
  return renumbered.map(({ stage }) => {
    const before = read.find((s) => s.id === stage.id)!;
    return { before, after: { ...before, position: stage.position, updated_at: now, version: before.version + 1 } };
  });
}

function stageEvent(call: Call, type: string, stage: Stage, previous?: Partial<Stage>): DomainEvent {
  return domainEvent(call.events, type, { resource_type: 'stage', resource_id: stage.id }, stage, previous ? { previous } : {});
}
