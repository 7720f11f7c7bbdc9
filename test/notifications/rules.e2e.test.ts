import { beforeAll, describe, expect, it } from 'vitest';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { createDealRoute, updateDealRoute } from '#shared/deals/routes.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Notification } from '#shared/notifications/domain.ts';
import {
  createNotificationRuleRoute,
  getNotificationRuleRoute,
  listNotificationRulesRoute,
} from '#shared/notifications/rule-routes.ts';
import { listNotificationsRoute } from '#shared/notifications/routes.ts';
import { listPipelinesRoute, listStagesRoute } from '#shared/pipelines/routes.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';

// A custom notification over the local cloud (F2.2): rep2's rule on stage changes of deals
// fires for rep2's own deal (moved by the manager) exactly once, also when the bus delivers the
// event again (twice at once) and on an archive replay, and never for a deal rep2 cannot see (a
// rep of another team moves theirs). Nobody else sees or reaches rep2's rule. Waits poll with
// a generous timeout, never assert a time.

const stageChanges: BusEvent[] = [];
const session = useTestCloud({
  extraRules: [
    {
      name: 'test-stage-changes',
      pattern: { source: ['crm'], 'detail-type': ['deal.stage_changed'] },
      target: async (e) => void stageChanges.push(e),
    },
  ],
});
const { call, id } = session;
let quote: string;

beforeAll(async () => {
  const pipelineId = bodyOf(await call(listPipelinesRoute, { as: 'admin' })).items[0]!.id;
  const stages = bodyOf(await call(listStagesRoute, { as: 'admin', query: { pipeline_id: pipelineId } })).items;
  quote = stages.find((s) => s.name === 'Quote')!.id;
});

async function until<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const inboxOf = async (who: string) => bodyOf(await call(listNotificationsRoute, { as: who, query: { limit: '100' } }), 200);
const about = (items: Notification[], dealId: string) =>
  items.filter((n) => n.kind === 'rule_matched' && n.records.some((r) => r.id === dealId));

/** A deal of `owner` moved to Quote by `mover`; resolves with the deal and its stage change on the bus. */
async function moved(owner: string, mover: string) {
  const deal = bodyOf(await call(createDealRoute, { as: owner, body: { name: `Moved ${owner} ${Date.now()}` } }), 201);
  bodyOf(await call(updateDealRoute, { as: mover, params: { id: deal.id }, body: { stage_id: quote } }));
  const event = await until('the stage change on the bus', async () =>
    stageChanges.find((e) => (e.detail as DomainEvent).metadata.resource_id === deal.id),
  );
  return { deal, event };
}

describe('a custom notification rule on the local cloud', () => {
  it("fires for rep2's own deal exactly once, redelivered or replayed, and never for a deal rep2 cannot see", async () => {
    const rule = bodyOf(
      await call(createNotificationRuleRoute, {
        as: 'rep2',
        body: { name: 'My deals move', resource: 'deal', triggers: ['stage_changed'], channels: ['web', 'push'] },
      }),
      201,
    );
    expect(rule).toMatchObject({ channels: ['web', 'push'], not_configured: ['push'] });
    // Personal: nobody else lists or reaches it, whatever the role.
    expect(bodyOf(await call(listNotificationRulesRoute, { as: 'manager' })).items.map((r) => r.id)).not.toContain(rule.id);
    for (const who of ['admin', 'manager']) {
      const res = await call(getNotificationRuleRoute, { as: who, params: { id: rule.id } });
      expect(res.status).toBe(404);
    }

    const from = new Date(Date.now() - 1000);
    const theirs = await moved('solo', 'solo');
    const mine = await moved('rep2', 'manager');
    const item = await until('the rule_matched item in rep2 inbox', async () => {
      const found = about((await inboxOf('rep2')).items, mine.deal.id);
      return found.length > 0 ? found : undefined;
    });
    expect(item).toEqual([
      expect.objectContaining({
        kind: 'rule_matched',
        rule: { id: rule.id, name: 'My deals move' },
        actor_id: id('manager'),
        count: 1,
        records: [{ type: 'deal', id: mine.deal.id, name: mine.deal.name }],
      }),
    ]);

    // The same events again (a redelivery), twice at once, then an archive replay.
    const again = (e: BusEvent) => ({ Source: e.source, DetailType: e['detail-type'], Detail: JSON.stringify(e.detail) });
    await Promise.all([session.cloud.bus.put([again(mine.event)]), session.cloud.bus.put([again(mine.event)])]);
    session.cloud.bus.put([again(theirs.event)]);
    await session.cloud.bus.idle();
    const report = await session.cloud.replay({ from, to: new Date(Date.now() + 1000) });
    expect(report.events).toBeGreaterThanOrEqual(2);
    await session.cloud.bus.idle();

    const inbox = await inboxOf('rep2');
    expect(about(inbox.items, mine.deal.id)).toHaveLength(1);
    expect(about(inbox.items, mine.deal.id)[0]!.count).toBe(1);
    // solo's deal (another team) matched the rule's pattern, but rep2 may not see it.
    expect(inbox.items.filter((n) => n.records.some((r) => r.id === theirs.deal.id))).toEqual([]);
  });
});
