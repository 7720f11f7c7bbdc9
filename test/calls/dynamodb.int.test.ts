import { beforeAll, describe, expect, it } from 'vitest';
import { phoneIndexBackfillStep } from '#shared/calls/backfill.ts';
import { DynamoCallRepository, DynamoPhoneIndex, DynamoTextMessageRepository, phoneIndex } from '#shared/calls/dynamodb.ts';
import {
  createCall,
  deleteCall,
  getCall,
  listCalls,
  listTextMessages,
  logProviderActivity,
  updateCall,
  type CallsDeps,
  type ProviderDeps,
} from '#shared/calls/use-cases.ts';
import { receiveTwilioWebhook } from '#shared/calls/webhook.ts';
import { twilioSignature } from '#shared/calls/domain.ts';
import { DynamoContactRepository } from '#shared/contacts/dynamodb.ts';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import { DynamoLeadRepository } from '#shared/leads/dynamodb.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { callContext, systemClock, type Call } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { DynamoRecordOwners } from '#shared/platform/dynamodb/record-owners.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { makeContact, makeLead } from '#test/contacts/fakes.ts';
import { makeUser, rejection } from '#test/helpers/fakes.ts';
import { CountingMeter, testTableClient, useTestTable } from '#test/helpers/table.ts';

// Calls, texts and the phone index against DynamoDB Local: lead and contact writes keep the
// index in step in their own transactions, a number finds its records in one Query, a
// provider's call lands on the right contact (or unmatched) once however often it is
// delivered, and calls follow their record's visibility.

let table: Table;
const meter = new CountingMeter();
let deps: CallsDeps;
let provider: ProviderDeps;
let leads: DynamoLeadRepository;
let contacts: DynamoContactRepository;
const admin = makeUser(newId(), { role: 'admin' });
const repA = makeUser(newId());
const repB = makeUser(newId());
const principal = (u: typeof repA): Principal => ({ user_id: u.id, email: u.email, role: u.role, direct_reports: [] });
const as = (u: typeof repA): Call => callContext(principal(u), 'test', systemClock, () => newId());
const events: DomainEvent[] = [];

/** A fresh number per test: tests share the table. */
let seq = 100;
const freshNumber = () => `+1415555${String(seq++).padStart(4, '0')}`;

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName, meter);
  const users = new DynamoUserRepository(table);
  for (const u of [admin, repA, repB]) await users.create(u, []);
  leads = new DynamoLeadRepository(table);
  contacts = new DynamoContactRepository(table);
  const calls = new DynamoCallRepository(table);
  const texts = new DynamoTextMessageRepository(table);
  const capture = <T extends { create: (r: never, e: DomainEvent[]) => Promise<void> }>(repo: T): T =>
    Object.assign(Object.create(repo) as T, {
      create: async (r: never, e: DomainEvent[]) => {
        await repo.create(r, e);
        events.push(...e);
      },
    });
  deps = {
    calls: capture(calls),
    texts: capture(texts),
    records: new DynamoRecordOwners(table),
    outcomes: { exists: async () => true },
  };
  provider = { calls: deps.calls, texts: deps.texts, phones: new DynamoPhoneIndex(table) };
});

async function contactWith(owner: typeof repA, fields: { phone?: string | null; mobile?: string | null }) {
  const contact = makeContact(newId(), { owner_id: owner.id, source_id: null, contact_id: null, ...fields });
  await contacts.create(contact, { owner_id: owner.id, source_id: null, contact_id: null }, []);
  return contact;
}

async function leadWith(owner: typeof repA, fields: { phone?: string | null; mobile?: string | null }) {
  const lead = makeLead(newId(), { owner_id: owner.id, source_id: null, ...fields });
  await leads.create(lead, { owner_id: owner.id, source_id: null, unqualified_reason_id: null }, []);
  return lead;
}

const matches = (n: string) => provider.phones.match(n).then((m) => m.map((x) => `${x.resource_type}:${x.resource_id}`));

describe('the phone index', () => {
  it('finds the leads and contacts of a number, contacts first, whatever way it was typed', async () => {
    const n = freshNumber();
    const lead = await leadWith(repA, { phone: null, mobile: n.replace('+1415', '+1 (415) ') });
    const contact = await contactWith(repB, { phone: n, mobile: null });
    expect(await matches(n)).toEqual([`contact:${contact.id}`, `lead:${lead.id}`]);
  });

  it('follows updates (a number changed, the owner changed) and deletes', async () => {
    const [n1, n2] = [freshNumber(), freshNumber()];
    const contact = await contactWith(repA, { phone: n1, mobile: null });
    const after = { ...contact, phone: n2, owner_id: repB.id, version: 2 };
    await contacts.update(contact, after, { owner_id: repB.id, source_id: null, contact_id: null }, []);
    expect(await matches(n1)).toEqual([]);
    expect(await provider.phones.match(n2)).toEqual([{ resource_type: 'contact', resource_id: contact.id, owner_id: repB.id }]);
    await contacts.delete(after, []);
    expect(await matches(n2)).toEqual([]);
  });

  it('backfills records written before the index (and running again changes nothing)', async () => {
    const n = freshNumber();
    const lead = await leadWith(repA, { phone: n });
    // As before the index: drop the lead's phone item.
    await table.write([{ type: 'remove', key: { pk: `lead#${lead.id}`, sk: `phone#${n}` } }]);
    expect(await matches(n)).toEqual([]);
    for (let round = 0; round < 2; round++) {
      let checkpoint: string | null = null;
      do checkpoint = await phoneIndexBackfillStep(table, checkpoint);
      while (checkpoint !== null);
      expect(await matches(n)).toEqual([`lead:${lead.id}`]);
    }
    expect(phoneIndex.byNumber(n).pk).toBe(`phone#${n}`);
  });
});

