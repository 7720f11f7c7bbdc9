import { describe, expect, it } from 'vitest';
import { groupIdOf, type NotificationDraft } from '#shared/notifications/domain.ts';
import {
  createRule,
  notifyRuleOwners,
  updateRule,
  type OwnedRule,
  type RuleEvaluationDeps,
} from '#shared/notifications/rule-use-cases.ts';
import {
  envelopeOf,
  RULE_EVENTS,
  ruleFilterContext,
  ruleFiltersPass,
  rulePattern,
  rulePatternMatches,
  ruleProblems,
  type NotificationRule,
  type RuleInput,
} from '#shared/notifications/rules.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { event } from '#test/activities/events.ts';
import { fakeCall, principalOf, rejection, testId, USERS } from '#test/helpers/fakes.ts';

// Users' notification rules: validation, compilation to one EventBridge pattern evaluated by
// the bus's matcher, the filters a pattern cannot hold, and evaluation in the consumer
// (visibility now, one delivery per rule, channels not configured reported).

const ref = (type: string, id: string) => ({ resource_type: type, resource_id: id });
const rule = (over: Partial<NotificationRule> = {}): NotificationRule => ({
  id: testId(90, 'R'),
  name: 'Deals to quote',
  resource: 'deal',
  filters: [],
  triggers: ['stage_changed'],
  channels: ['web'],
  created_at: '2031-01-01T00:00:00.000Z',
  updated_at: '2031-01-01T00:00:00.000Z',
  version: 1,
  ...over,
});
const deal = (owner: string, extra: Record<string, unknown> = {}) => ({
  id: 'D1',
  name: 'Big deal',
  owner_id: owner,
  stage_key: 'quote',
  pipeline_key: 'sales',
  value: '1500.00',
  custom_fields: {},
  ...extra,
});

describe('rulePattern', () => {
  it('compiles triggers and filters to one EventBridge pattern, as automations do', () => {
    const r = rule({
      filters: [
        { field: 'stage', op: 'equals', value: 'quote' },
        { field: 'owner', op: 'one_of', value: [USERS.rep.id] },
      ],
    });
    expect(rulePattern(r)).toEqual({
      source: ['crm'],
      'detail-type': ['deal.stage_changed'],
      detail: { data: { stage_key: ['quote'], owner_id: [USERS.rep.id] } },
    });
    const moved = (stage: string, owner = USERS.rep.id) =>
      envelopeOf(event('deal.stage_changed', ref('deal', 'D1'), deal(owner, { stage_key: stage })));
    expect(rulePatternMatches(r, moved('quote'))).toBe(true);
    expect(rulePatternMatches(r, moved('won'))).toBe(false);
    expect(rulePatternMatches(r, moved('quote', USERS.peer.id))).toBe(false);
    expect(rulePatternMatches(r, envelopeOf(event('deal.created', ref('deal', 'D1'), deal(USERS.rep.id))))).toBe(false);
  });

  it('makes one $or branch per trigger shape: a contact status change is contact.updated with a previous status', () => {
    const r = rule({ resource: 'contact', triggers: ['created', 'status_changed'] });
    const contact = { id: 'C1', name: 'Acme', owner_id: USERS.rep.id };
    const updated = (previous: Record<string, unknown>) =>
      envelopeOf(event('contact.updated', ref('contact', 'C1'), contact, { previous }));
    expect(rulePatternMatches(r, envelopeOf(event('contact.created', ref('contact', 'C1'), contact)))).toBe(true);
    expect(rulePatternMatches(r, updated({ customer_status: 'none' }))).toBe(true);
    expect(rulePatternMatches(r, updated({ prospect_status: 'none' }))).toBe(true);
    expect(rulePatternMatches(r, updated({ name: 'Old name' }))).toBe(false);
  });

  it('task_added matches a task created on a record of the type, its filters reading the linked record', () => {
    const r = rule({ triggers: ['task_added'], filters: [{ field: 'stage', op: 'equals', value: 'quote' }] });
    const task = (type: string) =>
      event('task.created', ref('task', 'T1'), { id: 'T1', content: 'Call', owner_id: USERS.rep.id, ...ref(type, 'D1') });
    expect(rulePatternMatches(r, envelopeOf(task('deal'), { record: deal(USERS.rep.id) }))).toBe(true);
    expect(rulePatternMatches(r, envelopeOf(task('deal'), { record: deal(USERS.rep.id, { stage_key: 'won' }) }))).toBe(false);
    expect(rulePatternMatches(r, envelopeOf(task('lead'), { record: deal(USERS.rep.id) }))).toBe(false);
  });

  it('the bus rule reads every event type a rule may match', () => {
    expect(RULE_EVENTS).toEqual([
      'contact.created',
      'contact.owner_changed',
      'contact.updated',
      'deal.created',
      'deal.owner_changed',
      'deal.stage_changed',
      'lead.created',
      'lead.owner_changed',
      'lead.status_changed',
      'task.created',
    ]);
  });
});

