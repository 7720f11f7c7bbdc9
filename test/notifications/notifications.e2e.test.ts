import { describe, expect, it } from 'vitest';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { createLeadRoute, updateLeadRoute } from '#shared/leads/routes.ts';
import type { Notification } from '#shared/notifications/domain.ts';
import { listNotificationsRoute, readNotificationRoute } from '#shared/notifications/routes.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';

// Notifications over the local cloud: a manager gives a lead to rep1, who gets one web
// notification (unread count one more); rep2 gets none; the same event delivered again and an
// archive replay add nothing. Waits poll with a generous timeout, never assert a time.

const ownerChanges: BusEvent[] = [];
const session = useTestCloud({
  extraRules: [
    {
      name: 'test-owner-changes',
      pattern: { source: ['crm'], 'detail-type': ['lead.owner_changed'] },
      target: async (e) => void ownerChanges.push(e),
    },
  ],
});
const { call, id } = session;

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
const about = (items: Notification[], leadId: string) => items.filter((n) => n.records.some((r) => r.id === leadId));

describe('notifications on the local cloud', () => {
  it('tells rep1 once of the lead a manager gave them, rep2 never; a redelivery and a replay add nothing', async () => {
    const before = { rep1: (await inboxOf('rep1')).unread_count, rep2: (await inboxOf('rep2')).items.length };
    const from = new Date(Date.now() - 1000);
    const lead = bodyOf(await call(createLeadRoute, { as: 'manager', body: { last_name: 'Notified' } }), 201);
    bodyOf(await call(updateLeadRoute, { as: 'manager', params: { id: lead.id }, body: { owner_id: id('rep1') } }), 200);

    const mine = await until('the notification in rep1 inbox', async () => {
      const inbox = await inboxOf('rep1');
      return about(inbox.items, lead.id).length > 0 ? inbox : undefined;
    });
    expect(about(mine.items, lead.id)).toEqual([
      expect.objectContaining({
        kind: 'lead_assigned',
        actor_id: id('manager'),
        count: 1,
        read_at: null,
        records: [{ type: 'lead', id: lead.id, name: 'Notified' }],
      }),
    ]);
    expect(mine.unread_count).toBe(before.rep1 + 1);

    // The same event again (a redelivery), twice at once, then an archive replay.
    const event = await until('the owner change on the bus', async () =>
      ownerChanges.find((e) => (e.detail as DomainEvent).metadata.resource_id === lead.id),
    );
    const again = { Source: event.source, DetailType: event['detail-type'], Detail: JSON.stringify(event.detail) };
    session.cloud.bus.put([again]);
    await Promise.all([session.cloud.bus.put([again]), session.cloud.bus.put([again])]);
    await session.cloud.bus.idle();
    const report = await session.cloud.replay({ from, to: new Date(Date.now() + 1000) });
    expect(report.events).toBeGreaterThanOrEqual(2);
    await session.cloud.bus.idle();
    const after = await inboxOf('rep1');
    expect(about(after.items, lead.id)).toHaveLength(1);
    expect(about(after.items, lead.id)[0]!.count).toBe(1);
    expect(after.unread_count).toBe(before.rep1 + 1);

    // rep2 got nothing; the manager (who acted) got nothing about it either.
    const theirs = await inboxOf('rep2');
    expect(theirs.items).toHaveLength(before.rep2);
    expect(about((await inboxOf('manager')).items, lead.id)).toEqual([]);

    // rep1 reads it: the count goes down by one.
    const read = bodyOf(
      await call(readNotificationRoute, { as: 'rep1', params: { id: about(after.items, lead.id)[0]!.id } }),
      200,
    );
    expect(read.unread_count).toBe(before.rep1);
  });
});
