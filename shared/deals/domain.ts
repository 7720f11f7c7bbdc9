import * as z from 'zod/mini';
import { currencySchema } from '#shared/identity/account.ts';
import { customFieldValuesSchema } from '#shared/custom-fields/domain.ts';
import { AMOUNT_RULE } from '#shared/kernel/money.ts';
import { ValidationError, type FieldProblem } from '#shared/kernel/errors.ts';
import type { Stage } from '#shared/pipelines/domain.ts';
import { STAGE_CATEGORIES } from '#shared/pipelines/defaults.ts';
import { idSchema, notEmpty, text } from '#shared/kernel/schema.ts';
import { tagsSchema } from '#shared/kernel/tags.ts';

// Deals (F4.1–F4.4) with Zendesk Sell's field names and meanings.

/**
 * A deal as stored and as the API shows it. Stored, custom_fields holds values by field id;
 * the API shows them by field name (presentCustomFields).
 */
export const dealSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** Exact decimal as a string ("1250.50"). */
  value: z.string(),
  currency: z.string(),
  owner_id: z.string(),
  creator_id: z.string(),
  contact_id: z.nullable(z.string()),
  organization_id: z.nullable(z.string()),
  pipeline_id: z.string(),
  stage_id: z.string(),
  /** The pipeline's and stage's immutable keys (absent for stages older than keys): events carry them. */
  pipeline_key: z.optional(z.string()),
  stage_key: z.optional(z.string()),
  hot: z.boolean(),
  estimated_close_date: z.nullable(z.string()),
  customized_win_likelihood: z.nullable(z.int()),
  source_id: z.nullable(z.string()),
  loss_reason_id: z.nullable(z.string()),
  unqualified_reason_id: z.nullable(z.string()),
  tags: z.array(z.string()),
  custom_fields: customFieldValuesSchema,
  last_stage_change_at: z.string(),
  last_stage_change_by_id: z.string(),
  added_at: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.int(),
});
export type Deal = z.output<typeof dealSchema>;

/** A deal as the API shows it: the same shape, custom fields by name. */
export type DealView = Deal;

/** One stay of a deal in a stage (F4.4): entered, and left when it moved on. */
export const stageChangeSchema = z.object({
  id: z.string(),
  deal_id: z.string(),
  pipeline_id: z.string(),
  stage_id: z.string(),
  entered_at: z.string(),
  entered_by_id: z.string(),
  left_at: z.nullable(z.string()),
  left_by_id: z.nullable(z.string()),
});
export type StageChange = z.output<typeof stageChangeSchema>;

/** A contact linked to a deal beside its primary contact, with a role ("decision maker"...). */
export const associatedContactSchema = z.object({
  deal_id: z.string(),
  contact_id: z.string(),
  role: z.nullable(z.string()),
  created_at: z.string(),
});
export type AssociatedContact = z.output<typeof associatedContactSchema>;

const isRealDate = (value: string): boolean => {
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
};

export const dateSchema = z
  .string()
  .check(z.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD'), z.refine(isRealDate, 'is not a calendar date'));

const amount = z.union([z.number(), z.string()]).check(z.describe(`A deal value: ${AMOUNT_RULE}.`));

const dealFields = {
  name: text(255),
  value: amount,
  currency: currencySchema,
  owner_id: idSchema,
  contact_id: z.nullable(idSchema),
  organization_id: z.nullable(idSchema),
  pipeline_id: idSchema,
  stage_id: idSchema,
  hot: z.boolean(),
  estimated_close_date: z.nullable(dateSchema),
  customized_win_likelihood: z.nullable(z.int().check(z.minimum(0), z.maximum(100))),
  source_id: z.nullable(idSchema),
  loss_reason_id: z.nullable(idSchema),
  unqualified_reason_id: z.nullable(idSchema),
  tags: tagsSchema,
  custom_fields: z.record(z.string(), z.unknown()),
  added_at: z.iso.datetime({ offset: true }),
};

const optionalFields = Object.fromEntries(Object.entries(dealFields).map(([k, v]) => [k, z.optional(v)])) as {
  [K in keyof typeof dealFields]: z.ZodMiniOptional<(typeof dealFields)[K]>;
};

export const createDealInput = z.strictObject({ ...optionalFields, name: dealFields.name });
export const updateDealInput = z.strictObject(optionalFields).check(notEmpty);

export type CreateDealInput = z.output<typeof createDealInput>;
export type UpdateDealInput = z.output<typeof updateDealInput>;

export const associateContactInput = z.strictObject({
  contact_id: idSchema,
  role: z.optional(z.nullable(text(100))),
});

/**
 * Puts a deal in a stage (F4.2): a lost deal needs a loss reason and an unqualified one an
 * unqualified reason; a reason that no longer fits the stage is cleared.
 */
export function placeInStage(deal: Deal, stage: Stage, moved: { at: string; by: string } | null): Deal {
  const placed: Deal = { ...deal, pipeline_id: stage.pipeline_id, stage_id: stage.id };
  delete placed.pipeline_key;
  delete placed.stage_key;
  if (stage.pipeline_key) placed.pipeline_key = stage.pipeline_key;
  if (stage.key) placed.stage_key = stage.key;
  if (moved) {
    placed.last_stage_change_at = moved.at;
    placed.last_stage_change_by_id = moved.by;
  }
  if (stage.category !== 'lost') placed.loss_reason_id = null;
  if (stage.category !== 'unqualified') placed.unqualified_reason_id = null;
  const problems: FieldProblem[] = [];
  if (stage.category === 'lost' && !placed.loss_reason_id) {
    problems.push({ field: 'body.loss_reason_id', message: `is required to move a deal into the lost stage "${stage.name}"` });
  }
  if (stage.category === 'unqualified' && !placed.unqualified_reason_id) {
    problems.push({
      field: 'body.unqualified_reason_id',
      message: `is required to move a deal into the unqualified stage "${stage.name}"`,
    });
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return placed;
}

/** Trimmed, blanks dropped, one per tag ignoring case (see shared/kernel/tags.ts). */
export { normalizeTags } from '#shared/kernel/tags.ts';

/**
 * The board's column headers (F1.2, F4.3): count and value of deals per stage of a pipeline,
 * in the caller's scope. Values are per currency (exact decimals): currencies are never added up.
 */
export const dealBoardSchema = z.object({
  pipeline_id: z.string(),
  stages: z.array(
    z.object({
      stage_id: z.string(),
      name: z.string(),
      category: z.enum(STAGE_CATEGORIES),
      position: z.int(),
      count: z.int(),
      values: z.array(z.object({ currency: z.string(), value: z.string() })),
    }),
  ),
});
export type DealBoard = z.output<typeof dealBoardSchema>;
export type StageSummary = DealBoard['stages'][number];
