import { beforeAll, describe, expect, it } from 'vitest';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { effectiveDefaults } from '#shared/notifications/domain.ts';
import { DynamoCurrentOwners, DynamoNotificationStore, notificationPartition } from '#shared/notifications/dynamodb.ts';
import {
  changeNotification,
  getNotificationSettings,
  listNotifications,
  putNotificationSettings,
  notify,
  readAllNotifications,
  READ_ALL_MAX,
  type NotificationDeps,
} from '#shared/notifications/use-cases.ts';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { fakeCall, FixedClock } from '#test/helpers/fakes.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';
import { event } from '#test/activities/events.ts';

// The inbox on DynamoDB Local: one item per (recipient, event) whatever the redeliveries,
// grouping into one item, an unread count that stays exact under concurrent deliveries and
// reads, and read / read_all / archive.

let table: Table;
let deps: NotificationDeps;
let seq = 0;
const reported: string[] = [];

beforeAll(async () => {
  const { tableName } = await useTestTable({ as: 'notification-delivery' });
  table = testTableClient(tableName);
  deps = {
    store: new DynamoNotificationStore(table),
    owners: new DynamoCurrentOwners(table),
    defaults: effectiveDefaults({ task_assigned: 'off' }),
    unconfigured: { report: (channel, draft) => void reported.push(`${channel}:${draft.recipient_id}`) },
    clock: new FixedClock('2031-03-04T12:00:00.000Z'),
  };
});

const user = () => `U${String(++seq).padStart(5, '0')}`;
const call = (userId: string) => fakeCall({ user_id: userId, email: `${userId}@example.com`, role: 'user', direct_reports: [] });

async function putLead(id: string, owner: string): Promise<void> {
  await dynamoDocumentClient().send(
    new PutCommand({ TableName: table.name, Item: { ...recordKey('lead', id), kind: 'lead', id, owner_id: owner, version: 2 } }),
  );
}

/** A manager gives lead `id` to `owner` at minute `minute` past 09:00 (the lead exists, owned by `owner`). */
async function assignment(id: string, owner: string, minute: number, actor = 'mgr'): Promise<DomainEvent> {
  await putLead(id, owner);
  return event(
    'lead.owner_changed',
    { resource_type: 'lead', resource_id: id },
    { id, first_name: 'Lead', last_name: id, owner_id: owner, version: 2 },
    { actor, at: new Date(Date.UTC(2031, 2, 4, 9, minute)).toISOString(), previous: { owner_id: actor } },
  );
}

async function inbox(userId: string) {
  return listNotifications(deps, call(userId), { limit: 100 });
}

describe('delivery', () => {
  it('writes one item for an event delivered many times at once', async () => {
    const rep = user();
    const e = await assignment(`L-${rep}`, rep, 1);
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => notify(deps, e)));
    expect(outcomes.filter((o) => o === 'written')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(5);
    expect(await notify(deps, e)).toBe('duplicate');
    const page = await inbox(rep);
    expect(page.unread_count).toBe(1);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ kind: 'lead_assigned', count: 1, actor_id: 'mgr', read_at: null });
  });

  it('groups a bulk reassignment of 30 leads into one item counting each event once, redeliveries included', async () => {
    const rep = user();
    const events = await Promise.all(Array.from({ length: 30 }, (_, i) => assignment(`L-${rep}-${i}`, rep, i % 10)));
    // Every event delivered twice, all at once.
    await Promise.all([...events, ...events].map((e) => notify(deps, e)));
    const page = await inbox(rep);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.count).toBe(30);
    expect(page.items[0]!.records).toHaveLength(10);
    expect(page.unread_count).toBe(1);
    // The next window is another item.
    await notify(deps, await assignment(`L-${rep}-next`, rep, 11));
    expect((await inbox(rep)).unread_count).toBe(2);
  });

  it('tells nobody when the record moved on, and nobody who turned the kind off', async () => {
    const rep = user();
    const e = await assignment(`L-${rep}`, rep, 1);
    await putLead(`L-${rep}`, 'someone-else');
    expect(await notify(deps, e)).toBe('not_visible');
    const task = event(
      'task.assigned',
      { resource_type: 'task', resource_id: 'T1' },
      { content: 'x', owner_id: rep },
      { actor: 'mgr' },
    );
    expect(await notify(deps, task)).toBe('off');
    const page = await inbox(rep);
    expect(page).toMatchObject({ items: [], unread_count: 0 });
  });

  it('stores push per kind beside the channel, and reports each delivery asking for it (push is not configured)', async () => {
    const rep = user();
    const settings = await putNotificationSettings(deps, call(rep), { lead_assigned: 'off' }, { lead_assigned: true });
    expect(settings.not_configured).toEqual(['push']);
    expect(settings.items.find((i) => i.kind === 'lead_assigned')).toMatchObject({ channel: 'off', push: true });
    expect((await getNotificationSettings(deps, call(rep))).items.find((i) => i.kind === 'deal_assigned')).toMatchObject({
      push: false,
    });
    // Channel off, push on: nothing in the inbox, but the push asked for is reported, never dropped silently.
    expect(await notify(deps, await assignment(`L-${rep}`, rep, 1))).toBe('off');
    expect(reported).toContain(`push:${rep}`);
    expect(await inbox(rep)).toMatchObject({ items: [], unread_count: 0 });
  });

  it('records the e-mail as pending for a user who chose email', async () => {
    const rep = user();
    await deps.store.setChannels(rep, { lead_assigned: 'email' });
    await notify(deps, await assignment(`L-${rep}`, rep, 1));
    const out = await dynamoDocumentClient().send(
      new QueryCommand({
        TableName: table.name,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :email)',
        ExpressionAttributeValues: { ':pk': notificationPartition(rep), ':email': 'email#' },
      }),
    );
    expect(out.Items).toHaveLength(1);
    expect(out.Items![0]).toMatchObject({ status: 'pending', recipient_id: rep, notification_kind: 'lead_assigned' });
    expect(await inbox(rep)).toMatchObject({ items: [], unread_count: 0 });
  });
});

