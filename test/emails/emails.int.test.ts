import { beforeAll, describe, expect, it } from 'vitest';
import { contactAdapters } from '#shared/contacts/runtime.ts';
import { createContact } from '#shared/contacts/use-cases.ts';
import type { Email } from '#shared/emails/domain.ts';
import { DynamoAddressBook, DynamoEmailRepository } from '#shared/emails/dynamodb.ts';
import { parseInbound } from '#shared/emails/inbound.ts';
import {
  addSender,
  applySesEvent,
  deleteEmail,
  forwardingAddressOf,
  getEmail,
  listEmails,
  receiveEmail,
  sendEmail,
  setArchived,
  type EmailsDeps,
} from '#shared/emails/use-cases.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { callContext, systemClock } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { leadAdapters } from '#shared/leads/runtime.ts';
import { createLead, getLead } from '#shared/leads/use-cases.ts';
import { getContact } from '#shared/contacts/use-cases.ts';
import { DynamoRecordOwners } from '#shared/platform/dynamodb/record-owners.ts';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import { makeUser, rejection } from '#test/helpers/fakes.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';

import { testTableClient, useTestTable } from '#test/helpers/table.ts';

// Users' mail against DynamoDB Local, through the use cases: matching leads and contacts by
// address (search index, case-insensitive), the suppression refusals, the SES events applied
// once per event id, folders, visibility, and add_sender on a received message written as the
// inbound path (issue 14 item 3) will write it.

let table: Table;
let deps: EmailsDeps;
let emails: CapturingEmails;
const suppressed = new Map<string, string>();

const ids = { admin: newId(), manager: newId(), rep1: newId(), rep2: newId() };
type Who = keyof typeof ids;
const principal = (who: Who): Principal => ({
  user_id: ids[who],
  email: `${who}@example.com`,
  role: who === 'admin' ? 'admin' : who === 'manager' ? 'manager' : 'user',
  direct_reports: who === 'manager' ? [ids.rep1, ids.rep2] : [],
});
const call = (who: Who) => callContext(principal(who), 'test', systemClock, () => newId());

class CapturingEmails extends DynamoEmailRepository {
  events: DomainEvent[] = [];
  override async create(email: Email, token: string | null, events: DomainEvent[]): Promise<void> {
    await super.create(email, token, events);
    this.events.push(...events);
  }
  override async update(before: Email, after: Email, events: DomainEvent[]): Promise<void> {
    await super.update(before, after, events);
    this.events.push(...events);
  }
  override async receive(email: Email, receipt: string, events: DomainEvent[]): Promise<boolean> {
    const logged = await super.receive(email, receipt, events);
    if (logged) this.events.push(...events);
    return logged;
  }
}

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName);
  emails = new CapturingEmails(table);
  const users = new DynamoUserRepository(table);
  for (const who of Object.keys(ids) as Who[]) {
    await users.create(makeUser(ids[who], { role: principal(who).role, email: `${who}@example.com` }), []);
  }
  deps = {
    emails,
    records: new DynamoRecordOwners(table),
    addressBook: new DynamoAddressBook(table),
    suppression: { reason: async (address) => suppressed.get(address) },
    mailboxes: {
      user: async (id) => {
        const who = (Object.keys(ids) as Who[]).find((w) => ids[w] === id);
        return who
          ? { id, name: `${who[0]!.toUpperCase()}${who.slice(1)} Person`, email: `${who}@example.com`, status: 'active' }
          : undefined;
      },
    },
    senderRecords: {
      createLead: async (c, input) => (await createLead(leadAdapters(), c, input)).id,
      createContact: async (c, input) => (await createContact(contactAdapters(), c, input)).id,
    },
    domains: { sending: 'example.com', inbound: 'in.example.com' },
    newToken: () => newId().toLowerCase(),
  };
});

const sent = (who: Who, input: Parameters<typeof sendEmail>[2]) => sendEmail(deps, call(who), input);

