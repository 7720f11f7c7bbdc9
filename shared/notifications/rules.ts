import * as z from 'zod/mini';
import {
  automationFilterSchema,
  filterPatternCondition,
  filterProblem,
  filterValues,
  passesFilter,
  type AutomationFilter,
  type FilterContext,
} from '#shared/automations/domain.ts';
import { EVENT_SOURCE, type DomainEvent } from '#shared/kernel/events.ts';
import type { FieldProblem } from '#shared/kernel/errors.ts';
import { InvalidEventPatternError, matchesPattern, type EventPattern } from '#shared/kernel/event-patterns.ts';
import { idSchema, text } from '#shared/kernel/schema.ts';

// Custom notifications (F2.2): a user's own rules, "tell me when a deal of team X moves stage".
// A rule has the automations' filter model (shared/automations/domain.ts: the same fields,
// operators and pattern compilation), compiles to one EventBridge pattern, and the
// notifications consumer evaluates it with the local bus's matcher (shared/kernel/
// event-patterns.ts), then checks what a pattern cannot hold (teams, custom fields by name,
// money strings) with the automations' passesFilter. Unlike config automations, rules name
// users and teams by id, as the API does everywhere.

export const RULE_RESOURCES = ['lead', 'contact', 'deal'] as const;
export type RuleResource = (typeof RULE_RESOURCES)[number];

export const RULE_TRIGGERS = ['created', 'task_added', 'stage_changed', 'status_changed', 'owner_changed'] as const;
export type RuleTrigger = (typeof RULE_TRIGGERS)[number];

export const RULE_CHANNELS = ['web', 'email', 'push'] as const;
export type RuleChannel = (typeof RULE_CHANNELS)[number];

/** Channels accepted and stored that deliver nothing yet (push waits for a mobile app). */
export const NOT_CONFIGURED_CHANNELS: readonly RuleChannel[] = ['push'];

/** Rules a user may hold: evaluation reads every rule of a resource type per event. */
export const MAX_RULES_PER_USER = 25;
/** Filters per rule (as automations). */
export const MAX_RULE_FILTERS = 20;

/** Which triggers each resource has (stage: deals; status: leads and contacts). */
export const TRIGGERS_OF: Readonly<Record<RuleResource, readonly RuleTrigger[]>> = {
  lead: ['created', 'task_added', 'status_changed', 'owner_changed'],
  contact: ['created', 'task_added', 'status_changed', 'owner_changed'],
  deal: ['created', 'task_added', 'stage_changed', 'owner_changed'],
};

/** The event types each trigger reads, per resource (a task added: task.created linked to one). */
export function triggerEventTypes(resource: RuleResource, trigger: RuleTrigger): string[] {
  switch (trigger) {
    case 'created':
      return [`${resource}.created`];
    case 'owner_changed':
      return [`${resource}.owner_changed`];
    case 'task_added':
      return ['task.created'];
    case 'stage_changed':
      return resource === 'deal' ? ['deal.stage_changed'] : [];
    case 'status_changed':
      // A contact's statuses follow its deals: contact.updated with a previous status.
      return resource === 'lead' ? ['lead.status_changed'] : resource === 'contact' ? ['contact.updated'] : [];
  }
}

/** Every event type some rule may match: the notifications bus rule's extra detail-types. */
export const RULE_EVENTS: readonly string[] = [
  ...new Set(RULE_RESOURCES.flatMap((r) => TRIGGERS_OF[r].flatMap((t) => triggerEventTypes(r, t)))),
].sort();

const unique = <T>(values: readonly T[]) => new Set(values).size === values.length;

/** What a user writes (POST), every field; PATCH takes any subset. */
export const ruleInputShape = {
  name: text(100),
  resource: z.enum(RULE_RESOURCES),
  /** The automations' filters: owner (user ids), team (team ids), pipeline and stage (keys), custom:<name>, fields. */
  filters: z.array(automationFilterSchema).check(z.maxLength(MAX_RULE_FILTERS)),
  triggers: z.array(z.enum(RULE_TRIGGERS)).check(z.minLength(1), z.refine(unique, 'each trigger at most once')),
  channels: z.array(z.enum(RULE_CHANNELS)).check(z.minLength(1), z.refine(unique, 'each channel at most once')),
};

