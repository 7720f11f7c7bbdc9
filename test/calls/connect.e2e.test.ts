import { describe, expect, it } from 'vitest';
import { loadConfig } from '#infra/config/load.ts';
import { LOCAL_CONNECT_INSTANCE_ID } from '#infra/local/connect.ts';
import { listContactActivitiesRoute } from '#shared/activities/routes.ts';
import { listCallsRoute } from '#shared/calls/routes.ts';
import { createContactRoute } from '#shared/contacts/routes.ts';
import { newId } from '#shared/kernel/ids.ts';
import { listNotificationsRoute } from '#shared/notifications/routes.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';
import { describedContact, disconnectedEvent, withLocalConnect } from './connect-samples.ts';

// Amazon Connect over the local cloud: a contact event put on the default bus (one local bus
// stands for both) reaches the connect-calls function through the rule the config's instance
// gives, which describes the contact at the Connect stand-in (through its IAM gate) and logs the
// call on the contact with that number, telling its owner; delivered twice, it is logged once.

const config = withLocalConnect(loadConfig());
const session = useTestCloud({ config });
const { call, id } = session;

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

/** The event as Connect publishes it, put on the default bus. */
function putContactEvent(contactId: string) {
  const event = disconnectedEvent(config.connect!.instance_arn, contactId);
  const answer = session.cloud.bus.put([
    {
      EventBusName: 'default',
      Source: event.source,
      DetailType: event['detail-type'],
      Detail: JSON.stringify(event.detail),
      Resources: event.resources,
    },
  ]);
  expect(answer.FailedEntryCount).toBe(0);
}

const callsOf = async (who: string, contactId: string) =>
  bodyOf(await call(listCallsRoute, { as: who, query: { contact_id: contactId, limit: '100' } }), 200).items;

describe('calls from Amazon Connect contact events on the local cloud', () => {
  it("logs a finished call on the number's contact once, also when the event is delivered twice, and tells its owner", async () => {
    const suffix = String(Date.now()).slice(-4);
    const number = `+1415556${suffix}`;
    const contact = bodyOf(
      await call(createContactRoute, {
        as: 'admin',
        body: { last_name: `Connect ${suffix}`, phone: `+1 415 556-${suffix}`, owner_id: id('rep1') },
      }),
      201,
    );
    const contactId = newId();
    session.cloud.connect.seed(
      LOCAL_CONNECT_INSTANCE_ID,
      contactId,
      describedContact({
        instanceArn: config.connect!.instance_arn,
        contactId,
        customerNumber: number,
        agentId: 'a1b2c3d4-5678-90ab-cdef-000000000009',
        seconds: 61,
      }),
    );

    putContactEvent(contactId);
    putContactEvent(contactId);
    const calls = await until('the call on the contact', async () => {
      const items = await callsOf('rep1', contact.id);
      return items.length > 0 ? items : undefined;
    });
    await session.cloud.bus.idle();
    expect(await callsOf('rep1', contact.id)).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      user_id: id('rep1'),
      phone_number: number,
      duration: 61,
      incoming: true,
      missed: false,
      resource_type: 'contact',
      resource_id: contact.id,
      external_id: contactId,
      source: 'connect',
    });

    const incoming = async () =>
      bodyOf(await call(listNotificationsRoute, { as: 'rep1', query: { limit: '100' } }), 200).items.filter(
        (n) => n.kind === 'incoming_call' && n.records.some((r) => r.id === contact.id),
      );
    const [notice] = await until('the incoming_call notification of rep1', async () => {
      const items = await incoming();
      return items.length > 0 ? items : undefined;
    });
    expect(notice).toMatchObject({ actor_id: 'voice:connect', records: [{ type: 'contact', id: contact.id, name: number }] });
    await session.cloud.bus.idle();
    expect(await incoming()).toHaveLength(1);
    // On the contact's timeline (the activity feed), once: an inbound call received.
    const timeline = async () =>
      bodyOf(
        await call(listContactActivitiesRoute, { as: 'rep1', params: { id: contact.id }, query: { limit: 20 } }),
        200,
      ).items.filter((a) => a.record.type === 'call');
    const entries = await until('the call on the contact’s timeline', async () => {
      const items = await timeline();
      return items.length > 0 ? items : undefined;
    });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ verb: 'call_received', parent: { type: 'contact', id: contact.id } });
  });
});
