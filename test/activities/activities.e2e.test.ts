import { describe, expect, it } from 'vitest';
import {
  listActivitiesRoute,
  listContactActivitiesRoute,
  listDealActivitiesRoute,
  listLeadActivitiesRoute,
} from '#shared/activities/routes.ts';
import type { Activity } from '#shared/activities/domain.ts';
import { createContactRoute } from '#shared/contacts/routes.ts';
import { createDealRoute, updateDealRoute } from '#shared/deals/routes.ts';
import { createLeadRoute } from '#shared/leads/routes.ts';
import { createNoteRoute } from '#shared/notes/routes.ts';
import { createTaskRoute, updateTaskRoute } from '#shared/tasks/routes.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';

// The activity feed over the local cloud: the bus delivers the families' events to the feed
// consumer. A rep's actions show in their feed and their manager's, not another rep's; the
// admin sees all; a deal given to another rep takes its entries along. Waits poll with a
// generous timeout (the feed is eventually consistent), never assert a time.

const { call, id } = useTestCloud();

const WAIT_MS = 20_000;

async function feedOf(who: string, query: Record<string, string> = {}): Promise<Activity[]> {
  const items: Activity[] = [];
  let cursor: string | undefined;
  do {
    const page = bodyOf(
      await call(listActivitiesRoute, { as: who, query: { limit: '100', ...query, ...(cursor ? { cursor } : {}) } }),
      200,
    );
    items.push(...(page.items as Activity[]));
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return items;
}

/** Polls `who`'s feed until `ok` holds (or the timeout, then answers the last feed). */
async function waitForFeed(who: string, ok: (feed: Activity[]) => boolean): Promise<Activity[]> {
  const deadline = Date.now() + WAIT_MS;
  let feed = await feedOf(who);
  while (!ok(feed) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    feed = await feedOf(who);
  }
  return feed;
}

const about = (feed: Activity[], parentId: string) =>
  feed
    .filter((a) => a.parent.id === parentId)
    .map((a) => `${a.record.type}.${a.verb}`)
    .sort();

describe('the activity feed', () => {
  it("shows a rep's actions to them, their manager and the admin, not another rep; moves a deal's entries with its owner", async () => {
    const lead = bodyOf(
      await call(createLeadRoute, { as: 'rep1', body: { last_name: 'Feedman', organization_name: 'Feed Ltd' } }),
      201,
    );
    const contact = bodyOf(await call(createContactRoute, { as: 'rep1', body: { first_name: 'Carla', last_name: 'Feed' } }), 201);
    const deal = bodyOf(await call(createDealRoute, { as: 'rep1', body: { name: 'Feed deal' } }), 201);
    await call(createNoteRoute, { as: 'rep1', body: { content: 'Wants a quote', resource_type: 'deal', resource_id: deal.id } });
    const task = bodyOf(
      await call(createTaskRoute, {
        as: 'rep1',
        body: { content: 'Send the quote', resource_type: 'deal', resource_id: deal.id },
      }),
      201,
    );
    bodyOf(await call(updateTaskRoute, { as: 'rep1', params: { id: task.id }, body: { completed: true } }), 200);

    const dealEntries = ['deal.created', 'note.created', 'task.completed', 'task.created'];
    const complete = (feed: Activity[]) =>
      about(feed, deal.id).length === 4 && about(feed, lead.id).length === 1 && about(feed, contact.id).length === 1;

    const own = await waitForFeed('rep1', complete);
    expect(about(own, deal.id)).toEqual(dealEntries);
    expect(about(own, lead.id)).toEqual(['lead.created']);
    const created = own.find((a) => a.record.id === deal.id);
    expect(created).toMatchObject({ actor_id: id('rep1'), owner_id: id('rep1'), record: { type: 'deal', name: 'Feed deal' } });
    const times = own.map((a) => `${a.occurred_at}#${a.event_id}`);
    expect(times).toEqual([...times].sort().reverse());

    expect(about(await waitForFeed('manager', complete), deal.id)).toEqual(dealEntries);
    expect(about(await waitForFeed('admin', complete), deal.id)).toEqual(dealEntries);
    const other = await feedOf('rep2');
    expect(other.filter((a) => [deal.id, lead.id, contact.id].includes(a.parent.id))).toEqual([]);
    const solo = await feedOf('solo');
    expect(solo.filter((a) => a.parent.id === deal.id)).toEqual([]);

    // A record's timeline: its viewers only, 404 alike for others.
    const timeline = bodyOf(await call(listDealActivitiesRoute, { as: 'manager', params: { id: deal.id } }), 200);
    expect(timeline.items.map((a) => `${a.record.type}.${a.verb}`).sort()).toEqual(dealEntries);
    expect((await call(listDealActivitiesRoute, { as: 'rep2', params: { id: deal.id } })).status).toBe(404);
    expect((await call(listLeadActivitiesRoute, { as: 'rep1', params: { id: lead.id } })).status).toBe(200);
    expect((await call(listContactActivitiesRoute, { as: 'solo', params: { id: contact.id } })).status).toBe(404);

    // The manager gives the deal to rep2: its entries follow it.
    bodyOf(await call(updateDealRoute, { as: 'manager', params: { id: deal.id }, body: { owner_id: id('rep2') } }), 200);
    const theirs = await waitForFeed('rep2', (feed) => about(feed, deal.id).length === 5);
    expect(about(theirs, deal.id)).toEqual([...dealEntries, 'deal.owner_changed'].sort());
    expect(theirs.filter((a) => a.parent.id === deal.id).every((a) => a.owner_id === id('rep2'))).toBe(true);
    const after = await waitForFeed('rep1', (feed) => about(feed, deal.id).length === 0);
    expect(about(after, deal.id)).toEqual([]);
    expect(about(after, lead.id)).toEqual(['lead.created']);
    expect((await call(listDealActivitiesRoute, { as: 'rep1', params: { id: deal.id } })).status).toBe(404);
    expect(about(await feedOf('manager'), deal.id)).toHaveLength(5);

    // Filters: kind, record type, user.
    const completed = await feedOf('manager', { kind: 'completed' });
    expect(completed.map((a) => a.record.id)).toContain(task.id);
    expect(completed.every((a) => a.verb === 'completed')).toBe(true);
    const leads = await feedOf('admin', { record_type: 'lead', user_id: id('rep1') });
    expect(leads.map((a) => a.record.id)).toContain(lead.id);
    expect(leads.every((a) => a.record.type === 'lead' && a.owner_id === id('rep1'))).toBe(true);
  });

  it('names the field of a bad query', async () => {
    const bad = await call(listActivitiesRoute, { as: 'rep1', query: { kind: 'exploded' } as never });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body)).toContain('kind');
    const when = await call(listActivitiesRoute, { as: 'rep1', query: { from: 'yesterday' } as never });
    expect(when.status).toBe(422);
    expect(JSON.stringify(when.body)).toContain('from');
  });
});
