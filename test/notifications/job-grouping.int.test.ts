import { beforeAll, describe, expect, it } from 'vitest';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DomainEvent, EventOrigin } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { importKey } from '#shared/imports/dynamodb.ts';
import { bulkOperationKey } from '#shared/bulk-operations/dynamodb.ts';
import { effectiveDefaults } from '#shared/notifications/domain.ts';
import { DynamoCurrentOwners, DynamoNotificationStore, notificationPartition } from '#shared/notifications/dynamodb.ts';
import { AlertMailJob, type AlertDirectory } from '#shared/notifications/email-jobs.ts';
import { listNotifications, notify, type NotificationDeps } from '#shared/notifications/use-cases.ts';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import type { Item, Key, Table } from '#shared/platform/dynamodb/table.ts';
import { fakeCall, FixedClock } from '#test/helpers/fakes.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';
import { event } from '#test/activities/events.ts';

// Known failure 6 on DynamoDB Local: a job's records (a bulk reassignment, a CSV import) tell
// their new owner in ONE inbox item and at most ONE e-mail, both when the job finishes,
// however long the job runs and however often each event is delivered. While it runs, its
// records are only counted (sharded tallies: no inbox item written by every row).

let table: Table;
let deps: NotificationDeps;
let seq = 0;

beforeAll(async () => {
  const { tableName } = await useTestTable({ as: 'notification-delivery' });
  table = testTableClient(tableName);
  deps = {
    store: new DynamoNotificationStore(table),
    owners: new DynamoCurrentOwners(table),
    defaults: effectiveDefaults({}),
    unconfigured: { report: () => undefined },
    clock: new FixedClock('2031-03-04T12:00:00.000Z'),
  };
});

const user = () => `JU${String(++seq).padStart(5, '0')}`;
const put = (item: Item & Key) => dynamoDocumentClient().send(new PutCommand({ TableName: table.name, Item: item }));
const minute = (m: number) => new Date(Date.UTC(2031, 2, 4, 9, m, m % 60)).toISOString();

const directory: AlertDirectory = {
  user: async (id) => ({ id, name: id === 'anna' ? 'Anna Admin' : `Rep ${id}`, email: `${id}@example.com`, status: 'active' }),
  account: async () => ({ name: 'Acme', logo_url: null, timezone: 'Europe/Madrid', time_format: '24h' }),
};

/** A record's event written by the job `origin`, the lead owned by `owner` (it exists). */
async function jobEvent(
  type: 'lead.owner_changed' | 'lead.created',
  id: string,
  owner: string,
  at: string,
  origin: EventOrigin,
): Promise<DomainEvent> {
  await put({ ...recordKey('lead', id), kind: 'lead', id, owner_id: owner, version: 2 });
  const e = event(
    type,
    { resource_type: 'lead', resource_id: id },
    { id, first_name: 'Lead', last_name: id, owner_id: owner, version: 2 },
    { actor: 'anna', at, ...(type === 'lead.owner_changed' ? { previous: { owner_id: 'departed' } } : {}) },
  );
  e.metadata.origin = origin;
  return e;
}

/** The import's end (the job's record read by the notification of its creator). */
async function importFinished(importId: string, filename: string, at: string): Promise<DomainEvent> {
  await put({ ...importKey(importId), kind: 'import', id: importId, creator_id: 'anna' });
  return event(
    'import.finished',
    { resource_type: 'import', resource_id: importId },
    { id: importId, creator_id: 'anna', filename, status: 'finished' },
    { actor: 'system', at },
  );
}

async function pendingEmails(userId: string) {
  return table.partition(notificationPartition(userId), 'email#');
}

async function inbox(userId: string) {
  return listNotifications(deps, fakeCall({ user_id: userId, email: '', role: 'user', direct_reports: [] }), { limit: 100 });
}

async function deliverAll(events: DomainEvent[]): Promise<void> {
  // Each twice, ten at a time (a redelivered batch, concurrent consumers).
  const all = [...events, ...events];
  for (let i = 0; i < all.length; i += 10) await Promise.all(all.slice(i, i + 10).map((e) => notify(deps, e)));
}

