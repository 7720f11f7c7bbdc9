import { beforeAll, describe, expect, it } from 'vitest';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { effectiveDefaults } from '#shared/notifications/domain.ts';
import { DynamoCurrentOwners, DynamoNotificationStore, notificationPartition } from '#shared/notifications/dynamodb.ts';
import { AlertMailJob, CLAIM_TIMEOUT_MS, type AlertDirectory } from '#shared/notifications/email-jobs.ts';
import { notify } from '#shared/notifications/use-cases.ts';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import type { MailRequest } from '#shared/mail/domain.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';
import { event } from '#test/activities/events.ts';

// The alert job on DynamoDB Local: a burst of assignments (one notification group) makes one
// mail covering all of them; the burst's other requests, and redeliveries, find nothing to
// send; a released claim is claimed again; a claim whose worker died is taken over after the
// timeout. The mail's time is in the recipient's own zone, else the account's.

let table: Table;
let store: DynamoNotificationStore;
let owners: DynamoCurrentOwners;
let seq = 0;

const directory: AlertDirectory = {
  user: async (id) =>
    id === 'mgr'
      ? { id, name: 'Max Manager', email: 'mgr@example.com', status: 'active' }
      : {
          id,
          name: `Rep ${id}`,
          email: `${id}@example.com`,
          status: 'active',
          time_zone: id.endsWith('9') ? null : 'Asia/Tokyo',
        },
  account: async () => ({ name: 'Acme', logo_url: null, timezone: 'Europe/Paris', time_format: '24h' }),
};

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName);
  store = new DynamoNotificationStore(table);
  owners = new DynamoCurrentOwners(table);
});

const user = () => `U${String(++seq).padStart(5, '0')}`;

async function assignment(id: string, owner: string, second: number): Promise<DomainEvent> {
  await dynamoDocumentClient().send(
    new PutCommand({ TableName: table.name, Item: { ...recordKey('lead', id), kind: 'lead', id, owner_id: owner, version: 2 } }),
  );
  return event(
    'lead.owner_changed',
    { resource_type: 'lead', resource_id: id },
    { id, first_name: 'Lead', last_name: id, owner_id: owner, version: 2 },
    { actor: 'mgr', at: new Date(Date.UTC(2031, 2, 4, 9, 0, second)).toISOString(), previous: { owner_id: 'mgr' } },
  );
}

/** Delivers `n` assignments to a new user who chose e-mail; the mail requests they made. */
async function burst(n: number, who = user()): Promise<{ rep: string; requests: MailRequest[] }> {
  await store.setChannels(who, { lead_assigned: 'email' });
  const events = await Promise.all(Array.from({ length: n }, (_, i) => assignment(`L-${who}-${i}`, who, i)));
  for (const e of events)
    await notify({ store, owners, defaults: effectiveDefaults({}), unconfigured: { report: () => undefined } }, e);
  const items = await table.partition(notificationPartition(who), 'email#');
  return {
    rep: who,
    requests: items.map((i) => ({
      type: 'notification_alert',
      recipient_id: who,
      ref: String(i.notification_id),
      event_id: String(i.event_id),
    })),
  };
}

const at = (iso: string) => new Date(iso);

describe('AlertMailJob', () => {
  it('makes one mail of a burst, and the burst’s other requests find nothing left', async () => {
    const { rep, requests } = await burst(3);
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.ref)).size).toBe(1);
    const job = new AlertMailJob(table, directory, 'https://crm.example.com');
    const claimed = await job.claim(requests[1]!, at('2031-03-04T09:01:00Z'));
    expect(claimed?.covers).toBe(3);
    expect(claimed?.mail).toMatchObject({ to: `${rep}@example.com`, subject: 'Max Manager assigned you 3 leads' });
    expect(claimed?.mail?.text).toContain('https://crm.example.com/notifications');
    // Rep's own zone (Tokyo): 09:00:02 UTC is 18:00.
    expect(claimed?.mail?.text).toContain('18:00');
    await job.settle(claimed!, { status: 'sent', message_id: 'm1' }, at('2031-03-04T09:01:01Z'));
    for (const r of requests) expect(await job.claim(r, at('2031-03-04T09:02:00Z'))).toBeUndefined();
    const items = await table.partition(notificationPartition(rep), 'email#');
    expect(items.map((i) => i.status)).toEqual(['sent', 'sent', 'sent']);
    expect(items.every((i) => i.message_id === 'm1' && i.gsi3pk === undefined)).toBe(true);
  });

  it("uses the account's zone for a user without one", async () => {
    const { requests } = await burst(1, `U${String(++seq).padStart(4, '0')}9`);
    const claimed = await new AlertMailJob(table, directory, 'https://crm.example.com').claim(
      requests[0]!,
      at('2031-03-04T09:01:00Z'),
    );
    expect(claimed?.mail?.subject).toMatch(/^Max Manager assigned you the lead Lead L-/);
    expect(claimed?.mail?.text).toContain('10:00'); // Paris, winter: UTC+1
  });

  it('claims a released group again, refuses one being sent, and takes over a claim whose worker died', async () => {
    const { requests } = await burst(1);
    const job = new AlertMailJob(table, directory, 'https://crm.example.com');
    const first = await job.claim(requests[0]!, at('2031-03-04T09:01:00Z'));
    await job.settle(first!, { status: 'released' }, at('2031-03-04T09:01:01Z'));
    const second = await job.claim(requests[0]!, at('2031-03-04T09:01:02Z'));
    expect(second?.covers).toBe(1);
    await expect(job.claim(requests[0]!, at('2031-03-04T09:01:03Z'))).rejects.toThrow(/being sent/);
    const later = new Date(Date.parse('2031-03-04T09:01:02Z') + CLAIM_TIMEOUT_MS + 1000);
    const third = await job.claim(requests[0]!, later);
    expect(third?.covers).toBe(1);
    // The dead claim can no longer settle: the item is the new claim's.
    await expect(job.settle(second!, { status: 'sent', message_id: 'late' }, later)).rejects.toThrow();
    await job.settle(third!, { status: 'suppressed', reason: 'COMPLAINT' }, later);
    expect(await job.claim(requests[0]!, later)).toBeUndefined();
  });
});
