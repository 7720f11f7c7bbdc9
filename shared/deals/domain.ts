import * as z from 'zod/mini';
import { currencySchema } from '#shared/identity/account.ts';
import type { CustomFieldValue, StoredCustomFields } from '#shared/custom-fields/domain.ts';
import { ValidationError, type FieldProblem } from '#shared/kernel/errors.ts';
import type { Stage } from '#shared/pipelines/domain.ts';
import { idSchema, notEmpty, text } from '#shared/kernel/schema.ts';

// Deals (F4.1–F4.4) with Zendesk Sell's field names and meanings.

export interface Deal {
  id: string;
  name: string;
  /** Exact decimal as a string ("1250.50"). */
  value: string;
  currency: string;
  owner_id: string;
  creator_id: string;
  contact_id: string | null;
  organization_id: string | null;
  pipeline_id: string;
  stage_id: string;
  hot: boolean;
  estimated_close_date: string | null;
  customized_win_likelihood: number | null;
  source_id: string | null;
  loss_reason_id: string | null;
  unqualified_reason_id: string | null;
  tags: string[];
  /** By field id; shown by name (see presentCustomFields). */
  custom_fields: StoredCustomFields;
  last_stage_change_at: string;
  last_stage_change_by_id: string;
  added_at: string;
  created_at: string;
  updated_at: string;
  version: number;
}

/** A deal as the API shows it: custom fields by name. */
export type DealView = Omit<Deal, 'custom_fields'> & { custom_fields: Record<string, CustomFieldValue> };

/** One stay of a deal in a stage (F4.4): entered, and left when it moved on. */
export interface StageChange {
  id: string;
  deal_id: string;
  pipeline_id: string;
  stage_id: string;
  entered_at: string;
  entered_by_id: string;
  left_at: string | null;
  left_by_id: string | null;
}

/** A contact linked to a deal beside its primary contact, with a role ("decision maker"...). */
export interface AssociatedContact {
  deal_id: string;
  contact_id: string;
  role: string | null;
  created_at: string;
}

const isRealDate = (value: string): boolean => {
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
};

export const dateSchema = z
  .string()
  .check(z.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD'), z.refine(isRealDate, 'is not a calendar date'));

const amount = z.union([z.number(), z.string()]);
const tags = z.array(text(100)).check(z.maxLength(50, 'at most 50 tags'));

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
  tags,
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

export const dealViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  value: z.string(),
  currency: z.string(),
  owner_id: z.string(),
  creator_id: z.string(),
  contact_id: z.nullable(z.string()),
  organization_id: z.nullable(z.string()),
  pipeline_id: z.string(),
  stage_id: z.string(),
  hot: z.boolean(),
  estimated_close_date: z.nullable(z.string()),
  customized_win_likelihood: z.nullable(z.int()),
  source_id: z.nullable(z.string()),
  loss_reason_id: z.nullable(z.string()),
  unqualified_reason_id: z.nullable(z.string()),
  tags: z.array(z.string()),
  custom_fields: z.record(z.string(), z.unknown()),
  last_stage_change_at: z.string(),
  last_stage_change_by_id: z.string(),
  added_at: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.int(),
});

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

export const associatedContactSchema = z.object({
  deal_id: z.string(),
  contact_id: z.string(),
  role: z.nullable(z.string()),
  created_at: z.string(),
});

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

export function normalizeTags(tags: readonly string[]): string[] {
  return [...new Set(tags.map((t) => t.trim()).filter(Boolean))];
}
