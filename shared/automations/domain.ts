import * as z from 'zod/mini';
import { contactSchema } from '#shared/contacts/domain.ts';
import { dealSchema } from '#shared/deals/domain.ts';
import { leadSchema } from '#shared/leads/domain.ts';

// Automated actions from the deployment config (F10.1–F10.3): a trigger event, filters on the
// record, and actions. Each action becomes its own EventBridge rule (infra/automations.ts),
// whose pattern holds what a pattern can express; the automations function checks the rest
// here (users by e-mail, teams, custom fields by name, comparisons of money strings).
// Names: pipelines and stages by `key`, users by e-mail, fields by name.

/** The events an automation can start from, and the record each carries as `data`. */
export const AUTOMATION_TRIGGERS = {
  'lead.created': 'lead',
  'contact.created': 'contact',
  'deal.created': 'deal',
  'deal.stage_changed': 'deal',
} as const;
export type AutomationTrigger = keyof typeof AUTOMATION_TRIGGERS;
export type AutomationResource = (typeof AUTOMATION_TRIGGERS)[AutomationTrigger];

export const FILTER_OPERATORS = ['equals', 'one_of', 'empty', 'not_empty', 'greater_than', 'less_than'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/** A chain of automations stops past this many links (a warning is logged; nothing is written). */
export const MAX_CHAIN_DEPTH = 3;

/** Kebab-case names: they name EventBridge rules, markers and `caused_by.automation`. */
const NAME = /^[a-z0-9][a-z0-9-]{0,47}$/;
const name = z.string().check(z.regex(NAME, 'lowercase letters, digits and dashes, at most 48'));
const key = z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a pipeline or stage key: lowercase letters, digits, dashes'));
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/**
 * A filter on the trigger's record. `field`: "owner" (users by e-mail), "team" (team names),
 * "pipeline" / "stage" (keys), "custom:<field name>", or a record field by its API name.
 */
export const automationFilterSchema = z.strictObject({
  field: z.string().check(z.minLength(1), z.maxLength(200)),
  op: z.enum(FILTER_OPERATORS),
  value: z.optional(z.union([scalar, z.array(scalar).check(z.minLength(1), z.maxLength(100))])),
});
export type AutomationFilter = z.output<typeof automationFilterSchema>;

/** A due offset: minutes, hours or days ("30m", "3h", "2d"); days keep the wall-clock time. */
export const dueOffsetSchema = z.string().check(z.regex(/^[1-9][0-9]{0,3}[mhd]$/, 'an offset such as "30m", "3h" or "2d"'));

export const createTaskActionSchema = z.strictObject({
  type: z.literal('create_task'),
  /** The action's name (its rule's); default "<automation>-<n>". */
  name: z.optional(name),
  content: z.string().check(z.minLength(1), z.maxLength(2000)),
  /** The record's owner, the owner's manager (their reports_to), or a user by e-mail. */
  assignee: z._default(z.union([z.enum(['owner', 'owner_manager']), z.strictObject({ user: z.email() })]), 'owner'),
  due_in: z.optional(dueOffsetSchema),
});

export type CreateTaskAction = z.output<typeof createTaskActionSchema>;

export const setFieldActionSchema = z.strictObject({
  type: z.literal('set_field'),
  name: z.optional(name),
  /** A custom field of the record's kind, by name. */
  field: z.string().check(z.minLength(1), z.maxLength(200)),
  value: scalar,
});

export const automationActionSchema = z.discriminatedUnion('type', [createTaskActionSchema, setFieldActionSchema]);
export type AutomationAction = z.output<typeof automationActionSchema>;

export const automationSchema = z.strictObject({
  name,
  description: z.optional(z.string().check(z.maxLength(500))),
  trigger: z.strictObject({
    event: z.enum(Object.keys(AUTOMATION_TRIGGERS) as [AutomationTrigger, ...AutomationTrigger[]]),
    /** deal.stage_changed: the stage moved to; deal.created: the stage created in. */
    stage: z.optional(key),
    /** The pipeline (by key); the default pipeline's stages are checked at synth. */
    pipeline: z.optional(key),
  }),
  filters: z._default(z.array(automationFilterSchema).check(z.maxLength(20)), []),
  actions: z.array(automationActionSchema).check(z.minLength(1), z.maxLength(10)),
});
export type Automation = z.output<typeof automationSchema>;

/** One configured action with what its rule and the function need: the unit GET /automations lists. */
export interface ConfiguredAction {
  /** Unique across the config: the rule's name suffix, the markers' and caused_by's name. */
  readonly name: string;
  readonly automation: string;
  /** Where it sits in the config, for messages: "automations[0].actions[1]". */
  readonly path: string;
  readonly trigger: Automation['trigger'];
  readonly resource: AutomationResource;
  readonly filters: readonly AutomationFilter[];
  readonly action: AutomationAction;
}

/** A ConfiguredAction as the rule's input transformer hands it to the function. */
export const configuredActionSchema = z.object({
  name,
  automation: name,
  path: z.string(),
  trigger: automationSchema.shape.trigger,
  resource: z.enum(['deal', 'lead', 'contact']),
  filters: z.array(automationFilterSchema),
  action: automationActionSchema,
});

/** A configured action as GET /automations lists it (the deployment passes these in its environment). */
export interface AutomationSummary {
  name: string;
  automation: string;
  /** The trigger event, and ":<stage key>" when it names one. */
  trigger: string;
  type: AutomationAction['type'];
}

/** Every action of every automation, named ("<automation>-<n>" when the config gives no name). */
export function configuredActions(automations: readonly Automation[]): ConfiguredAction[] {
  return automations.flatMap((automation, a) =>
    automation.actions.map((action, i) => ({
      name: action.name ?? `${automation.name}-${i + 1}`,
      automation: automation.name,
      path: `automations[${a}].actions[${i}]`,
      trigger: automation.trigger,
      resource: AUTOMATION_TRIGGERS[automation.trigger.event],
      filters: automation.filters,
      action,
    })),
  );
}

/** The configured actions as GET /automations lists them (compact: a Lambda's environment holds 4 KB). */
export function automationSummaries(automations: readonly Automation[]): AutomationSummary[] {
  return configuredActions(automations).map((a) => ({
    name: a.name,
    automation: a.automation,
    trigger: a.trigger.event + (a.trigger.stage ? `:${a.trigger.stage}` : ''),
    type: a.action.type,
  }));
}

/** How long the JSON of automationSummaries may be: Lambda allows 4 KB of environment in all. */
export const AUTOMATION_SUMMARIES_MAX_CHARS = 3000;

// ---- Filters ------------------------------------------------------------------------------

/** What the function resolved before evaluating filters (users by e-mail, teams, custom fields). */
export interface FilterContext {
  /** User ids by lower-case e-mail; an e-mail missing here names no user. */
  readonly userIds: ReadonlyMap<string, string>;
  /** Member ids by team name (exact). */
  readonly teamMembers: ReadonlyMap<string, readonly string[]>;
  /** Custom field ids by name, for the record's kind. */
  readonly customFieldIds: ReadonlyMap<string, string>;
}

/** What a filter names in the record, as one value. */
function fieldValue(filter: AutomationFilter, record: Record<string, unknown>, ctx: FilterContext): unknown {
  const { field } = filter;
  if (field === 'owner' || field === 'team') return record.owner_id;
  if (field === 'pipeline') return record.pipeline_key;
  if (field === 'stage') return record.stage_key;
  if (field.startsWith('custom:')) {
    const id = ctx.customFieldIds.get(field.slice('custom:'.length));
    const values = (record.custom_fields ?? {}) as Record<string, unknown>;
    return id === undefined ? undefined : values[id];
  }
  return record[field];
}

/** A filter's values as a list (none for `empty`). */
export const filterValues = (filter: AutomationFilter): readonly unknown[] =>
  filter.value === undefined ? [] : Array.isArray(filter.value) ? filter.value : [filter.value];
const valuesOf = filterValues;

/** The ids a filter's e-mails or team names stand for (owner, team); other fields: the values. */
function expected(filter: AutomationFilter, ctx: FilterContext): unknown[] {
  const values = valuesOf(filter);
  if (filter.field === 'owner') return values.flatMap((v) => ctx.userIds.get(String(v).toLowerCase()) ?? []);
  if (filter.field === 'team') return values.flatMap((v) => ctx.teamMembers.get(String(v)) ?? []);
  return [...values];
}

const isEmpty = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
const asNumber = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN);
const same = (a: unknown, b: unknown) =>
  a === b || (typeof a === 'string' && typeof b === 'number' && asNumber(a) === b) || JSON.stringify(a) === JSON.stringify(b);