/** A received message in `who`'s mailbox, as the inbound path will write it. */
async function received(who: Who, from: { address: string; name: string | null }, folder: Email['folder'] = 'unverified') {
  const id = newId();
  const now = new Date().toISOString();
  const email: Email = {
    id,
    owner_id: ids[who],
    direction: 'inbound',
    folder,
    archived: false,
    from,
    to: [{ address: `${who}@example.com`, name: null }],
    cc: [],
    bcc: [],
    reply_to: null,
    subject: `From ${from.address}`,
    text: 'Hola',
    html: null,
    thread_id: id,
    message_id: `<${id}@mail.exemple.example>`,
    header_message_id: `<${id}@mail.exemple.example>`,
    provider_message_id: null,
    in_reply_to: null,
    references: [],
    records: [],
    status: 'received',
    opened_count: 0,
    first_opened_at: null,
    last_opened_at: null,
    click_count: 0,
    automated_count: 0,
    created_at: now,
    sent_at: null,
    updated_at: now,
    version: 1,
  };
  await new DynamoEmailRepository(table).create(email, null, []);
  return email;
}

const sesEvent = (id: string, email: Email, eventType: string, part: Record<string, unknown>) => ({
  id,
  time: '2026-12-01T10:00:00Z',
  detail: { eventType, mail: { messageId: 'ses-1', tags: { crm_message_id: [email.id] } }, ...part },
});

describe('sending', () => {
  it('logs the message on every lead and contact with a recipient address (any case) and on the linked record; files it in Sent; queues it', async () => {
    const unique = newId().toLowerCase();
    const lead = await createLead(leadAdapters(), call('rep1'), {
      last_name: 'Vila',
      email: `Marta.${unique}@Fusteria-Vila.example`,
    });
    const contact = await createContact(contactAdapters(), call('rep2'), {
      last_name: 'Vila',
      email: `marta.${unique}@fusteria-vila.EXAMPLE`,
    });
    const other = await createLead(leadAdapters(), call('rep1'), { last_name: 'Linked' });
    emails.events = [];
    const email = await sent('rep1', {
      to: [`marta.${unique}@fusteria-vila.example`],
      bcc: ['someone@else.example'],
      subject: 'Pressupost',
      text: 'Hola',
      resource_type: 'lead',
      resource_id: other.id,
    });
    expect(new Set(email.records.map((r) => `${r.resource_type}:${r.resource_id}`))).toEqual(
      new Set([`lead:${other.id}`, `lead:${lead.id}`, `contact:${contact.id}`]),
    );
    expect(email).toMatchObject({ folder: 'sent', status: 'queued', from: { address: 'rep1@example.com', name: 'Rep1 Person' } });
    expect(email.message_id).toBe(`<${email.id.toLowerCase()}@example.com>`);
    expect(email.reply_to).toMatch(/^reply\+[a-z0-9]+@in\.example\.com$/);
    expect(emails.events.map((e) => e.metadata.event_type).sort()).toEqual([
      'email.created',
      'email.logged',
      'email.logged',
      'email.logged',
      'mail.requested',
    ]);
    const request = emails.events.find((e) => e.metadata.event_type === 'mail.requested')!;
    expect(request.data).toMatchObject({ type: 'user_email', recipient_id: ids.rep1, ref: email.id });
    const page = await listEmails(deps, call('rep1'), { folder: 'sent', limit: 50 });
    expect(page.items.map((e) => e.id)).toContain(email.id);
    expect((await listEmails(deps, call('rep2'), { folder: 'sent', limit: 50 })).items.map((e) => e.id)).not.toContain(email.id);
  });

  it('refuses a recipient on the suppression list or marked bounced, naming the field; a linked record out of sight is not found', async () => {
    suppressed.set('listed@exemple.example', 'COMPLAINT');
    const error = await rejection(
      sent('rep1', { to: ['ok@exemple.example'], cc: ['x@exemple.example', 'Listed@Exemple.example'], subject: 's', text: 't' }),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('email.recipient_suppressed');
    expect((error as ValidationError).problems.map((p) => p.field)).toEqual(['body.cc[1]']);

    const first = await sent('rep1', { to: ['bouncy@exemple.example'], subject: 's', text: 't' });
    const bounce = { bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'Bouncy@exemple.example' }] } };
    expect(await applySesEvent(emails, sesEvent(newId(), first, 'Bounce', bounce))).toBe('applied');
    expect((await getEmail(deps, call('rep1'), first.id)).status).toBe('bounced');
    const again = await rejection(sent('rep2', { to: ['BOUNCY@exemple.example'], subject: 's', text: 't' }));
    expect((again as ValidationError).problems.map((p) => p.field)).toEqual(['body.to[0]']);

    const hidden = await createLead(leadAdapters(), call('rep2'), { last_name: 'Hidden' });
    expect(
      await rejection(
        sent('rep1', { to: ['a@exemple.example'], subject: 's', text: 't', resource_type: 'lead', resource_id: hidden.id }),
      ),
    ).toBeInstanceOf(NotFoundError);
  });
});