/** A rule as stored and as the API shows it. */
export const notificationRuleSchema = z.object({
  id: idSchema,
  name: z.string(),
  resource: z.enum(RULE_RESOURCES),
  filters: z.array(automationFilterSchema),
  triggers: z.array(z.enum(RULE_TRIGGERS)),
  channels: z.array(z.enum(RULE_CHANNELS)),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.int(),
});
export type NotificationRule = z.output<typeof notificationRuleSchema>;

export type RuleInput = Pick<NotificationRule, 'name' | 'resource' | 'filters' | 'triggers' | 'channels'>;

/** A rule as the API answers: the stored rule, and which of its channels deliver nothing yet. */
export interface RuleView extends NotificationRule {
  not_configured: RuleChannel[];
}

export const viewOf = (rule: NotificationRule): RuleView => ({
  ...rule,
  not_configured: rule.channels.filter((c) => NOT_CONFIGURED_CHANNELS.includes(c)),
});

/** Why a rule is refused, one entry per field (the body paths a client shows); empty when fine. */
export function ruleProblems(rule: RuleInput): (FieldProblem & { rule: 'invalid_trigger' | 'invalid_filter' })[] {
  const problems: (FieldProblem & { rule: 'invalid_trigger' | 'invalid_filter' })[] = [];
  rule.triggers.forEach((trigger, i) => {
    if (!TRIGGERS_OF[rule.resource].includes(trigger)) {
      problems.push({
        field: `body.triggers.${i}`,
        code: 'invalid',
        rule: 'invalid_trigger',
        message: `a ${rule.resource} rule has no trigger "${trigger}" (its triggers: ${TRIGGERS_OF[rule.resource].join(', ')})`,
      });
    }
  });
  rule.filters.forEach((filter, i) => {
    const at = `body.filters.${i}`;
    if ((filter.field === 'stage' || filter.field === 'pipeline') && rule.resource !== 'deal') {
      problems.push({
        field: `${at}.field`,
        code: 'unknown_field',
        rule: 'invalid_filter',
        message: `only deals have a ${filter.field}`,
      });
      return;
    }
    const problem = filterProblem(rule.resource, filter);
    if (problem) {
      problems.push({
        field: `${at}.${problem.at}`,
        code: problem.code === 'unknown_field' ? 'unknown_field' : 'invalid',
        rule: 'invalid_filter',
        message: problem.message,
      });
      return;
    }
    const values = filterValues(filter);
    const named = { owner: 'a user id', team: 'a team id', stage: 'a stage key', pipeline: 'a pipeline key' } as const;
    const kind = named[filter.field as keyof typeof named];
    if (kind && values.some((v) => typeof v !== 'string' || (kind.endsWith('id') && !idSchema.safeParse(v).success))) {
      problems.push({
        field: `${at}.value`,
        code: 'invalid',
        rule: 'invalid_filter',
        message: `${filter.field} is named by ${kind}`,
      });
    }
  });
  if (problems.length === 0) {
    // Every rule must compile to a pattern the matcher takes: the consumer must never throw on one.
    try {
      matchesPattern(rulePattern(rule), {});
    } catch (error) {
      if (!(error instanceof InvalidEventPatternError)) throw error;
      problems.push({ field: 'body.filters', code: 'invalid', rule: 'invalid_filter', message: error.message });
    }
  }
  return problems;
}

// ---- Compilation and evaluation -------------------------------------------------------------

/** The contact statuses a status_changed rule on contacts watches (either changing). */
const CONTACT_STATUSES = ['prospect_status', 'customer_status'];

/** One trigger's part of a rule's pattern: its event types and what else the event must show. */
function triggerBranch(resource: RuleResource, trigger: RuleTrigger): Record<string, unknown>[] {
  const types = triggerEventTypes(resource, trigger);
  if (types.length === 0) return [];
  if (trigger === 'task_added') return [{ 'detail-type': types, detail: { task: { resource_type: [resource] } } }];
  if (trigger === 'status_changed' && resource === 'contact') {
    return CONTACT_STATUSES.map((field) => ({ 'detail-type': types, detail: { previous: { [field]: [{ exists: true }] } } }));
  }
  return [{ 'detail-type': types }];
}

/**
 * The EventBridge pattern of a rule over its evaluation envelope (see envelopeOf): the
 * triggers' event types (one `$or` branch each when they differ in shape), and under
 * `detail.data` every filter a pattern can hold: the automations' conditions, plus the owner
 * (rules name users by id, so a pattern holds them).
 */