/** Whether the record passes one filter (the function's check; patterns hold a subset). */
export function passesFilter(filter: AutomationFilter, record: Record<string, unknown>, ctx: FilterContext): boolean {
  const actual = fieldValue(filter, record, ctx);
  switch (filter.op) {
    case 'empty':
      return isEmpty(actual);
    case 'not_empty':
      return !isEmpty(actual);
    case 'equals':
    case 'one_of': {
      const wanted = expected(filter, ctx);
      const actuals = Array.isArray(actual) ? actual : [actual];
      return actuals.some((a) => wanted.some((w) => same(a, w)));
    }
    case 'greater_than':
    case 'less_than': {
      const a = asNumber(actual);
      const b = asNumber(valuesOf(filter)[0]);
      if (Number.isNaN(a) || Number.isNaN(b)) return false;
      return filter.op === 'greater_than' ? a > b : a < b;
    }
  }
}

/** The first filter the record fails (its index), or -1 when it passes them all. */
export function failedFilter(filters: readonly AutomationFilter[], record: Record<string, unknown>, ctx: FilterContext): number {
  return filters.findIndex((filter) => !passesFilter(filter, record, ctx));
}

// ---- Filters as event patterns (automation rules, users' notification rules) ---------------

const RECORD_SCHEMAS: Record<AutomationResource, z.ZodMiniObject> = {
  deal: dealSchema,
  lead: leadSchema,
  contact: contactSchema,
};
/** Filter fields every resource has beside its record fields. */
const SPECIAL_FIELDS = ['owner', 'team'];
const DEAL_FIELDS = ['pipeline', 'stage'];