describe('calls from a voice provider', () => {
  const ctx = () => ({ actor_id: 'voice:twilio', correlation_id: 'c', now: new Date(), newId: () => newId() });
  const call = (external_id: string, phone_number: string) => ({
    kind: 'call' as const,
    external_id,
    phone_number,
    incoming: true,
    missed: false,
    duration: 42,
    recording_url: null,
    made_at: new Date().toISOString(),
  });

  it('logs a matched call on the contact with its owner as user, once however often it is delivered', async () => {
    const n = freshNumber();
    const contact = await contactWith(repA, { phone: n });
    const sid = `CA${newId()}`;
    const first = await logProviderActivity(provider, ctx(), 'twilio', call(sid, n));
    const again = await logProviderActivity(provider, ctx(), 'twilio', call(sid, n));
    expect(first).toMatchObject({ kind: 'call', created: true, matched: true });
    expect(again).toEqual({ ...first, created: false });
    const logged = await getCall(deps, as(repA), first.id);
    expect(logged).toMatchObject({ user_id: repA.id, resource_type: 'contact', resource_id: contact.id, source: 'twilio' });
    expect(events.filter((e) => e.metadata.resource_id === first.id).map((e) => e.metadata.event_type)).toEqual(['call.created']);
    // repB sees neither the contact nor the call.
    expect(await rejection(getCall(deps, as(repB), first.id))).toBeInstanceOf(NotFoundError);
  });

  it('keeps an unmatched call for an admin, who links it; the record owner then becomes its user', async () => {
    const unknown = freshNumber();
    const logged = await logProviderActivity(provider, ctx(), 'twilio', call(`CA${newId()}`, unknown));
    expect(logged.matched).toBe(false);
    expect(await rejection(getCall(deps, as(repA), logged.id))).toBeInstanceOf(NotFoundError);
    const unmatched = await listCalls(deps, as(admin), { limit: 100, unmatched: true });
    expect(unmatched.items.map((c) => c.id)).toContain(logged.id);
    const contact = await contactWith(repB, { phone: null });
    const linked = await updateCall(deps, as(admin), logged.id, { resource_type: 'contact', resource_id: contact.id });
    expect(linked).toMatchObject({ user_id: repB.id, resource_id: contact.id, version: 2 });
    expect((await listCalls(deps, as(repB), { limit: 10, contact_id: contact.id })).items.map((c) => c.id)).toEqual([logged.id]);
  });

  it('verifies the Twilio signature before reading or writing anything', async () => {
    const n = freshNumber();
    await contactWith(repA, { phone: n });
    const params = { CallSid: `CA${newId()}`, CallStatus: 'completed', From: n, To: '+18005551212', CallDuration: '5' };
    const url = 'https://crm.example.com/webhooks/twilio';
    const body = new URLSearchParams(params).toString();
    const webhook = { ...provider, authToken: async () => 'token-1' };
    const bad = await rejection(
      receiveTwilioWebhook(webhook, ctx(), { url, body, signature: twilioSignature('token-2', url, params) }),
    );
    expect(bad).toBeInstanceOf(ForbiddenError);
    expect(await deps.calls.byExternalId('twilio', params.CallSid)).toBeUndefined();
    const good = await receiveTwilioWebhook(webhook, ctx(), { url, body, signature: twilioSignature('token-1', url, params) });
    expect(good).toMatchObject({ created: true, matched: true });
  });

  it('logs an incoming text on its lead', async () => {
    const n = freshNumber();
    const lead = await leadWith(repA, { phone: n });
    const text = await logProviderActivity(provider, ctx(), 'twilio', {
      kind: 'text',
      external_id: `SM${newId()}`,
      phone_number: n,
      incoming: true,
      content: 'Call me back',
      sent_at: new Date().toISOString(),
    });
    const page = await listTextMessages(deps, as(repA), { limit: 10, resource_type: 'lead', resource_id: lead.id });
    expect(page.items.map((t) => [t.id, t.content, t.user_id])).toEqual([[text.id, 'Call me back', repA.id]]);
  });
});

describe('calls logged by hand', () => {
  it("links to a visible record, lists newest made_at first, and refuses another rep's records", async () => {
    const contact = await contactWith(repA, { phone: null });
    const hidden = await contactWith(repB, { phone: null });
    const base = { phone_number: '+14155550100', incoming: false };
    expect(
      await rejection(createCall(deps, as(repA), { ...base, resource_type: 'contact', resource_id: hidden.id })),
    ).toBeInstanceOf(NotFoundError);
    expect(await rejection(createCall(deps, as(repA), { ...base, resource_type: 'contact' }))).toBeInstanceOf(ValidationError);
    const made = await createCall(deps, as(repA), { ...base, resource_type: 'contact', resource_id: contact.id });
    expect(made).toMatchObject({ user_id: repA.id, phone_number: '+14155550100', duration: 0, source: 'manual' });
    expect(await rejection(updateCall(deps, as(repB), made.id, { summary: 'x' }))).toBeInstanceOf(NotFoundError);
    const later = await createCall(deps, as(repA), {
      ...base,
      made_at: new Date(Date.now() + 60_000).toISOString(),
      resource_type: 'contact',
      resource_id: contact.id,
    });
    expect((await listCalls(deps, as(admin), { limit: 10, contact_id: contact.id })).items.map((c) => c.id)).toEqual([
      later.id,
      made.id,
    ]);
    await deleteCall(deps, as(repA), later.id);
    expect((await listCalls(deps, as(repA), { limit: 10, contact_id: contact.id })).items.map((c) => c.id)).toEqual([made.id]);
  });
});