describe('SES events', () => {
  it('counts each open once per SES event id, keeps first and last open, counts clicks, and flags scanners', async () => {
    const email = await sent('rep1', { to: ['opens@exemple.example'], subject: 's', html: '<p>x</p>' });
    const open = (at: string, userAgent = 'Mozilla/5.0') => ({ open: { timestamp: at, userAgent } });
    const first = newId();
    expect(await applySesEvent(emails, sesEvent(first, email, 'Open', open('2026-12-01T10:05:00Z')))).toBe('applied');
    expect(await applySesEvent(emails, sesEvent(first, email, 'Open', open('2026-12-01T10:05:00Z')))).toBe('duplicate');
    await applySesEvent(emails, sesEvent(newId(), email, 'Open', open('2026-12-01T10:01:00Z')));
    await applySesEvent(
      emails,
      sesEvent(newId(), email, 'Open', open('2026-12-01T10:02:00Z', 'Mozilla/5.0 (compatible; Mimecast)')),
    );
    await applySesEvent(
      emails,
      sesEvent(newId(), email, 'Click', { click: { timestamp: '2026-12-01T10:06:00Z', link: 'https://x' } }),
    );
    const after = await getEmail(deps, call('rep1'), email.id);
    expect(after).toMatchObject({
      opened_count: 2,
      first_opened_at: '2026-12-01T10:01:00Z',
      last_opened_at: '2026-12-01T10:05:00Z',
      click_count: 1,
      automated_count: 1,
    });
  });

  it('applies concurrent events to one message without losing any', async () => {
    const email = await sent('rep1', { to: ['busy@exemple.example'], subject: 's', html: '<p>x</p>' });
    await Promise.all(
      Array.from({ length: 4 }, () =>
        applySesEvent(emails, sesEvent(newId(), email, 'Open', { open: { timestamp: '2026-12-01T10:00:00Z' } })),
      ),
    );
    expect((await getEmail(deps, call('rep1'), email.id)).opened_count).toBe(4);
  });
});

describe('folders and visibility', () => {
  it('lets the owner archive, unarchive and delete; a manager sees mail on a report’s record but files nothing; others see nothing', async () => {
    const contact = await createContact(contactAdapters(), call('rep1'), {
      last_name: 'Folders',
      email: `f-${newId().toLowerCase()}@exemple.example`,
    });
    const email = await sent('rep1', { to: [contact.email!], subject: 'Folders', text: 't' });
    expect((await getEmail(deps, call('manager'), email.id)).id).toBe(email.id);
    expect(await rejection(getEmail(deps, call('rep2'), email.id))).toBeInstanceOf(NotFoundError);
    expect(await rejection(setArchived(deps, call('manager'), email.id, true))).toBeInstanceOf(ForbiddenError);
    const archived = await setArchived(deps, call('rep1'), email.id, true);
    expect((await listEmails(deps, call('rep1'), { folder: 'archived', limit: 50 })).items.map((e) => e.id)).toContain(email.id);
    expect((await listEmails(deps, call('rep1'), { folder: 'sent', limit: 50 })).items.map((e) => e.id)).not.toContain(email.id);
    await setArchived(deps, call('rep1'), email.id, false, archived.version);
    expect((await listEmails(deps, call('rep1'), { folder: 'sent', limit: 50 })).items.map((e) => e.id)).toContain(email.id);
    await deleteEmail(deps, call('rep1'), email.id);
    expect(await rejection(getEmail(deps, call('rep1'), email.id))).toBeInstanceOf(NotFoundError);
  });
});

