import { NotFoundError, ValidationError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Call } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { canSee } from '#shared/kernel/visibility.ts';
import { groupIdOf, nameOf, type NotificationDraft } from './domain.ts';
import type { DeliverOutcome, LiveUpdates, NotificationStore, UnconfiguredChannels } from './ports.ts';
import {
  MAX_RULES_PER_USER,
  RULE_EVENTS,
  RULE_RESOURCES,
  envelopeOf,
  ruleEventResource,
  ruleFilterContext,
  ruleFiltersPass,
  rulePatternMatches,
  ruleProblems,
  usesCustomFields,
  usesTeams,
  viewOf,
  type NotificationRule,
  type RuleInput,
  type RuleResource,
  type RuleView,
} from './rules.ts';

// Custom notifications (F2.2): each user's own rules (the routes), and their evaluation by the
// notifications consumer (notifyRuleOwners). Nobody reads or changes another user's rules,
// whatever the role: every route acts on the caller's own, and another user's rule id answers
// as unknown. A rule fires only for records its owner may see at delivery (the kernel's
// visibility: own, a direct report's for a manager, any for an admin), re-read then.

/** A rule with its owner, as the evaluation reads them. */
export interface OwnedRule {
  user_id: string;
  rule: NotificationRule;
}

/** Where rules live: a user's own (at most MAX_RULES_PER_USER), and every rule per resource type. */
export interface NotificationRuleStore {
  /** The user's rules, oldest first (one Query: a user holds at most MAX_RULES_PER_USER). */
  list(userId: string): Promise<NotificationRule[]>;
  get(userId: string, id: string): Promise<NotificationRule | undefined>;
  /**
   * Adds a rule, counting it in the user's count in the same transaction.
   * @throws ValidationError `notification_rule.limit_reached` when the user holds `max` already
   */
  create(userId: string, rule: NotificationRule, max: number): Promise<void>;
  /** Replaces a rule; false when it changed (or went) since `before` was read. */
  replace(userId: string, before: NotificationRule, after: NotificationRule): Promise<boolean>;
  /** Deletes a rule and uncounts it; false when the user has no such rule. */
  delete(userId: string, id: string): Promise<boolean>;
  /** Every user's rules on one resource type (one paged Query of the type's index partition). */
  forResource(resource: RuleResource): Promise<OwnedRule[]>;
}

/** What evaluation reads at delivery, never cached: records, users, teams, custom fields. */
export interface RuleEvaluationReads {
  /** A lead, contact or deal as stored now (undefined: gone). */
  record(type: RuleResource, id: string): Promise<Record<string, unknown> | undefined>;
  /** The user as the routes would see them (role, direct reports); undefined when gone or disabled. */
  principal(userId: string): Promise<Principal | undefined>;
  /** The user's team id (null: none; undefined: no such user). */
  teamOf(userId: string): Promise<string | null | undefined>;
  /** Custom field ids by name for one resource type. */
  customFieldIds(resource: RuleResource): Promise<Map<string, string>>;
}

export interface RuleDeps {
  rules: NotificationRuleStore;
}

export interface RuleEvaluationDeps extends RuleDeps {
  store: Pick<NotificationStore, 'deliver'>;
  reads: RuleEvaluationReads;
  unconfigured: UnconfiguredChannels;
  /** The rule owners' open clients (the consumer has the WebSocket grant); none: no push. */
  live?: LiveUpdates;
}

const notFound = (id: string) => new NotFoundError('notification rule', id, { code: 'notification_rule.not_found' });

function check(rule: RuleInput): void {
  const problems = ruleProblems(rule);
  if (problems.length === 0) return;
  const code = problems.some((p) => p.rule === 'invalid_trigger')
    ? 'notification_rule.invalid_trigger'
    : 'notification_rule.invalid_filter';
  throw new ValidationError(
    problems.map(({ rule: _rule, ...p }) => p),
    { code },
  );
}

/** GET /notification_rules: the caller's rules (all of them: at most MAX_RULES_PER_USER). */
export async function listRules(deps: RuleDeps, call: Call): Promise<{ items: RuleView[] }> {
  return { items: (await deps.rules.list(call.principal.user_id)).map(viewOf) };
}

/** GET /notification_rules/{id}: one of the caller's rules. @throws NotFoundError otherwise */
export async function getRule(deps: RuleDeps, call: Call, id: string): Promise<RuleView> {
  const rule = await deps.rules.get(call.principal.user_id, id);
  if (!rule) throw notFound(id);
  return viewOf(rule);
}

/**
 * POST /notification_rules.
 * @throws ValidationError (422) naming the field: a trigger the resource lacks, a bad filter, or
 *   `notification_rule.limit_reached` past MAX_RULES_PER_USER
 */
export async function createRule(deps: RuleDeps, call: Call, input: RuleInput): Promise<RuleView> {
  check(input);
  const now = call.events.now.toISOString();
  const rule: NotificationRule = { id: call.events.newId(), ...input, created_at: now, updated_at: now, version: 1 };
  await deps.rules.create(call.principal.user_id, rule, MAX_RULES_PER_USER);
  return viewOf(rule);
}

/** PATCH /notification_rules/{id}: changes the fields given; the result is checked whole. */
export async function updateRule(deps: RuleDeps, call: Call, id: string, change: Partial<RuleInput>): Promise<RuleView> {
  const userId = call.principal.user_id;
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = await deps.rules.get(userId, id);
    if (!before) throw notFound(id);
    const defined = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined));
    const after: NotificationRule = {
      ...before,
      ...defined,
      updated_at: call.events.now.toISOString(),
      version: before.version + 1,
    };
    check(after);
    if (await deps.rules.replace(userId, before, after)) return viewOf(after);
  }
  throw new Error(`notification rule ${id} kept changing`);
}