describe('filters a pattern cannot hold', () => {
  it('teams by id (the owner is in the team), custom fields by name and money strings, with passesFilter', () => {
    const r = rule({
      filters: [
        { field: 'team', op: 'equals', value: testId(7, 'T') },
        { field: 'custom:Budget code', op: 'equals', value: 'B7' },
        { field: 'value', op: 'greater_than', value: 1000 },
      ],
    });
    const fields = new Map([['Budget code', 'cf1']]);
    const record = deal(USERS.rep.id, { custom_fields: { cf1: 'B7' } });
    const ctx = (team: string | null) => ruleFilterContext(r.filters, { id: USERS.rep.id, team_id: team }, fields);
    expect(ruleFiltersPass(r, record, ctx(testId(7, 'T')))).toBe(true);
    expect(ruleFiltersPass(r, record, ctx(testId(8, 'T')))).toBe(false);
    expect(ruleFiltersPass(r, { ...record, value: '999.99' }, ctx(testId(7, 'T')))).toBe(false);
    expect(ruleFiltersPass(r, { ...record, custom_fields: { cf1: 'B8' } }, ctx(testId(7, 'T')))).toBe(false);
  });
});

describe('ruleProblems', () => {
  const input = (over: Partial<RuleInput>): RuleInput => ({
    name: 'r',
    resource: 'lead',
    filters: [],
    triggers: ['created'],
    channels: ['web'],
    ...over,
  });

  it('names the field of each problem', () => {
    expect(ruleProblems(input({ triggers: ['created', 'stage_changed'] }))).toMatchObject([
      { field: 'body.triggers.1', rule: 'invalid_trigger' },
    ]);
    expect(
      ruleProblems(
        input({
          filters: [
            { field: 'stage', op: 'equals', value: 'x' },
            { field: 'no_such', op: 'empty' },
            { field: 'owner', op: 'equals', value: 'rep@example.com' },
            { field: 'status', op: 'equals', value: ['a', 'b'] },
          ],
        }),
      ),
    ).toMatchObject([
      { field: 'body.filters.0.field', code: 'unknown_field' },
      { field: 'body.filters.1.field', code: 'unknown_field' },
      { field: 'body.filters.2.value', code: 'invalid', message: 'owner is named by a user id' },
      { field: 'body.filters.3.value', code: 'invalid' },
    ]);
    expect(ruleProblems(input({ resource: 'deal', triggers: ['stage_changed'] }))).toEqual([]);
  });
});