describe('add_sender', () => {
  it('creates a contact named from the header and moves every message from that address (any case) to the inbox, logged on it', async () => {
    const address = `nuria-${newId().toLowerCase()}@exemple.example`;
    const one = await received('rep1', { address, name: 'Núria Ferrer i Solà' });
    const two = await received('rep1', { address: address.toUpperCase(), name: null });
    const otherSender = await received('rep1', { address: 'other@exemple.example', name: 'Other' });
    const notMine = await received('rep2', { address, name: 'Núria' });
    expect((await listEmails(deps, call('rep1'), { folder: 'unverified', limit: 50 })).items.map((e) => e.id)).toEqual(
      expect.arrayContaining([one.id, two.id, otherSender.id]),
    );
    emails.events = [];
    const result = await addSender(deps, call('rep1'), one.id, { as: 'contact' });
    expect(result).toMatchObject({ resource_type: 'contact', refiled: 2 });
    const contact = await getContact(contactAdapters(), call('rep1'), result.resource_id);
    expect(contact).toMatchObject({ first_name: 'Núria Ferrer i', last_name: 'Solà', email: address, owner_id: ids.rep1 });
    const inbox = (await listEmails(deps, call('rep1'), { folder: 'inbox', limit: 50 })).items;
    expect(inbox.map((e) => e.id)).toEqual(expect.arrayContaining([one.id, two.id]));
    expect(inbox.find((e) => e.id === one.id)!.records).toEqual([{ resource_type: 'contact', resource_id: result.resource_id }]);
    const unverified = (await listEmails(deps, call('rep1'), { folder: 'unverified', limit: 50 })).items.map((e) => e.id);
    expect(unverified).toContain(otherSender.id);
    expect(unverified).not.toContain(one.id);
    expect(emails.events.filter((e) => e.metadata.event_type === 'email.logged')).toHaveLength(2);
    // rep2's mailbox is rep2's: nothing of it moved.
    expect((await getEmail(deps, call('rep2'), notMine.id)).folder).toBe('unverified');
  });

  it('creates a lead, refuses a sent message (422) and another user’s message (404)', async () => {
    const email = await received('rep1', { address: `lead-${newId().toLowerCase()}@exemple.example`, name: 'Pere Roca' });
    expect(await rejection(addSender(deps, call('rep2'), email.id, { as: 'lead' }))).toBeInstanceOf(NotFoundError);
    const result = await addSender(deps, call('rep1'), email.id, { as: 'lead' });
    expect(await getLead(leadAdapters(), call('rep1'), result.resource_id)).toMatchObject({
      first_name: 'Pere',
      last_name: 'Roca',
    });
    const own = await sent('rep1', { to: ['x@exemple.example'], subject: 's', text: 't' });
    const refused = await rejection(addSender(deps, call('rep1'), own.id, { as: 'lead' }));
    expect((refused as ValidationError).code).toBe('email.not_inbound');
  });
});

/** A received message's bytes (CRLF lines), headers as given. */
const eml = (headers: Record<string, string>, body = 'Hola, gràcies.') =>
  Buffer.from(
    [
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      body,
      '',
    ].join('\r\n'),
  );
const system = () => ({ actor_id: 'system', correlation_id: newId(), now: new Date(), newId: () => newId() });
const receive = async (raw: Buffer) => receiveEmail(deps, system(), await parseInbound(raw));
const folderIds = async (who: Who, folder: 'inbox' | 'unverified' | 'sent') =>
  (await listEmails(deps, call(who), { folder, limit: 100 })).items.map((e) => e.id);

