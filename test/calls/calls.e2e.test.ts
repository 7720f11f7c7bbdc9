import { describe, expect, it } from 'vitest';
import { LOCAL_VOICE_AUTH_TOKEN } from '#infra/local/environment.ts';
import { twilioSignature } from '#shared/calls/domain.ts';
import { listCallsRoute, listTextMessagesRoute } from '#shared/calls/routes.ts';
import { createContactRoute } from '#shared/contacts/routes.ts';
import { listNotificationsRoute } from '#shared/notifications/routes.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';

// Calls from a voice provider over the local cloud: a Twilio-style status callback and an
// incoming SMS, signed with the auth token the local Secrets Manager holds, log a call and a
// text on the contact with that number and tell its owner (incoming_call, incoming_text); a
// redelivery logs nothing twice; a wrongly signed webhook is refused and writes nothing.

const session = useTestCloud();
const { call, id, api } = session;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function webhook(params: Record<string, string>, token = LOCAL_VOICE_AUTH_TOKEN) {
  const path = '/webhooks/twilio';
  return api('POST', path, {
    rawBody: new URLSearchParams(params).toString(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(token, `${session.cloud.url}${path}`, params),
    },
  });
}

const callsOf = async (who: string, contactId: string) =>
  bodyOf(await call(listCallsRoute, { as: who, query: { contact_id: contactId, limit: '100' } }), 200).items;

describe('calls from a Twilio-compatible webhook on the local cloud', () => {
  it('logs a signed call and text on the contact with that number and tells its owner; a bad signature writes nothing', async () => {
    const suffix = String(Date.now()).slice(-4);
    const number = `+1415555${suffix}`;
    const contact = bodyOf(
      await call(createContactRoute, {
        as: 'admin',
        body: { last_name: `Caller ${suffix}`, phone: `+1 415 555-${suffix}`, owner_id: id('rep1') },
      }),
      201,
    );
    const sid = `CA${Date.now()}`;
    const status = {
      CallSid: sid,
      CallStatus: 'completed',
      Direction: 'inbound',
      From: number,
      To: '+18005551212',
      CallDuration: '42',
    };

    // Wrongly signed: refused, nothing logged.
    const forged = await webhook(status, 'not-the-token');
    expect(forged.status).toBe(403);
    expect(await callsOf('rep1', contact.id)).toEqual([]);

    const first = await webhook(status);
    expect(first.status).toBe(200);
    expect(first.body).toContain('<Response>');
    // Twilio retries a callback it got no answer to: the same CallSid logs nothing more.
    expect((await webhook(status)).status).toBe(200);
    const calls = await callsOf('rep1', contact.id);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      user_id: id('rep1'),
      phone_number: number,
      duration: 42,
      incoming: true,
      missed: false,
      resource_type: 'contact',
      resource_id: contact.id,
      external_id: sid,
      source: 'twilio',
    });
    // rep2 may not see rep1's contact, nor its calls.
    expect((await call(listCallsRoute, { as: 'rep2', query: { contact_id: contact.id } })).status).toBe(404);

    const sms = await webhook({ MessageSid: `SM${Date.now()}`, From: number, To: '+18005551212', Body: 'Call me back' });
    expect(sms.status).toBe(200);
    const texts = bodyOf(
      await call(listTextMessagesRoute, { as: 'rep1', query: { resource_type: 'contact', resource_id: contact.id } }),
      200,
    ).items;
    expect(texts.map((t) => [t.content, t.incoming, t.user_id])).toEqual([['Call me back', true, id('rep1')]]);

    for (const kind of ['incoming_call', 'incoming_text'] as const) {
      const item = await until(`the ${kind} notification of rep1`, async () => {
        const inbox = bodyOf(await call(listNotificationsRoute, { as: 'rep1', query: { limit: '100' } }), 200);
        return inbox.items.find((n) => n.kind === kind && n.records.some((r) => r.id === contact.id));
      });
      expect(item).toMatchObject({ actor_id: 'voice:twilio', records: [{ type: 'contact', id: contact.id, name: number }] });
    }
  });
});