export function rulePattern(rule: Pick<NotificationRule, 'resource' | 'filters' | 'triggers'>): EventPattern {
  const data: Record<string, unknown[]> = {};
  for (const filter of rule.filters) {
    const condition: [string, unknown[]] | undefined =
      filter.field === 'owner' && (filter.op === 'equals' || filter.op === 'one_of')
        ? ['owner_id', [...filterValues(filter)]]
        : filterPatternCondition(rule.resource, filter);
    // Two filters on one field: the pattern keeps the first, passesFilter checks both.
    if (condition && !(condition[0] in data)) data[condition[0]] = condition[1];
  }
  const branches = rule.triggers.flatMap((t) => triggerBranch(rule.resource, t));
  const withData = (branch: Record<string, unknown>) => {
    const detail = { ...((branch.detail as object | undefined) ?? {}), ...(Object.keys(data).length > 0 ? { data } : {}) };
    return { ...branch, ...(Object.keys(detail).length > 0 ? { detail } : {}) };
  };
  const shaped = branches.map(withData);
  return (
    shaped.length === 1 ? { source: [EVENT_SOURCE], ...shaped[0] } : { source: [EVENT_SOURCE], $or: shaped }
  ) as EventPattern;
}

/** Whether a rule of this resource type could care about the event at all (its type). */
export const ruleEventResource = (event: DomainEvent): RuleResource | 'task' | undefined => {
  const type = event.metadata.resource_type;
  return type === 'lead' || type === 'contact' || type === 'deal' || type === 'task' ? type : undefined;
};

/**
 * What a rule's pattern is matched against: the event as EventBridge delivers it (source,
 * detail-type, detail = the domain event). For a task, `detail.task` is the task and
 * `detail.data` the record it is linked to (read at delivery), so filters read the record.
 */
export function envelopeOf(event: DomainEvent, linked?: { record: Record<string, unknown> }): Record<string, unknown> {
  const detail = linked ? { metadata: event.metadata, task: event.data, data: linked.record } : event;
  return { source: EVENT_SOURCE, 'detail-type': event.metadata.event_type, detail };
}

/** Whether the event (its envelope: see envelopeOf) matches the rule's pattern, by the bus's matcher. */
export const rulePatternMatches = (
  rule: Pick<NotificationRule, 'resource' | 'filters' | 'triggers'>,
  envelope: object,
): boolean => matchesPattern(rulePattern(rule), envelope);

/**
 * Whether the record passes every filter of the rule, by the automations' passesFilter (which
 * also checks what the pattern could not hold: teams, custom fields, money strings).
 * @param ctx see ruleFilterContext
 */
export const ruleFiltersPass = (
  rule: Pick<NotificationRule, 'filters'>,
  record: Record<string, unknown>,
  ctx: FilterContext,
): boolean => rule.filters.every((filter) => passesFilter(filter, record, ctx));

/**
 * The filter context of a rule: users are named by id (each id stands for itself), teams by
 * id (the team holds the record's owner when the owner's team is that id), custom fields by
 * name (ids of the resource's fields).
 */
export function ruleFilterContext(
  filters: readonly AutomationFilter[],
  owner: { id: string | undefined; team_id: string | null | undefined },
  customFieldIds: ReadonlyMap<string, string>,
): FilterContext {
  const userIds = new Map<string, string>();
  const teamMembers = new Map<string, string[]>();
  for (const filter of filters) {
    for (const v of filterValues(filter)) {
      if (filter.field === 'owner' && typeof v === 'string') userIds.set(v.toLowerCase(), v);
      if (filter.field === 'team' && typeof v === 'string' && owner.id && owner.team_id === v) teamMembers.set(v, [owner.id]);
    }
  }
  return { userIds, teamMembers, customFieldIds };
}

/** Whether any of the rules filters on custom fields (then their ids are read once). */
export const usesCustomFields = (rules: readonly NotificationRule[]): boolean =>
  rules.some((r) => r.filters.some((f) => f.field.startsWith('custom:')));

/** Whether any of the rules filters on teams (then the owner's team is read once). */
export const usesTeams = (rules: readonly NotificationRule[]): boolean =>
  rules.some((r) => r.filters.some((f) => f.field === 'team'));