describe('a bulk reassignment of 50 leads to one rep', () => {
  it('makes one inbox item counting 50, and one e-mail "Anna Admin assigned you 50 leads" once the job finishes', async () => {
    const rep = user();
    const op = newId(Date.UTC(2031, 2, 4, 9, 0));
    const origin: EventOrigin = { type: 'bulk_operation', id: op, automations: true };
    // Spread over 50 minutes: five grouping windows, had the job not been one group.
    const events = await Promise.all(
      Array.from({ length: 50 }, (_, i) => jobEvent('lead.owner_changed', `L-${rep}-${i}`, rep, minute(i), origin)),
    );
    await deliverAll(events);

    // Nothing told while the job runs: no item, no e-mail.
    expect(await inbox(rep)).toMatchObject({ items: [], unread_count: 0 });
    expect(await pendingEmails(rep)).toHaveLength(0);

    await put({ ...bulkOperationKey(op), kind: 'bulk_operation', id: op, requester_id: 'anna' });
    const finished = event(
      'bulk_operation.finished',
      { resource_type: 'bulk_operation', resource_id: op },
      { id: op, requester_id: 'anna', resource: 'leads', action: 'reassign', status: 'finished' },
      { actor: 'system', at: minute(51) },
    );
    await notify(deps, finished);
    await notify(deps, finished);
    const page = await inbox(rep);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ kind: 'lead_assigned', actor_id: 'anna', count: 50, first_at: minute(0) });
    expect(page.items[0]!.records).toHaveLength(10);
    expect(page.unread_count).toBe(1);
    const emails = await pendingEmails(rep);
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ status: 'pending', count: 50, notification_kind: 'lead_assigned' });

    const job = new AlertMailJob(table, directory, 'https://crm.example.com');
    const request = {
      type: 'notification_alert' as const,
      recipient_id: rep,
      ref: String(emails[0]!.notification_id),
      event_id: String(emails[0]!.event_id),
    };
    const claimed = await job.claim(request, new Date(minute(52)));
    expect(claimed?.mail?.subject).toBe('Anna Admin assigned you 50 leads');
    expect(claimed?.mail?.text).toContain('and 49 more');
    await job.settle(claimed!, { status: 'sent', message_id: 'm-1' }, new Date(minute(52)));
    expect(await job.claim(request, new Date(minute(53)))).toBeUndefined();

    // The requester is told the operation finished (their own kind, web by default).
    expect((await inbox('anna')).items.some((n) => n.kind === 'bulk_operation_finished')).toBe(true);

    // The job's tallies and its end mark expire with the markers (no redelivery comes later).
    const kept = await table.partition(`notification_job#bulk_operation#${op}`);
    expect(kept.length).toBeGreaterThan(1);
    for (const item of kept) expect(Number(item.expires_at)).toBeGreaterThan(Date.now() / 1000 + 30 * 24 * 3600);

    // A straggler delivered after the finish joins the item and asks for no second e-mail.
    await notify(deps, await jobEvent('lead.owner_changed', `L-${rep}-late`, rep, minute(55), origin));
    expect((await inbox(rep)).items).toMatchObject([{ count: 51 }]);
    expect(await pendingEmails(rep)).toHaveLength(1);
  }, 240_000);
});

describe('a CSV import of 120 leads assigned to rep1', () => {
  it('gives rep1 one grouped item and one e-mail, not 120', async () => {
    const rep1 = user();
    const importId = newId(Date.UTC(2031, 2, 4, 9, 0));
    const origin: EventOrigin = { type: 'import', id: importId, automations: false };
    const events = await Promise.all(
      Array.from({ length: 120 }, (_, i) => jobEvent('lead.created', `I-${rep1}-${i}`, rep1, minute(i % 40), origin)),
    );
    await deliverAll(events);
    expect((await inbox(rep1)).items).toEqual([]);
    expect(await pendingEmails(rep1)).toHaveLength(0);

    const finished = await importFinished(importId, 'leads.csv', minute(45));
    await Promise.all([notify(deps, finished), notify(deps, finished)]);
    expect(await inbox(rep1)).toMatchObject({ items: [{ kind: 'lead_assigned', count: 120 }], unread_count: 1 });
    const emails = await pendingEmails(rep1);
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ count: 120 });
  }, 240_000);

  it('counts every record exactly once when the job finishes while its records are still being delivered', async () => {
    const rep = user();
    const importId = newId(Date.UTC(2031, 2, 4, 9, 0));
    const origin: EventOrigin = { type: 'import', id: importId, automations: false };
    const events = await Promise.all(
      Array.from({ length: 60 }, (_, i) => jobEvent('lead.created', `R-${rep}-${i}`, rep, minute(i % 30), origin)),
    );
    const finished = await importFinished(importId, 'race.csv', minute(45));
    // The end arrives amid the deliveries (EventBridge keeps no order): half the records come
    // after it, some at the same moment; then every record again.
    const all = [...events.slice(0, 30), finished, ...events.slice(30), ...events];
    for (let i = 0; i < all.length; i += 12) await Promise.all(all.slice(i, i + 12).map((e) => notify(deps, e)));
    expect(await inbox(rep)).toMatchObject({ items: [{ count: 60 }], unread_count: 1 });
    expect(await pendingEmails(rep)).toHaveLength(1);
  }, 240_000);

  it('sends no job e-mail to a rep who chose web only, and keeps ungrouped assignments as they were', async () => {
    const rep = user();
    await deps.store.setChannels(rep, { lead_assigned: 'web' });
    const importId = newId(Date.UTC(2031, 2, 4, 9, 0));
    const origin: EventOrigin = { type: 'import', id: importId, automations: false };
    await deliverAll([await jobEvent('lead.created', `W-${rep}`, rep, minute(1), origin)]);
    await notify(deps, await importFinished(importId, 'x.csv', minute(2)));
    expect(await pendingEmails(rep)).toHaveLength(0);
    expect((await inbox(rep)).items).toMatchObject([{ count: 1 }]);
  });
});