/** A rule store and reads over maps; deliveries recorded with their own per-(recipient, key) dedupe. */
function fakes(rules: OwnedRule[], records: Record<string, Record<string, unknown>>, principals: Record<string, Principal>) {
  const delivered: NotificationDraft[] = [];
  const seen = new Set<string>();
  const reported: string[] = [];
  const deps: RuleEvaluationDeps = {
    rules: {
      list: async () => [],
      get: async () => undefined,
      create: async () => {},
      replace: async () => true,
      delete: async () => true,
      forResource: async (resource) => rules.filter((r) => r.rule.resource === resource),
    },
    store: {
      deliver: async (draft) => {
        const key = `${draft.recipient_id}|${draft.event_id}|${draft.rule?.id}`;
        if (seen.has(key)) return 'duplicate';
        seen.add(key);
        delivered.push(draft);
        return 'written';
      },
    },
    reads: {
      record: async (_type, id) => records[id],
      principal: async (id) => principals[id],
      teamOf: async () => null,
      customFieldIds: async () => new Map(),
    },
    unconfigured: { report: (channel, draft) => reported.push(`${channel}:${draft.rule?.id}`) },
  };
  return { deps, delivered, reported };
}

describe('notifyRuleOwners', () => {
  const { admin, manager, rep, peer } = USERS;
  const principals = {
    [admin.id]: principalOf(admin),
    [manager.id]: principalOf(manager, [rep.id]),
    [rep.id]: principalOf(rep),
    [peer.id]: principalOf(peer),
  };
  const moved = (owner: string, actor = admin.id) =>
    event('deal.stage_changed', ref('deal', 'D1'), deal(owner), { actor, previous: { stage_key: 'new' } });

  it("fires a rule for records its owner may see now, never for others' (even when the filters match)", async () => {
    const mine = { user_id: rep.id, rule: rule({ id: testId(1, 'R') }) };
    const managers = { user_id: manager.id, rule: rule({ id: testId(2, 'R') }) };
    const f = fakes([mine, managers], { D1: deal(peer.id) }, principals);
    expect(await notifyRuleOwners(f.deps, moved(peer.id))).toEqual([
      { rule_id: testId(1, 'R'), outcome: 'not_visible' },
      { rule_id: testId(2, 'R'), outcome: 'not_visible' },
    ]);
    expect(f.delivered).toEqual([]);

    const g = fakes([mine, managers], { D1: deal(rep.id) }, principals);
    const e = moved(rep.id);
    expect((await notifyRuleOwners(g.deps, e)).map((o) => o.outcome)).toEqual(['written', 'written']);
    expect(g.delivered[0]).toMatchObject({
      recipient_id: rep.id,
      kind: 'rule_matched',
      rule: { id: testId(1, 'R'), name: 'Deals to quote' },
      actor_id: admin.id,
      record: { type: 'deal', id: 'D1', name: 'Big deal' },
    });
    expect((await notifyRuleOwners(g.deps, e)).map((o) => o.outcome)).toEqual(['duplicate', 'duplicate']);
  });

  it('pushes each written web item to its owner live, once: not again on redelivery, not for e-mail only', async () => {
    const web = { user_id: rep.id, rule: rule({ id: testId(4, 'R') }) };
    const emailOnly = { user_id: manager.id, rule: rule({ id: testId(5, 'R'), channels: ['email'] }) };
    const f = fakes([web, emailOnly], { D1: deal(rep.id) }, principals);
    const pushed: string[] = [];
    f.deps.live = {
      notificationWritten: async (userId, id) => void pushed.push(`${userId}:${id}`),
      unreadCountChanged: async () => undefined,
    };
    const e = moved(rep.id);
    expect((await notifyRuleOwners(f.deps, e)).map((o) => o.outcome)).toEqual(['written', 'written']);
    expect(pushed).toEqual([`${rep.id}:${groupIdOf(f.delivered[0]!)}`]);
    await notifyRuleOwners(f.deps, e);
    expect(pushed).toHaveLength(1);
  });

  it('decides visibility on the record as it is now: given away since, it tells nobody', async () => {
    const f = fakes([{ user_id: rep.id, rule: rule() }], { D1: deal(peer.id) }, principals);
    expect(await notifyRuleOwners(f.deps, moved(rep.id))).toMatchObject([{ outcome: 'not_visible' }]);
  });

  it("skips the user's own changes, and rules whose filters fail", async () => {
    const filtered = rule({ id: testId(3, 'R'), filters: [{ field: 'value', op: 'greater_than', value: 5000 }] });
    const f = fakes(
      [
        { user_id: rep.id, rule: rule() },
        { user_id: manager.id, rule: filtered },
      ],
      { D1: deal(rep.id) },
      principals,
    );
    expect(await notifyRuleOwners(f.deps, moved(rep.id, rep.id))).toEqual([
      { rule_id: testId(90, 'R'), outcome: 'own_action' },
      { rule_id: testId(3, 'R'), outcome: 'no_match' },
    ]);
  });

  it('reports push as not configured on every delivery asking for it, never dropping it silently', async () => {
    const both = rule({ id: testId(4, 'R'), channels: ['web', 'push'] });
    const pushOnly = rule({ id: testId(5, 'R'), channels: ['push'] });
    const f = fakes(
      [
        { user_id: rep.id, rule: both },
        { user_id: manager.id, rule: pushOnly },
      ],
      { D1: deal(rep.id) },
      principals,
    );
    expect(await notifyRuleOwners(f.deps, moved(rep.id))).toEqual([
      { rule_id: testId(4, 'R'), outcome: 'written' },
      { rule_id: testId(5, 'R'), outcome: 'not_configured' },
    ]);
    expect(f.reported).toEqual([`push:${testId(4, 'R')}`, `push:${testId(5, 'R')}`]);
  });

  it('task_added: a task created on a deal fires deal rules, read against the deal', async () => {
    const r = rule({ triggers: ['task_added'], filters: [{ field: 'stage', op: 'equals', value: 'quote' }] });
    const f = fakes([{ user_id: rep.id, rule: r }], { D1: deal(rep.id) }, principals);
    const task = event(
      'task.created',
      ref('task', 'T1'),
      { id: 'T1', content: 'Call', owner_id: rep.id, ...ref('deal', 'D1') },
      { actor: admin.id },
    );
    expect(await notifyRuleOwners(f.deps, task)).toMatchObject([{ outcome: 'written' }]);
    expect(f.delivered[0]?.record).toEqual({ type: 'deal', id: 'D1', name: 'Big deal' });
  });
});