describe('unread count', () => {
  it('stays exact under concurrent deliveries into one item and many, and concurrent reads', async () => {
    const rep = user();
    // 20 items (a window each, by two actors) and 10 more events into the first item.
    const many = await Promise.all(
      Array.from({ length: 20 }, (_, i) => assignment(`L-${rep}-${i}`, rep, i * 10, i % 2 ? 'mgr' : 'boss')),
    );
    const same = await Promise.all(Array.from({ length: 10 }, (_, i) => assignment(`L-${rep}-s${i}`, rep, 1, 'boss')));
    await notify(deps, many[0]!);
    const first = (await inbox(rep)).items[0]!;
    await Promise.all([
      ...many.slice(1).map((e) => notify(deps, e)),
      ...same.map((e) => notify(deps, e)),
      ...Array.from({ length: 5 }, () => changeNotification(deps, call(rep), first.id, 'read')),
    ]);
    const page = await inbox(rep);
    expect(page.items).toHaveLength(20);
    const unread = page.items.filter((n) => n.read_at === null).length;
    expect(page.unread_count).toBe(unread);
    expect(page.items.find((n) => n.id === first.id)!.count).toBe(11);
  });
});

describe('read, read_all, archive', () => {
  it('reads one, archives one (left out of the list), and reads the rest in bounded calls', async () => {
    const rep = user();
    const events = await Promise.all(Array.from({ length: 5 }, (_, i) => assignment(`L-${rep}-${i}`, rep, i * 10)));
    for (const e of events) await notify(deps, e);
    let page = await inbox(rep);
    expect(page.unread_count).toBe(5);
    const [newest, second] = page.items;
    expect(await changeNotification(deps, call(rep), newest!.id, 'read')).toEqual({ unread_count: 4 });
    expect(await changeNotification(deps, call(rep), newest!.id, 'read')).toEqual({ unread_count: 4 });
    expect(await changeNotification(deps, call(rep), second!.id, 'archive')).toEqual({ unread_count: 3 });
    // Another user's id, or none: nothing changes.
    expect(await changeNotification(deps, call(user()), newest!.id, 'archive')).toEqual({ unread_count: 0 });
    page = await inbox(rep);
    expect(page.items.map((n) => n.id)).not.toContain(second!.id);
    expect(page.items).toHaveLength(4);
    expect((await listNotifications(deps, call(rep), { limit: 100, unread: true })).items).toHaveLength(3);
    expect(await readAllNotifications(deps, call(rep))).toEqual({ marked: 3, more: false, unread_count: 0 });
    expect(await readAllNotifications(deps, call(rep))).toEqual({ marked: 0, more: false, unread_count: 0 });
    expect((await inbox(rep)).items.every((n) => n.read_at !== null)).toBe(true);
  });

  it('marks at most READ_ALL_MAX per call and says more remain', async () => {
    const rep = user();
    const store = deps.store as DynamoNotificationStore;
    const n = READ_ALL_MAX + 3;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        store.deliver(
          {
            recipient_id: rep,
            kind: 'lead_assigned',
            actor_id: 'mgr',
            event_id: `E-${rep}-${i}`,
            occurred_at: new Date(Date.UTC(2031, 0, 1) + i * 3_600_000).toISOString(),
            record: { type: 'lead', id: `L${i}`, name: null },
          },
          { web: true, email: false },
        ),
      ),
    );
    expect((await inbox(rep)).unread_count).toBe(n);
    expect(await readAllNotifications(deps, call(rep))).toEqual({ marked: READ_ALL_MAX, more: true, unread_count: 3 });
    expect(await readAllNotifications(deps, call(rep))).toEqual({ marked: 3, more: false, unread_count: 0 });
  });
});
