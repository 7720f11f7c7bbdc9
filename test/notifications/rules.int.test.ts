import { beforeAll, describe, expect, it } from 'vitest';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Principal } from '#shared/kernel/principal.ts';
import { effectiveDefaults } from '#shared/notifications/domain.ts';
import { DynamoCurrentOwners, DynamoNotificationStore } from '#shared/notifications/dynamodb.ts';
import { DynamoNotificationRuleStore } from '#shared/notifications/rule-store.ts';
import { createRule, notifyRuleOwners, type RuleEvaluationDeps } from '#shared/notifications/rule-use-cases.ts';
import { MAX_RULES_PER_USER, type NotificationRule, type RuleInput } from '#shared/notifications/rules.ts';
import { listNotifications, notify, type NotificationDeps } from '#shared/notifications/use-cases.ts';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { event } from '#test/activities/events.ts';
import { fakeCall, FixedClock, rejection } from '#test/helpers/fakes.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';

// Notification rules on DynamoDB Local: a user's own rules, bounded per user under concurrent
// creates; every user's rules of a resource type in one index partition; and a user both
// assigned a record and holding a rule on the same event gets both items, each exactly once
// under concurrent redeliveries (the delivery marker is per event and rule).

let table: Table;
let rules: DynamoNotificationRuleStore;
let deps: NotificationDeps;
let seq = 0;
const reported: string[] = [];

beforeAll(async () => {
  const { tableName } = await useTestTable({ as: 'notification-delivery' });
  table = testTableClient(tableName);
  rules = new DynamoNotificationRuleStore(table);
  deps = {
    store: new DynamoNotificationStore(table),
    owners: new DynamoCurrentOwners(table),
    defaults: effectiveDefaults({}),
    unconfigured: { report: (channel, draft) => void reported.push(`${channel}:${draft.recipient_id}`) },
    clock: new FixedClock('2031-03-04T12:00:00.000Z'),
  };
});

const user = () => `01JRULEUSER${String(++seq).padStart(15, '0')}`;
const principal = (userId: string): Principal => ({
  user_id: userId,
  email: `${userId}@example.com`,
  role: 'user',
  direct_reports: [],
});
let ids = 0;
const call = (userId: string) =>
  fakeCall(principal(userId), '2031-03-04T12:00:00.000Z', () => `01JRULE${String(++ids).padStart(19, '0')}`);
const input = (over: Partial<RuleInput> = {}): RuleInput => ({
  name: 'Leads given to me',
  resource: 'lead',
  filters: [],
  triggers: ['owner_changed'],
  channels: ['web'],
  ...over,
});

describe('rule store', () => {
  it("keeps each user's rules apart: another user's id is unknown", async () => {
    const [a, b] = [user(), user()];
    const rule = await createRule({ rules }, call(a), input());
    expect(await rules.get(a, rule.id)).toMatchObject({ id: rule.id, name: 'Leads given to me' });
    expect(await rules.get(b, rule.id)).toBeUndefined();
    expect(await rules.list(b)).toEqual([]);
    expect(await rules.delete(b, rule.id)).toBe(false);
    expect((await rules.list(a)).map((r) => r.id)).toEqual([rule.id]);
  });

  it('holds at most MAX_RULES_PER_USER per user, also under concurrent creates, and a delete makes room', async () => {
    const a = user();
    const results = await Promise.allSettled(
      Array.from({ length: MAX_RULES_PER_USER + 5 }, () => createRule({ rules }, call(a), input())),
    );
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r.reason as { code: string }).code);
    expect(refused).toEqual(Array(5).fill('notification_rule.limit_reached'));
    const held = await rules.list(a);
    expect(held).toHaveLength(MAX_RULES_PER_USER);
    expect(((await rejection(createRule({ rules }, call(a), input()))) as { code: string }).code).toBe(
      'notification_rule.limit_reached',
    );
    expect(await rules.delete(a, held[0]!.id)).toBe(true);
    await createRule({ rules }, call(a), input());
    expect(await rules.list(a)).toHaveLength(MAX_RULES_PER_USER);
  });

  it("lists every user's rules of a resource type from one partition; a change of type moves the rule", async () => {
    const [a, b] = [user(), user()];
    const ra = await createRule({ rules }, call(a), input({ resource: 'contact', triggers: ['created'] }));
    const rb = await createRule({ rules }, call(b), input({ resource: 'contact', triggers: ['owner_changed'] }));
    const contactRules = (await rules.forResource('contact')).filter((r) => r.user_id === a || r.user_id === b);
    expect(contactRules.map((r) => [r.user_id, r.rule.id])).toEqual([
      [a, ra.id],
      [b, rb.id],
    ]);
    const before = (await rules.get(a, ra.id))!;
    const after: NotificationRule = { ...before, resource: 'deal', version: before.version + 1 };
    expect(await rules.replace(a, before, after)).toBe(true);
    expect(await rules.replace(a, before, { ...after, name: 'stale' })).toBe(false);
    expect((await rules.forResource('contact')).some((r) => r.rule.id === ra.id)).toBe(false);
    expect((await rules.forResource('deal')).find((r) => r.rule.id === ra.id)?.user_id).toBe(a);
  });
});

describe('a rule and an assignment on one event', () => {
  it('deliver both items to the user, each exactly once under concurrent redeliveries', async () => {
    const rep = user();
    const lead = `L-${rep}`;
    await dynamoDocumentClient().send(
      new PutCommand({
        TableName: table.name,
        Item: { ...recordKey('lead', lead), kind: 'lead', id: lead, owner_id: rep, first_name: 'Ada', version: 2 },
      }),
    );
    const rule = await createRule({ rules }, call(rep), input({ name: 'Any lead given to me' }));
    const ruleDeps: RuleEvaluationDeps = {
      // Only this test's user's rules (other tests' rules share the table).
      rules: Object.assign(Object.create(rules) as DynamoNotificationRuleStore, {
        forResource: async (r: NotificationRule['resource']) => (await rules.forResource(r)).filter((o) => o.user_id === rep),
      }),
      store: deps.store,
      reads: {
        record: async (type, id) => table.get(recordKey(type, id)),
        principal: async (id) => principal(id),
        teamOf: async () => null,
        customFieldIds: async () => new Map(),
      },
      unconfigured: { report: () => {} },
    };
    const e = event(
      'lead.owner_changed',
      { resource_type: 'lead', resource_id: lead },
      { id: lead, first_name: 'Ada', owner_id: rep, version: 2 },
      { actor: 'mgr', previous: { owner_id: 'mgr' } },
    );
    const outcomes = await Promise.all(
      Array.from({ length: 4 }, async () => [await notify(deps, e), (await notifyRuleOwners(ruleDeps, e))[0]?.outcome]),
    );
    expect(outcomes.flat().filter((o) => o === 'written')).toHaveLength(2);
    expect(outcomes.flat().filter((o) => o === 'duplicate')).toHaveLength(6);
    const page = await listNotifications(deps, call(rep), { limit: 10 });
    expect(page.unread_count).toBe(2);
    expect(page.items.map((i) => [i.kind, i.count, i.rule?.name ?? null]).sort()).toEqual([
      ['lead_assigned', 1, null],
      ['rule_matched', 1, 'Any lead given to me'],
    ]);
    expect(page.items.find((i) => i.kind === 'rule_matched')).toMatchObject({
      rule: { id: rule.id },
      actor_id: 'mgr',
      records: [{ type: 'lead', id: lead, name: 'Ada' }],
    });
  });
});