/** DELETE /notification_rules/{id}. @throws NotFoundError when the caller has no such rule */
export async function deleteRule(deps: RuleDeps, call: Call, id: string): Promise<void> {
  if (!(await deps.rules.delete(call.principal.user_id, id))) throw notFound(id);
}

/** What evaluating one rule on one event did. */
export type RuleOutcome = {
  rule_id: string;
  outcome: DeliverOutcome | 'no_match' | 'own_action' | 'not_visible' | 'not_configured';
};

type Data = Record<string, unknown>;

/**
 * Evaluates every user's rules on one event: reads the rules of the event's resource type
 * (for a task.created linked to a lead, contact or deal: that type's, against the linked
 * record), keeps those whose pattern matches (the bus's matcher) and whose filters pass, then
 * delivers a rule_matched item to each rule's owner who may see the record now (its owner
 * re-read). A user's own changes notify nobody. Idempotent per (recipient, event, rule).
 * DynamoDB requests: one paged Query of the rules, then only when some rule matches one
 * GetItem of the record, its owner's team and custom field names when filters name them, one
 * principal per matching rule's owner, one transaction per delivery.
 * @throws when DynamoDB fails (the bus retries; deliveries made are not made twice)
 */
export async function notifyRuleOwners(deps: RuleEvaluationDeps, event: DomainEvent): Promise<RuleOutcome[]> {
  const { metadata } = event;
  if (!RULE_EVENTS.includes(metadata.event_type)) return [];
  const type = ruleEventResource(event);
  if (!type) return [];
  const data = event.data as Data;
  let resource: RuleResource;
  let recordId: string;
  if (type === 'task') {
    const linkedType = data.resource_type;
    if (!RULE_RESOURCES.includes(linkedType as RuleResource) || typeof data.resource_id !== 'string') return [];
    resource = linkedType as RuleResource;
    recordId = data.resource_id;
  } else {
    resource = type;
    recordId = metadata.resource_id;
  }
  const rules = await deps.rules.forResource(resource);
  const outcomes: RuleOutcome[] = [];
  const others = rules.filter((r) => {
    if (r.user_id !== metadata.actor_id) return true;
    outcomes.push({ rule_id: r.rule.id, outcome: 'own_action' });
    return false;
  });
  if (others.length === 0) return outcomes;

  // The record the filters read: the event's, or for a task the linked record as it is now.
  const linked = type === 'task' ? await deps.reads.record(resource, recordId) : undefined;
  const filtered = type === 'task' ? linked : data;
  const envelope = envelopeOf(event, linked ? { record: linked } : undefined);
  const candidates = others.filter((r) => {
    if (filtered && rulePatternMatches(r.rule, envelope)) return true;
    outcomes.push({ rule_id: r.rule.id, outcome: 'no_match' });
    return false;
  });
  if (!filtered || candidates.length === 0) return outcomes;

  const ownerId = typeof filtered.owner_id === 'string' ? filtered.owner_id : undefined;
  const teamId = usesTeams(candidates.map((c) => c.rule)) && ownerId ? await deps.reads.teamOf(ownerId) : undefined;
  const fieldIds = usesCustomFields(candidates.map((c) => c.rule))
    ? await deps.reads.customFieldIds(resource)
    : new Map<string, string>();
  const matched = candidates.filter(({ rule }) => {
    if (ruleFiltersPass(rule, filtered, ruleFilterContext(rule.filters, { id: ownerId, team_id: teamId }, fieldIds))) return true;
    outcomes.push({ rule_id: rule.id, outcome: 'no_match' });
    return false;
  });
  if (matched.length === 0) return outcomes;

  // Visibility now: the record's current owner, each rule owner's current role and reports.
  const current = linked ?? (await deps.reads.record(resource, recordId));
  const currentOwner = typeof current?.owner_id === 'string' ? current.owner_id : undefined;
  const principals = new Map<string, Promise<Principal | undefined>>();
  for (const { user_id, rule } of matched) {
    if (!principals.has(user_id)) principals.set(user_id, deps.reads.principal(user_id));
    const principal = await principals.get(user_id)!;
    if (!principal || !currentOwner || !canSee(principal, currentOwner)) {
      outcomes.push({ rule_id: rule.id, outcome: 'not_visible' });
      continue;
    }
    const draft: NotificationDraft = {
      recipient_id: user_id,
      kind: 'rule_matched',
      rule: { id: rule.id, name: rule.name },
      actor_id: metadata.actor_id,
      event_id: metadata.event_id,
      occurred_at: metadata.occurred_at,
      record: { type: resource, id: recordId, name: nameOf(resource, current ?? filtered) },
    };
    if (rule.channels.includes('push')) deps.unconfigured.report('push', draft);
    const channels = { web: rule.channels.includes('web'), email: rule.channels.includes('email') };
    if (!channels.web && !channels.email) {
      outcomes.push({ rule_id: rule.id, outcome: 'not_configured' });
      continue;
    }
    const outcome = await deps.store.deliver(draft, channels);
    // After the commit, as for the predefined kinds: a redelivery finds the item and pushes nothing.
    if (outcome === 'written' && channels.web) await deps.live?.notificationWritten(user_id, groupIdOf(draft));
    outcomes.push({ rule_id: rule.id, outcome });
  }
  return outcomes;
}
