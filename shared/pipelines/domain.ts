import * as z from 'zod/mini';
import { STAGE_CATEGORIES, CLOSED_CATEGORIES, type StageCategory } from './defaults.ts';
import { ConflictError, ValidationError, type FieldProblem } from '#shared/kernel/errors.ts';
import { idSchema, notEmpty, text } from '#shared/kernel/schema.ts';

export { STAGE_CATEGORIES, CLOSED_CATEGORIES, type StageCategory };

// Pipelines and their stages (F5.1–F5.3), with Sell's names.

export const pipelineSchema = z.object({
  id: z.string(),
  /** Immutable (kept on rename): how config and automations name it; absent on pipelines older than keys. */
  key: z.optional(z.string()),
  name: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.int(),
  /** Set once deleted (a tombstone): out of the lists, never chosen again; deals' stage history keeps its id. */
  deleted_at: z.optional(
    z.string().check(z.describe('When the pipeline was deleted; absent while it exists. A deleted pipeline is in no list.')),
  ),
});
export type Pipeline = z.output<typeof pipelineSchema>;

export const stageSchema = z.object({
  id: z.string(),
  pipeline_id: z.string(),
  /** Immutable, unique in its pipeline (kept on rename); absent on stages older than keys. */
  key: z.optional(z.string()),
  /** Its pipeline's key, so that one stage read gives both (deal events carry them). */
  pipeline_key: z.optional(z.string()),
  name: z.string(),
  category: z.enum(STAGE_CATEGORIES),
  /** Order within the pipeline, from 1; closed stages always come after the active ones. */
  position: z.int(),
  /** Default win likelihood, percent. */
  likelihood: z.int(),
  /** How many deals are in the stage now (kept by the deal writes, in their transactions). */
  deal_count: z.int(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.int(),
  /**
   * Set once deleted (a tombstone, as its pipeline's deletion leaves it too): out of the lists
   * and the board, never chosen for a deal again; deals' stage history keeps its id.
   */
  deleted_at: z.optional(
    z.string().check(z.describe('When the stage was deleted; absent while it exists. A deleted stage is in no list.')),
  ),
});
export type Stage = z.output<typeof stageSchema>;

/** Whether a pipeline or stage is a tombstone (deleted, still read by id). */
export function isDeleted(record: { deleted_at?: string | undefined }): boolean {
  return record.deleted_at !== undefined;
}

export function isClosed(category: StageCategory): boolean {
  return category !== 'active';
}

/**
 * A closed stage's likelihood is its outcome, not a guess: a won deal is won. It is fixed so
 * that forecasts weighting deals by likelihood can never count a lost deal.
 */
export const CLOSED_STAGE_LIKELIHOOD = { won: 100, lost: 0, unqualified: 0 } as const satisfies Record<
  (typeof CLOSED_CATEGORIES)[number],
  number
>;

/**
 * At most this many active stages per pipeline. The largest change (an insert renumbering every
 * stage after it, each with its event) must fit in one DynamoDB transaction of 100 writes.
 */
export const MAX_ACTIVE_STAGES = 40;

const NAME_MAX = 100;
const likelihood = z.int().check(z.minimum(0), z.maximum(100));

export const DEFAULT_ACTIVE_STAGES: readonly { name: string; likelihood: number }[] = [{ name: 'Incoming', likelihood: 10 }];
export const CLOSED_STAGE_NAMES = { won: 'Won', lost: 'Lost', unqualified: 'Unqualified' } as const;

export const createPipelineInput = z.strictObject({
  name: text(NAME_MAX),
  /** The active stages, in order; Won, Lost and Unqualified are always added after them. */
  stages: z.optional(
    z
      .array(z.strictObject({ name: text(NAME_MAX), likelihood }))
      .check(z.minLength(1, 'needs at least one active stage'), z.maxLength(MAX_ACTIVE_STAGES)),
  ),
});

export const updatePipelineInput = z.strictObject({ name: text(NAME_MAX) });

export const createStageInput = z.strictObject({
  pipeline_id: idSchema,
  name: text(NAME_MAX),
  likelihood,
  /** 1-based, among the active stages; the end of them when left out. */
  position: z.optional(z.int().check(z.minimum(1))),
  /** Only "active": a pipeline has its one won, lost and unqualified stage from the start. */
  category: z.optional(z.enum(STAGE_CATEGORIES)),
});

export const updateStageInput = z
  .strictObject({
    name: z.optional(text(NAME_MAX)),
    likelihood: z.optional(likelihood),
    position: z.optional(z.int().check(z.minimum(1))),
  })
  .check(notEmpty);

export type CreatePipelineInput = z.output<typeof createPipelineInput>;
export type CreateStageInput = z.output<typeof createStageInput>;
export type UpdateStageInput = z.output<typeof updateStageInput>;

/** A stage as planned, before it has ids and times. */
export interface StagePlan {
  /** From config for seeded stages; derived from the name otherwise. */
  key?: string | undefined;
  name: string;
  category: StageCategory;
  likelihood: number;
}

/** The stages of a new pipeline: the active ones given (or "Incoming"), then Won, Lost, Unqualified. */
export function newPipelineStages(active: readonly { name: string; likelihood: number }[] | undefined): StagePlan[] {
  return [
    ...(active ?? DEFAULT_ACTIVE_STAGES).map((s) => ({ name: s.name, category: 'active' as const, likelihood: s.likelihood })),
    ...CLOSED_CATEGORIES.map((category) => ({
      name: CLOSED_STAGE_NAMES[category],
      category,
      likelihood: CLOSED_STAGE_LIKELIHOOD[category],
    })),
  ];
}

/**
 * Checks a whole pipeline's stages in order: at least one active stage, active stages first,
 * then exactly one won, one lost and one unqualified stage, each with its fixed likelihood.
 * `field` names the list in the problems (e.g. "default_pipeline.stages").
 */
export function checkPipelineStages(stages: readonly StagePlan[], field: string): void {
  const problems: FieldProblem[] = [];
  const active = stages.filter((s) => s.category === 'active').length;
  if (active === 0) problems.push({ field, message: 'needs at least one active stage' });
  if (active > MAX_ACTIVE_STAGES) problems.push({ field, message: `at most ${MAX_ACTIVE_STAGES} active stages` });
  for (const category of CLOSED_CATEGORIES) {
    const count = stages.filter((s) => s.category === category).length;
    if (count !== 1) problems.push({ field, message: `needs exactly one "${category}" stage, has ${count}` });
  }
  stages.forEach((stage, index) => {
    if (stage.category === 'active' && index >= active) {
      problems.push({ field: `${field}.${index}.category`, message: 'active stages come before the closed ones' });
    }
    if (stage.category !== 'active' && stage.likelihood !== CLOSED_STAGE_LIKELIHOOD[stage.category]) {
      problems.push({
        field: `${field}.${index}.likelihood`,
        message: `a ${stage.category} stage's likelihood is always ${CLOSED_STAGE_LIKELIHOOD[stage.category]}`,
      });
    }
  });
  if (problems.length > 0) throw new ValidationError(problems);
}

/** A stage's position change: the stage and the value it had. */
export interface Repositioned {
  stage: Stage;
  from: number;
}

/** Stages in pipeline order (by position, then id for a stable answer). */
export function inPipelineOrder(stages: readonly Stage[]): Stage[] {
  return [...stages].sort((a, b) => a.position - b.position || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Numbers `ordered` 1..n and answers the stages whose position changes (as copies with the new
 * position). Unchanged stages are left out, so a write touches only what moved.
 */
export function renumber(ordered: readonly Stage[]): Repositioned[] {
  const moved: Repositioned[] = [];
  ordered.forEach((stage, index) => {
    if (stage.position !== index + 1) moved.push({ stage: { ...stage, position: index + 1 }, from: stage.position });
  });
  return moved;
}

const activeOf = (ordered: readonly Stage[]) => ordered.filter((s) => s.category === 'active');
const closedOf = (ordered: readonly Stage[]) => ordered.filter((s) => s.category !== 'active');

/**
 * Where a new active stage goes: `position` among the active stages (1..active + 1), the end
 * of them by default. Answers the full new order with the new stage in it.
 */
export function insertActiveStage(stages: readonly Stage[], added: Stage, position: number | undefined): Stage[] {
  const ordered = inPipelineOrder(stages);
  const active = activeOf(ordered);
  if (active.length >= MAX_ACTIVE_STAGES) {
    throw ValidationError.field(
      'body.pipeline_id',
      `the pipeline already has ${MAX_ACTIVE_STAGES} active stages, the most allowed`,
      { code: 'pipeline.too_many_stages' },
    );
  }
  const at = position ?? active.length + 1;
  if (at > active.length + 1) {
    throw ValidationError.field(
      'body.position',
      `must be between 1 and ${active.length + 1}: new stages go among the active ones, before Won, Lost and Unqualified`,
    );
  }
  return [...active.slice(0, at - 1), added, ...active.slice(at - 1), ...closedOf(ordered)];
}

/** Moves an active stage to `position` among the active stages (1..active). */
export function moveActiveStage(stages: readonly Stage[], stageId: string, position: number): Stage[] {
  const ordered = inPipelineOrder(stages);
  const stage = ordered.find((s) => s.id === stageId);
  if (!stage) throw new Error(`stage ${stageId} is not in the list`);
  if (stage.category !== 'active') {
    throw ValidationError.field('body.position', `the ${stage.category} stage stays after the active stages; it cannot move`);
  }
  const active = activeOf(ordered);
  if (position > active.length) {
    throw ValidationError.field(
      'body.position',
      `must be between 1 and ${active.length} (the active stages); closed stages always come last`,
    );
  }
  const others = active.filter((s) => s.id !== stageId);
  return [...others.slice(0, position - 1), stage, ...others.slice(position - 1), ...closedOf(ordered)];
}

/** The order once a stage is gone. Closed stages and the last active stage stay (F5.2). */
export function withoutStage(stages: readonly Stage[], stageId: string): Stage[] {
  const ordered = inPipelineOrder(stages);
  const stage = ordered.find((s) => s.id === stageId);
  if (stage) checkDeletable(stage);
  const rest = ordered.filter((s) => s.id !== stageId);
  if (stage && activeOf(rest).length === 0) {
    throw new ConflictError(
      `Stage "${stage.name}" is the pipeline's last active stage; add another active stage before deleting it`,
      { code: 'stage.last_active' },
    );
  }
  return rest;
}

/** Closed stages stay: every pipeline keeps its won, lost and unqualified stage (F5.2). */
export function checkDeletable(stage: Stage): void {
  if (stage.category !== 'active') {
    throw new ConflictError(
      `The ${stage.category} stage "${stage.name}" cannot be deleted: every pipeline keeps its won, lost and unqualified stages (rename it instead)`,
      { code: 'stage.closed_not_deletable' },
    );
  }
}

/** A closed stage's likelihood stays its outcome; the same value is accepted as a no-op. */
export function checkLikelihoodChange(stage: Stage, likelihood: number): void {
  if (stage.category !== 'active' && likelihood !== stage.likelihood) {
    throw ValidationError.field(
      'body.likelihood',
      `the ${stage.category} stage's likelihood is fixed at ${stage.likelihood}: its deals' outcome is known`,
    );
  }
}

/** Only active stages are added: the closed ones come with the pipeline (F5.2). */
export function checkNewStageCategory(category: StageCategory | undefined): void {
  if (category !== undefined && category !== 'active') {
    throw ValidationError.field(
      'body.category',
      `only active stages can be added; every pipeline already has its one ${category} stage (rename it instead)`,
    );
  }
}

/**
 * Whether a read of a pipeline's stages shows its three closed stages. The list comes from an
 * index that lags writes by a moment; a change planned on an incomplete read could renumber
 * around stages it cannot see, so it is refused and retried instead.
 */
export function showsWholePipeline(stages: readonly Stage[]): boolean {
  return CLOSED_CATEGORIES.every((category) => stages.some((s) => s.category === category));
}

/** Deals per stage, summed: a pipeline holding any deal is not deleted. */
export function dealCountOf(stages: readonly Stage[]): number {
  return stages.reduce((sum, s) => sum + s.deal_count, 0);
}

/** Names compare without case or surrounding spaces ("Price" and " price" are one name). */
export function nameKey(name: string): string {
  return name.trim().toLowerCase();
}

// ---- Keys ----

/** The longest key derived from a name (config may set keys up to 64 characters). */
export const KEY_MAX = 48;

/**
 * A key from a name: lower case, accents dropped, runs of other characters as one dash
 * ("Quote / Proposal" → "quote-proposal"); "x" when nothing is left.
 */
export function keyFromName(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, KEY_MAX)
    .replace(/-+$/, '');
  return slug === '' ? 'x' : slug;
}

/** `wanted`, or `wanted-2`, `wanted-3`... : the first not in `taken`. */
export function uniqueKey(wanted: string, taken: ReadonlySet<string>): string {
  if (!taken.has(wanted)) return wanted;
  for (let n = 2; ; n++) if (!taken.has(`${wanted}-${n}`)) return `${wanted}-${n}`;
}

/** Keys for a new pipeline's stages: each plan's own key, or one from its name, unique among them. */
export function stageKeys(plans: readonly Pick<StagePlan, 'key' | 'name'>[]): string[] {
  const taken = new Set<string>(plans.flatMap((p) => (p.key ? [p.key] : [])));
  return plans.map((plan) => {
    if (plan.key) return plan.key;
    const key = uniqueKey(keyFromName(plan.name), taken);
    taken.add(key);
    return key;
  });
}
