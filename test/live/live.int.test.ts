import { beforeAll, describe, expect, it } from 'vitest';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { newTicket, ticketHash } from '#shared/live/domain.ts';
import { DynamoLiveConnections, DynamoLiveTickets } from '#shared/live/dynamodb.ts';
import { effectiveDefaults } from '#shared/notifications/domain.ts';
import { DynamoCurrentOwners, DynamoNotificationStore } from '#shared/notifications/dynamodb.ts';
import type { LiveUpdates } from '#shared/notifications/ports.ts';
import { changeNotification, notify, readAllNotifications, type NotificationDeps } from '#shared/notifications/use-cases.ts';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { event } from '#test/activities/events.ts';
import { fakeCall, FixedClock } from '#test/helpers/fakes.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';

// Tickets and connections on DynamoDB Local (a ticket redeemed once even when raced; expired
// ones refused), and the notifications' use cases telling LiveUpdates exactly when an item
// was written or the unread count changed.

let table: Table;
let seq = 0;
const user = () => `LU${String(++seq).padStart(5, '0')}`;

beforeAll(async () => {
  const { tableName } = await useTestTable({ as: 'notification-delivery' });
  table = testTableClient(tableName);
});

describe('tickets in the table', () => {
  it('are redeemed by one of many concurrent uses, and never after their expiry', async () => {
    const tickets = new DynamoLiveTickets(table);
    const now = new Date('2031-01-01T00:00:00Z');
    const ticket = newTicket();
    await tickets.issue(ticketHash(ticket), 'U1', new Date(now.getTime() + 30_000));
    const results = await Promise.all(Array.from({ length: 8 }, () => tickets.consume(ticketHash(ticket), now)));
    expect(results.filter((r) => r === 'U1')).toHaveLength(1);
    expect(results.filter((r) => r === undefined)).toHaveLength(7);

    const late = newTicket();
    await tickets.issue(ticketHash(late), 'U1', new Date(now.getTime() + 30_000));
    expect(await tickets.consume(ticketHash(late), new Date(now.getTime() + 30_000))).toBeUndefined();
    expect(await tickets.consume(ticketHash(newTicket()), now)).toBeUndefined();
  });

  it("keep a user's connections until removed or expired", async () => {
    const connections = new DynamoLiveConnections(table);
    const now = new Date('2031-01-01T00:00:00Z');
    const [a, b] = [user(), user()];
    await connections.add(a, 'c1=', new Date(now.getTime() + 7_200_000));
    await connections.add(a, 'c2=', new Date(now.getTime() + 1_000));
    await connections.add(b, 'c3=', new Date(now.getTime() + 7_200_000));
    expect((await connections.of(a, now)).sort()).toEqual(['c1=', 'c2=']);
    expect(await connections.of(a, new Date(now.getTime() + 1_000))).toEqual(['c1=']);
    await connections.remove(a, 'c1=');
    await connections.remove(a, 'c1=');
    expect(await connections.of(a, now)).toEqual(['c2=']);
  });
});

describe('what the notifications tell their live clients', () => {
  const told: string[] = [];
  const live: LiveUpdates = {
    notificationWritten: async (userId, id) => void told.push(`written ${userId} ${id}`),
    unreadCountChanged: async (userId, count) => void told.push(`count ${userId} ${count}`),
  };
  const deps = (): NotificationDeps => ({
    store: new DynamoNotificationStore(table),
    owners: new DynamoCurrentOwners(table),
    defaults: effectiveDefaults({ task_assigned: 'off' }),
    unconfigured: { report: () => undefined },
    clock: new FixedClock('2031-03-04T12:00:00.000Z'),
    live,
  });
  const assignment = async (owner: string, n = 1): Promise<DomainEvent> => {
    const id = `R-${owner}-${n}`;
    await dynamoDocumentClient().send(
      new PutCommand({
        TableName: table.name,
        Item: { ...recordKey('lead', id), kind: 'lead', id, owner_id: owner, version: 2 },
      }),
    );
    return event(
      'lead.owner_changed',
      { resource_type: 'lead', resource_id: id },
      { id, last_name: id, owner_id: owner, version: 2 },
      { actor: 'mgr', at: '2031-03-04T09:01:00.000Z', previous: { owner_id: 'mgr' } },
    );
  };

  it('a written web item once (not its redelivery, not an e-mail only); a read and a read-all with the new count', async () => {
    const rep = user();
    told.length = 0;
    const e = await assignment(rep);
    expect(await notify(deps(), e)).toBe('written');
    expect(await notify(deps(), e)).toBe('duplicate');
    const mailOnly = { ...deps(), defaults: effectiveDefaults({ lead_assigned: 'email' }) };
    expect(await notify(mailOnly, await assignment(user()))).toBe('written');
    expect(told).toHaveLength(1);
    const [, userId, itemId] = told[0]!.split(' ');
    expect(userId).toBe(rep);
    const call = fakeCall({ user_id: rep, email: `${rep}@example.com`, role: 'user', direct_reports: [] });
    await changeNotification(deps(), call, itemId!, 'read');
    // An id the caller has no item under changes nothing, and tells nobody.
    await changeNotification(deps(), call, '1700000000000.lead_assigned.nobody', 'read');
    expect(told.slice(1)).toEqual([`count ${rep} 0`]);
    // Nothing unread left: read-all marks nothing and tells nobody.
    await readAllNotifications(deps(), call);
    expect(told).toHaveLength(2);
    // A second lead, read with read-all: pushed, then the count.
    expect(await notify(deps(), await assignment(rep, 2))).toBe('written');
    await readAllNotifications(deps(), call);
    expect(told.slice(2)).toEqual([expect.stringMatching(new RegExp(`^written ${rep} `)), `count ${rep} 0`]);
  });
});