type Kind = 'string' | 'boolean' | 'integer' | 'other';

/** What a record field holds, from its zod schema (nullable and optional unwrapped). */
function kindOf(schema: z.ZodMiniType | undefined): Kind {
  let def = (schema as { _zod?: { def: { type: string; innerType?: unknown; format?: string } } } | undefined)?._zod?.def;
  while (def && (def.type === 'nullable' || def.type === 'optional')) {
    def = (def.innerType as { _zod: { def: typeof def } })._zod.def;
  }
  if (!def) return 'other';
  if (def.type === 'string') return 'string';
  if (def.type === 'boolean') return 'boolean';
  if (def.type === 'number' && (def.format === 'safeint' || def.format === 'int32')) return 'integer';
  return 'other';
}

/** The record fields (API names) of a resource, by its schema. */
export const recordFieldsOf = (resource: AutomationResource): Record<string, z.ZodMiniType> =>
  RECORD_SCHEMAS[resource].shape as Record<string, z.ZodMiniType>;

/**
 * The event-pattern condition of one filter on the record (`detail.data`): `[field, values]`,
 * or undefined when a pattern cannot hold it (owner and team, custom fields, money strings,
 * `not_empty`): the consumer then checks it with passesFilter alone.
 */
export function filterPatternCondition(resource: AutomationResource, filter: AutomationFilter): [string, unknown[]] | undefined {
  const { field, op } = filter;
  if (field === 'stage' || field === 'pipeline') {
    if (op !== 'equals' && op !== 'one_of') return undefined;
    return [`${field}_key`, [...filterValues(filter)]];
  }
  if (SPECIAL_FIELDS.includes(field) || field.startsWith('custom:')) return undefined;
  const kind = kindOf(recordFieldsOf(resource)[field]);
  const values = [...filterValues(filter)];
  if ((op === 'equals' || op === 'one_of') && (kind === 'string' || kind === 'boolean')) {
    return values.every((v) => v === null || typeof v === kind) ? [field, values] : undefined;
  }
  if ((op === 'equals' || op === 'one_of') && kind === 'integer') {
    return values.every((v) => v === null || typeof v === 'number') ? [field, values] : undefined;
  }
  if (op === 'empty' && kind === 'string') return [field, [null, '']];
  if ((op === 'greater_than' || op === 'less_than') && kind === 'integer' && typeof values[0] === 'number') {
    return [field, [{ numeric: [op === 'greater_than' ? '>' : '<', values[0]] }]];
  }
  return undefined;
}