describe('rule use cases', () => {
  const deps = () => {
    const stored = new Map<string, NotificationRule>();
    return {
      rules: {
        list: async () => [...stored.values()],
        get: async (_u: string, id: string) => stored.get(id),
        create: async (_u: string, r: NotificationRule) => void stored.set(r.id, r),
        replace: async (_u: string, _b: NotificationRule, a: NotificationRule) => (stored.set(a.id, a), true),
        delete: async (_u: string, id: string) => stored.delete(id),
        forResource: async () => [],
      },
    };
  };
  const call = fakeCall(principalOf(USERS.rep));

  it('refuses with 422 naming the field and a stable code, and shows push as not configured', async () => {
    const d = deps();
    const error = (await rejection(
      createRule(d, call, { name: 'x', resource: 'lead', filters: [], triggers: ['stage_changed'], channels: ['web'] }),
    )) as { code: string; problems: { field: string }[] };
    expect(error.code).toBe('notification_rule.invalid_trigger');
    expect(error.problems.map((p) => p.field)).toEqual(['body.triggers.0']);
    const created = await createRule(d, call, {
      name: 'x',
      resource: 'deal',
      filters: [],
      triggers: ['stage_changed'],
      channels: ['web', 'push'],
    });
    expect(created.not_configured).toEqual(['push']);
    const changed = await updateRule(d, call, created.id, { channels: ['email'] });
    expect(changed).toMatchObject({ channels: ['email'], not_configured: [], version: 2 });
    const bad = (await rejection(updateRule(d, call, created.id, { resource: 'lead' }))) as { code: string };
    expect(bad.code).toBe('notification_rule.invalid_trigger');
  });
});
