import { describe, expect, it } from 'vitest';
import { PutSuppressedDestinationCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createLeadRoute, updateLeadRoute } from '#shared/leads/routes.ts';
import { putNotificationSettingsRoute } from '#shared/notifications/routes.ts';
import { updateSelfRoute } from '#shared/identity/routes.ts';
import { notificationPartition } from '#shared/notifications/dynamodb.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { LOCAL_ADMIN_ACCESS_KEY_ID } from '#infra/local/iam/gate.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';

// E-mail alerts over the local cloud: the notification's transaction writes the mail request
// (outbox → bus rule → mail queue), the mail-sender sends it through the SES front into the
// mail viewer. One mail per assignment, none to a suppressed address (recorded), none again
// on an archive replay. Waits poll with a generous timeout, never assert a time.

const session = useTestCloud();
const { call, id } = session;

interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
}

async function store(): Promise<StoredEmail[]> {
  const answer = await fetch(`${session.cloud.sesUrl}/store`);
  return ((await answer.json()) as { emails: StoredEmail[] }).emails;
}

async function until<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The user's e-mail items (pending, sent, suppressed...), read as an operator. */
async function emailItems(user: string): Promise<Record<string, unknown>[]> {
  const table = crmTable();
  const out = await table.client.send(
    new QueryCommand({
      TableName: table.name,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :email)',
      ExpressionAttributeValues: { ':pk': notificationPartition(id(user)), ':email': 'email#' },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

const aboutLead = (leadId: string) => (i: Record<string, unknown>) => (i.record as { id: string }).id === leadId;

async function assignLead(to: string, lastName: string): Promise<string> {
  const lead = bodyOf(await call(createLeadRoute, { as: 'manager', body: { last_name: lastName } }), 201);
  bodyOf(await call(updateLeadRoute, { as: 'manager', params: { id: lead.id }, body: { owner_id: id(to) } }), 200);
  return lead.id;
}

describe('e-mail alerts on the local cloud', () => {
  it('mails rep1 exactly one alert, with the link, the company name and rep1’s time zone; an archive replay mails nothing more', async () => {
    bodyOf(await call(putNotificationSettingsRoute, { as: 'rep1', body: { channels: { lead_assigned: 'email' } } }), 200);
    // rep1's own zone (PATCH /users/self); a zone that is not IANA is refused, naming the field.
    const refused = await call(updateSelfRoute, { as: 'rep1', body: { time_zone: 'Mars/Olympus' } });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.body)).toContain('time_zone');
    expect(bodyOf(await call(updateSelfRoute, { as: 'rep1', body: { time_zone: 'Asia/Tokyo' } }), 200).time_zone).toBe(
      'Asia/Tokyo',
    );
    const from = new Date(Date.now() - 1000);
    const leadId = await assignLead('rep1', 'Mailed <Lead>');

    const alerts = (emails: StoredEmail[]) =>
      emails.filter((e) => e.destination.to.includes('rep1@example.com') && (e.body.text ?? '').includes(`/leads/${leadId}`));
    const [alert] = await until('the alert in the mail viewer', async () => {
      const found = alerts(await store());
      return found.length > 0 ? found : undefined;
    });
    expect(alert!.subject).toBe('Max Manager assigned you the lead Mailed <Lead>');
    expect(alert!.from).toContain('crm@example.com');
    expect(alert!.body.text).toContain(`https://crm.example.com/leads/${leadId}`);
    expect(alert!.body.text).toContain('Acme Corp');
    expect(alert!.body.text).toMatch(/\d\d:\d\d GMT\+9\)/); // Tokyo time
    expect(alert!.body.html).toContain(`href="https://crm.example.com/leads/${leadId}"`);
    expect(alert!.body.html).toContain('Mailed &lt;Lead&gt;');
    expect(alert!.body.html).not.toContain('<Lead>');
    await until('the alert recorded as sent', async () => {
      const mine = (await emailItems('rep1')).filter(aboutLead(leadId));
      return mine.length === 1 && mine[0]!.status === 'sent' ? mine : undefined;
    });

    // An archive replay of the window: the notification and mail rules refuse replayed events,
    // so no request reaches the mail queue again (and the sender's claims would send none).
    const queued = session.cloud.mailRequestsQueued();
    expect(queued).toBeGreaterThan(0);
    const report = await session.cloud.replay({ from, to: new Date(Date.now() + 1000) });
    expect(report.events).toBeGreaterThanOrEqual(2);
    await session.cloud.bus.idle();
    // Longer than the queue's delivery delay: a request the replay queued would be sent by now.
    await new Promise((r) => setTimeout(r, 8000));
    await session.cloud.mailIdle();
    expect(alerts(await store())).toHaveLength(1);
    expect((await emailItems('rep1')).filter(aboutLead(leadId))).toHaveLength(1);
    expect(session.cloud.mailRequestsQueued()).toBe(queued);
  }, 60_000);

  it('sends nothing to an address on the suppression list, and records the suppression', async () => {
    const ses = new SESv2Client({
      endpoint: session.cloud.sesUrl,
      region: 'eu-west-1',
      credentials: { accessKeyId: LOCAL_ADMIN_ACCESS_KEY_ID, secretAccessKey: 'local' },
    });
    await ses.send(new PutSuppressedDestinationCommand({ EmailAddress: 'rep2@example.com', Reason: 'BOUNCE' }));
    ses.destroy();
    bodyOf(await call(putNotificationSettingsRoute, { as: 'rep2', body: { channels: { lead_assigned: 'both' } } }), 200);
    const sendsBefore = session.cloud.ses.sends;
    const leadId = await assignLead('rep2', 'Bounced');

    const [item] = await until('the suppression recorded', async () => {
      const mine = (await emailItems('rep2')).filter(aboutLead(leadId));
      return mine.length === 1 && mine[0]!.status !== 'pending' && mine[0]!.status !== 'sending' ? mine : undefined;
    });
    expect(item).toMatchObject({ status: 'suppressed', suppression_reason: 'BOUNCE' });
    await session.cloud.mailIdle();
    expect((await store()).filter((e) => e.destination.to.includes('rep2@example.com') && e.subject.includes('Bounced'))).toEqual(
      [],
    );
    expect(session.cloud.ses.sends).toBe(sendsBefore);
  }, 60_000);
});