describe('receiving (SES inbound, a local .eml)', () => {
  it('logs a reply to a Reply-To token in the sender’s inbox, threaded, on the contact (any case); a redelivery logs nothing', async () => {
    const unique = newId().toLowerCase();
    const contact = await createContact(contactAdapters(), call('rep1'), {
      last_name: 'Puig',
      email: `Anna.${unique}@Cellers.example`,
    });
    const original = await sent('rep1', { to: [`anna.${unique}@cellers.example`], subject: 'Pressupost', text: 'Bon dia' });
    const reply = eml({
      From: `"Anna Puig" <ANNA.${unique}@cellers.example>`,
      To: original.reply_to!,
      Subject: 'Re: Pressupost',
      'Message-ID': `<reply-${unique}@cellers.example>`,
      // A client that dropped References: the token alone threads it.
      'In-Reply-To': '<unknown@elsewhere.example>',
    });
    emails.events = [];
    const [outcome, ...more] = await receive(reply);
    expect(more).toEqual([]);
    expect(outcome).toMatchObject({ owner_id: ids.rep1, folder: 'inbox', outcome: 'logged' });
    const logged = await getEmail(deps, call('rep1'), outcome!.email_id);
    expect(logged).toMatchObject({
      direction: 'inbound',
      status: 'received',
      thread_id: original.thread_id,
      subject: 'Re: Pressupost',
      message_id: `<reply-${unique}@cellers.example>`,
      header_message_id: `<reply-${unique}@cellers.example>`,
      records: [{ resource_type: 'contact', resource_id: contact.id }],
      from: { name: 'Anna Puig' },
    });
    expect(logged.text).toContain('Hola, gràcies.');
    expect(emails.events.map((e) => e.metadata.event_type).sort()).toEqual(['email.created', 'email.logged']);
    expect(emails.events[0]!.metadata.actor_id).toBe('system');
    expect(await folderIds('rep1', 'inbox')).toContain(logged.id);

    // SES redelivers (the same S3 object, or the message stored twice): nothing new.
    emails.events = [];
    expect(await receive(reply)).toEqual([expect.objectContaining({ outcome: 'logged_before' })]);
    expect(emails.events).toEqual([]);
    const inbox = await folderIds('rep1', 'inbox');
    expect(inbox.filter((id) => id === logged.id)).toHaveLength(1);
    expect(
      (await listEmails(deps, call('rep1'), { folder: 'inbox', limit: 100 })).items.filter(
        (e) => e.subject === 'Re: Pressupost' && e.thread_id === original.thread_id,
      ),
    ).toHaveLength(1);
  });

  it('threads mail to the forwarding address by References (our Message-ID, which SES leaves alone); unknown senders go to unverified', async () => {
    const { address } = await forwardingAddressOf(deps, call('rep1'));
    expect(address).toMatch(/^log\+[a-z0-9]+@in\.example\.com$/);
    expect(await forwardingAddressOf(deps, call('rep1'))).toEqual({ address });
    expect((await forwardingAddressOf(deps, call('rep2'))).address).not.toBe(address);
    const unique = newId().toLowerCase();
    const original = await sent('rep1', { to: [`someone.${unique}@exemple.example`], subject: 'Hola', text: 'Hola' });
    // Forwarded by the user's own mailbox: the forwarding address shows only in the envelope.
    const [outcome] = await receive(
      eml({
        From: `Someone <someone.${unique}@exemple.example>`,
        To: 'rep1@example.com',
        'Delivered-To': address,
        Subject: 'Re: Hola',
        'Message-ID': `<fwd-${unique}@exemple.example>`,
        References: `${original.message_id} <ses-id@eu-west-1.amazonses.com>`,
      }),
    );
    expect(outcome).toMatchObject({ owner_id: ids.rep1, folder: 'unverified', outcome: 'logged' });
    const logged = await getEmail(deps, call('rep1'), outcome!.email_id);
    expect(logged).toMatchObject({ thread_id: original.thread_id, records: [] });
    expect(await folderIds('rep1', 'unverified')).toContain(logged.id);
    // rep2's mailbox got nothing.
    expect(await folderIds('rep2', 'unverified')).not.toContain(logged.id);

    // "Add as contact" moves it to the inbox.
    await addSender(deps, call('rep1'), logged.id, { as: 'contact' });
    expect(await folderIds('rep1', 'inbox')).toContain(logged.id);
    expect(await folderIds('rep1', 'unverified')).not.toContain(logged.id);
  });

  it('files mail the user sent from their own client and Bcc’d to the CRM in Sent, logged on its recipients', async () => {
    const { address } = await forwardingAddressOf(deps, call('rep2'));
    const unique = newId().toLowerCase();
    const lead = await createLead(leadAdapters(), call('rep2'), { last_name: 'Roca', email: `pere.${unique}@roca.example` });
    const [outcome] = await receive(
      eml({
        From: 'Rep2 Person <REP2@example.com>',
        To: `Pere <pere.${unique}@roca.example>`,
        Received: `from mail.example.com by inbound-smtp.eu-west-1.amazonaws.com with SMTP id x for ${address}; Tue, 01 Dec 2026 10:00:00 +0000`,
        Subject: 'Proposta',
      }),
    );
    expect(outcome).toMatchObject({ owner_id: ids.rep2, folder: 'sent', outcome: 'logged' });
    const logged = await getEmail(deps, call('rep2'), outcome!.email_id);
    expect(logged).toMatchObject({
      direction: 'outbound',
      status: 'sent',
      records: [{ resource_type: 'lead', resource_id: lead.id }],
    });
    // No Message-ID: the digest identifies it, so a redelivery is still recognised.
    expect(logged.header_message_id).toBeNull();
    expect(
      await receive(
        eml({
          From: 'Rep2 Person <REP2@example.com>',
          To: `Pere <pere.${unique}@roca.example>`,
          Received: `from mail.example.com by inbound-smtp.eu-west-1.amazonaws.com with SMTP id x for ${address}; Tue, 01 Dec 2026 10:00:00 +0000`,
          Subject: 'Proposta',
        }),
      ),
    ).toEqual([expect.objectContaining({ outcome: 'logged_before' })]);
  });

  it('logs nothing SES found a virus or spam in, or whose From domain failed DMARC; other verdicts are logged', async () => {
    const unique = newId().toLowerCase();
    await createContact(contactAdapters(), call('rep1'), { last_name: 'Vidal', email: `marc.${unique}@vinyes.example` });
    const original = await sent('rep1', { to: [`marc.${unique}@vinyes.example`], subject: 'Visita', text: 'Dijous?' });
    const reply = (n: number, verdicts: Record<string, string>) =>
      eml({
        ...verdicts,
        From: `marc.${unique}@vinyes.example`,
        To: original.reply_to!,
        Subject: 'Re: Visita',
        'Message-ID': `<v${n}-${unique}@vinyes.example>`,
      });
    const ses = (dmarc: string) =>
      `amazonses.com; spf=pass smtp.mailfrom=vinyes.example; dmarc=${dmarc} header.from=vinyes.example`;
    const outcomeOf = async (raw: Buffer) => (await receive(raw)).map((o) => o.outcome);
    emails.events = [];
    expect(await outcomeOf(reply(1, { 'X-SES-Virus-Verdict': 'FAIL', 'X-SES-Spam-Verdict': 'PASS' }))).toEqual(['virus']);
    expect(await outcomeOf(reply(2, { 'X-SES-Spam-Verdict': 'FAIL', 'X-SES-Virus-Verdict': 'PASS' }))).toEqual(['spam']);
    expect(await outcomeOf(reply(3, { 'Authentication-Results': ses('fail') }))).toEqual(['spoofed_sender']);
    expect(emails.events).toEqual([]);
    // Only the topmost (SES's own) header counts: a sender's forged PASS below it changes nothing,
    // and a forged Authentication-Results of another server is not SES's.
    const forged = Buffer.concat([Buffer.from('X-SES-Virus-Verdict: FAIL\r\n'), reply(4, { 'X-SES-Virus-Verdict': 'PASS' })]);
    expect(await outcomeOf(forged)).toEqual(['virus']);
    expect(await outcomeOf(reply(5, { 'Authentication-Results': 'mx.attacker.example; dmarc=fail' }))).toEqual(['logged']);
    expect(
      await outcomeOf(
        reply(6, { 'X-SES-Spam-Verdict': 'GRAY', 'X-SES-Virus-Verdict': 'PASS', 'Authentication-Results': ses('none') }),
      ),
    ).toEqual(['logged']);
  });

  it('logs nothing for an unknown token or an address outside the inbound domain', async () => {
    expect(
      await receive(eml({ From: 'x@exemple.example', To: 'reply+zzzz@in.example.com, log+zzzz@in.example.com', Subject: 'x' })),
    ).toEqual([]);
    expect(await receive(eml({ From: 'x@exemple.example', To: 'rep1@example.com', Subject: 'x' }))).toEqual([]);
  });
});
