import { ConnectClient } from '@aws-sdk/client-connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiveConnectContactEvent, type ConnectDeps } from '#shared/calls/connect.ts';
import { configuredAgents, SdkConnectContacts } from '#shared/calls/connect-client.ts';
import { connectContactEventSchema } from '#shared/calls/domain.ts';
import { DynamoCallRepository, DynamoPhoneIndex, DynamoTextMessageRepository } from '#shared/calls/dynamodb.ts';
import { DynamoContactRepository } from '#shared/contacts/dynamodb.ts';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import {
  localConnectInstanceArn,
  LOCAL_CONNECT_INSTANCE_ID,
  startLocalConnect,
  type LocalConnect,
} from '#infra/local/connect.ts';
import { makeContact } from '#test/contacts/fakes.ts';
import { makeUser } from '#test/helpers/fakes.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';
import { describedContact, disconnectedEvent } from './connect-samples.ts';

// Amazon Connect's contact events against DynamoDB Local and the local Connect stand-in, through
// the real SDK client: a DISCONNECTED voice contact is described once and logged once per
// ContactId, however often (and however concurrently) the event is delivered; the agent's CRM
// user (config connect.agents) is the call's user; events of other contacts log nothing.

const INSTANCE_ARN = localConnectInstanceArn({ accountId: '000000000000', region: 'eu-west-1' });
let table: Table;
let connect: LocalConnect;
let client: ConnectClient;
let deps: ConnectDeps;
const events: DomainEvent[] = [];
const owner = makeUser(newId());
const agentUser = makeUser(newId());
const AGENT = 'a1b2c3d4-5678-90ab-cdef-000000000001';
const UNMAPPED_AGENT = 'a1b2c3d4-5678-90ab-cdef-000000000002';
let seq = 200;
const freshNumber = () => `+1415555${String(seq++).padStart(4, '0')}`;
const ctx = () => ({ correlation_id: 'c', now: new Date(), newId: () => newId() });
const eventOf = (contactId: string, instanceArn = INSTANCE_ARN) =>
  connectContactEventSchema.parse(disconnectedEvent(instanceArn, contactId));

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName);
  const users = new DynamoUserRepository(table);
  for (const u of [owner, agentUser]) await users.create(u, []);
  connect = await startLocalConnect();
  client = new ConnectClient({
    endpoint: connect.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const calls = new DynamoCallRepository(table);
  const capture = Object.assign(Object.create(calls) as DynamoCallRepository, {
    create: async (r: Parameters<DynamoCallRepository['create']>[0], e: DomainEvent[]) => {
      await calls.create(r, e);
      events.push(...e);
    },
  });
  deps = {
    calls: capture,
    texts: new DynamoTextMessageRepository(table),
    phones: new DynamoPhoneIndex(table),
    contacts: new SdkConnectContacts(client),
    agents: configuredAgents({ [AGENT]: agentUser.email }, (email) => users.findIdByEmail(email)),
    instanceId: LOCAL_CONNECT_INSTANCE_ID,
  };
});

afterAll(async () => {
  client?.destroy();
  await connect?.stop();
});

async function contactWith(phone: string) {
  const contact = makeContact(newId(), { owner_id: owner.id, source_id: null, contact_id: null, phone, mobile: null });
  await new DynamoContactRepository(table).create(contact, { owner_id: owner.id, source_id: null, contact_id: null }, []);
  return contact;
}

const describes = (contactId: string) => connect.requests.filter((r) => r.contactId === contactId).length;
const createdOf = (callId: string) =>
  events.filter((e) => e.metadata.resource_id === callId && e.metadata.event_type === 'call.created');