/**
 * What is wrong with one filter on a resource, whoever wrote it (config or API): an unknown
 * field (`at: 'field'`), or a value the operator cannot take (`at: 'value'`); undefined when
 * it is well formed. How users, teams, stages and pipelines are named is the caller's check.
 */
export function filterProblem(
  resource: AutomationResource,
  filter: AutomationFilter,
): { at: 'field' | 'value'; code: 'unknown_field' | 'invalid_value'; message: string } | undefined {
  const fields = recordFieldsOf(resource);
  const known =
    SPECIAL_FIELDS.includes(filter.field) ||
    (resource === 'deal' && DEAL_FIELDS.includes(filter.field)) ||
    (filter.field.startsWith('custom:') && filter.field.length > 'custom:'.length) ||
    (filter.field in fields && filter.field !== 'custom_fields');
  if (!known) {
    return {
      at: 'field',
      code: 'unknown_field',
      message: `a ${resource} has no field "${filter.field}" (owner, team, ${resource === 'deal' ? 'pipeline, stage, ' : ''}custom:<name>, or one of: ${Object.keys(fields).join(', ')})`,
    };
  }
  const value = (message: string) => ({ at: 'value' as const, code: 'invalid_value' as const, message });
  const wantsValue = filter.op !== 'empty' && filter.op !== 'not_empty';
  if (!wantsValue && filter.value !== undefined) return value(`"${filter.op}" takes no value`);
  if (wantsValue && filter.value === undefined) return value(`"${filter.op}" needs a value`);
  if (filter.op === 'equals' && Array.isArray(filter.value)) return value('"equals" takes one value; use "one_of" for a list');
  if ((filter.op === 'greater_than' || filter.op === 'less_than') && typeof filter.value !== 'number') {
    return value(`"${filter.op}" compares with a number`);
  }
  return undefined;
}

// ---- Due offsets ----------------------------------------------------------------------------

/**
 * `from` plus a due offset: minutes and hours as elapsed time; days as calendar days in
 * `timeZone` at the same wall-clock time (so "2d" across a DST change is still 9:00 → 9:00).
 * @returns an ISO date-time in UTC.
 */
export function dueDate(from: Date, offset: string, timeZone: string): string {
  const amount = Number(offset.slice(0, -1));
  const unit = offset.at(-1);
  if (unit === 'm') return new Date(from.getTime() + amount * 60_000).toISOString();
  if (unit === 'h') return new Date(from.getTime() + amount * 3_600_000).toISOString();
  // Days: shift the wall clock, then find the instant showing it in the zone.
  const wall = wallClock(from, timeZone);
  const target = Date.UTC(wall.year, wall.month - 1, wall.day + amount, wall.hour, wall.minute, wall.second);
  let guess = target - offsetMs(new Date(target), timeZone);
  guess = target - offsetMs(new Date(guess), timeZone);
  return new Date(guess + (from.getTime() % 1000)).toISOString();
}

function wallClock(at: Date, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

/** The zone's offset from UTC at `at`, in ms (wall clock minus UTC). */
function offsetMs(at: Date, timeZone: string): number {
  const w = wallClock(at, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(at.getTime() / 1000) * 1000;
}