describe('Amazon Connect contact events', () => {
  it("logs a finished call on the number's contact, its agent's user as the call's user, once however often it is delivered", async () => {
    const number = freshNumber();
    const contact = await contactWith(number.replace('+1415', '+1 (415) '));
    const contactId = newId();
    connect.seed(
      LOCAL_CONNECT_INSTANCE_ID,
      contactId,
      describedContact({ instanceArn: INSTANCE_ARN, contactId, customerNumber: number, agentId: AGENT, seconds: 95 }),
    );
    const first = await receiveConnectContactEvent(deps, ctx(), eventOf(contactId));
    expect(first).toMatchObject({ outcome: 'logged', kind: 'call', created: true, matched: true });
    const again = await receiveConnectContactEvent(deps, ctx(), eventOf(contactId));
    expect(again).toEqual({ ...first, created: false });
    // The redelivery found the claim: no second DescribeContact.
    expect(describes(contactId)).toBe(1);
    const id = (first as { id: string }).id;
    expect(await deps.calls.get(id)).toMatchObject({
      user_id: agentUser.id,
      phone_number: number,
      duration: 95,
      incoming: true,
      missed: false,
      resource_type: 'contact',
      resource_id: contact.id,
      external_id: contactId,
      source: 'connect',
      made_at: '2025-12-01T10:00:00.000Z',
    });
    expect(createdOf(id)).toHaveLength(1);
    expect(createdOf(id)[0]!.metadata.actor_id).toBe('voice:connect');
  });

  it('logs one call when the same event arrives twice at once (the claim is a conditional write)', async () => {
    const number = freshNumber();
    await contactWith(number);
    const contactId = newId();
    connect.seed(
      LOCAL_CONNECT_INSTANCE_ID,
      contactId,
      describedContact({ instanceArn: INSTANCE_ARN, contactId, customerNumber: number, agentId: UNMAPPED_AGENT }),
    );
    const results = await Promise.all([1, 2, 3].map(() => receiveConnectContactEvent(deps, ctx(), eventOf(contactId))));
    const ids = new Set(results.map((r) => (r as { id: string }).id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.outcome === 'logged' && r.created)).toHaveLength(1);
    const [id] = [...ids];
    expect(createdOf(id!)).toHaveLength(1);
    // An agent nobody mapped: the contact's owner is the call's user.
    expect((await deps.calls.get(id!))?.user_id).toBe(owner.id);
  });

  it("keeps a call from an unknown number with its agent's user, outbound and missed as Connect tells", async () => {
    const contactId = newId();
    connect.seed(
      LOCAL_CONNECT_INSTANCE_ID,
      contactId,
      describedContact({ instanceArn: INSTANCE_ARN, contactId, customerNumber: freshNumber(), initiationMethod: 'OUTBOUND' }),
    );
    const logged = await receiveConnectContactEvent(deps, ctx(), eventOf(contactId));
    expect(logged).toMatchObject({ outcome: 'logged', created: true, matched: false });
    expect(await deps.calls.get((logged as { id: string }).id)).toMatchObject({
      user_id: null,
      incoming: false,
      missed: true,
      resource_id: null,
    });
  });

  it("logs nothing for another instance's contact, a contact Connect does not know, or an event before the disconnect", async () => {
    const contactId = newId();
    const other = INSTANCE_ARN.replace(LOCAL_CONNECT_INSTANCE_ID, '99999999-9999-4999-8999-999999999999');
    expect(await receiveConnectContactEvent(deps, ctx(), eventOf(contactId, other))).toEqual({
      outcome: 'ignored',
      reason: 'other_instance',
    });
    expect(await receiveConnectContactEvent(deps, ctx(), eventOf(contactId))).toEqual({
      outcome: 'ignored',
      reason: 'unknown_contact',
    });
    const queued = connectContactEventSchema.parse(disconnectedEvent(INSTANCE_ARN, contactId, 'QUEUED'));
    expect(await receiveConnectContactEvent(deps, ctx(), queued)).toEqual({ outcome: 'ignored', reason: 'not_a_finished_call' });
    expect(await deps.calls.byExternalId('connect', contactId)).toBeUndefined();
  });
});
