import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactAdapters } from '#shared/contacts/runtime.ts';
import { createContact } from '#shared/contacts/use-cases.ts';
import { listEmails } from '#shared/emails/use-cases.ts';
import { NotFoundError } from '#shared/kernel/errors.ts';
import { newId } from '#shared/kernel/ids.ts';
import { callContext, systemClock } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { MAILBOX_SYNCED_EVENT } from '#shared/mailboxes/domain.ts';
import { mailboxKey } from '#shared/mailboxes/dynamodb.ts';
import { ImapRefusedError, imapConnector } from '#shared/mailboxes/imap.ts';
import {
  connectMailbox,
  deleteMailbox,
  listMailboxes,
  pollAllMailboxes,
  pollMailbox,
  type MailboxesDeps,
} from '#shared/mailboxes/use-cases.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { rejection } from '#test/helpers/fakes.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';
import { startDovecot, type Dovecot } from './dovecot.ts';
import { EventCapturingMailboxes, imapClient, mailboxTestDeps } from './setup.ts';

// Connected IMAP mailboxes against a real Dovecot on loopback and DynamoDB Local, through the
// use cases: the password sealed at rest, a poll logging new INBOX and Sent mail on the
// matching contact through the e-mail family's receiving, nothing logged twice (a second poll,
// a UIDVALIDITY change), and the first sync's "mailbox.synced" event once (known failure kind 8).

const PASSWORD = 'dovecot-pass-1';
let dovecot: Dovecot;
let table: Table;
let deps: MailboxesDeps;
let capturing: EventCapturingMailboxes;
/** The first-sync events saved since the last reset (capturing.events = []). */
const synced = () => capturing.ofType(MAILBOX_SYNCED_EVENT);
const ids = { rep1: newId(), rep2: newId() };
type Who = keyof typeof ids;
const principal = (who: Who): Principal => ({ user_id: ids[who], email: `${who}@example.com`, role: 'user', direct_reports: [] });
const call = (who: Who) => callContext(principal(who), 'test', systemClock, () => newId());
const system = () => ({ actor_id: 'system', correlation_id: newId(), now: new Date(), newId: () => newId() });

const imapAs = (user: string) => imapClient(dovecot, user, PASSWORD);

const eml = (headers: Record<string, string>, body = 'Bon dia') =>
  [...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), 'Content-Type: text/plain; charset=utf-8', '', body, ''].join(
    '\r\n',
  );

beforeAll(async () => {
  dovecot = await startDovecot([
    { username: 'rep1@mail.example', password: PASSWORD },
    { username: 'rep1b@mail.example', password: PASSWORD },
  ]);
  const { tableName } = await useTestTable();
  table = testTableClient(tableName);
  capturing = new EventCapturingMailboxes(table);
  deps = await mailboxTestDeps(table, ids, { mailboxes: capturing });
}, 60_000);
afterAll(async () => dovecot?.stop());

const connect = (who: Who, username: string, password = PASSWORD) =>
  connectMailbox(deps, call(who), { host: dovecot.host, port: dovecot.port, tls: false, username, password });
const stored = async (id: string) => (await deps.mailboxes.get(id))!;
const folderOf = async (who: Who, folder: 'inbox' | 'unverified' | 'sent') =>
  (await listEmails(deps.emails, call(who), { folder, limit: 100 })).items;

describe('connecting a mailbox', () => {
  it('keeps the password sealed (no plaintext in the item), lists only the caller’s, deletes only the caller’s', async () => {
    const mailbox = await connect('rep2', 'rep1b@mail.example', 'a-very-secret-password');
    expect(mailbox).not.toHaveProperty('password');
    expect(mailbox).not.toHaveProperty('sealed_password');
    const item = await table.get(mailboxKey(mailbox.id));
    expect(JSON.stringify(item)).not.toContain('a-very-secret-password');
    expect(String(item?.sealed_password)).toMatch(/^v1\./);
    expect((await listMailboxes(deps, call('rep2'))).map((m) => m.id)).toEqual([mailbox.id]);
    expect(await listMailboxes(deps, call('rep1'))).toEqual([]);
    expect(await rejection(deleteMailbox(deps, call('rep1'), mailbox.id))).toBeInstanceOf(NotFoundError);
    await deleteMailbox(deps, call('rep2'), mailbox.id);
    expect(await listMailboxes(deps, call('rep2'))).toEqual([]);
  });

  it('records a refused login as last_error and does not count it as the first sync', async () => {
    const mailbox = await connect('rep2', 'rep1b@mail.example', 'wrong-password');
    capturing.events = [];
    const outcome = await pollMailbox(deps, system(), await stored(mailbox.id));
    expect(outcome).toMatchObject({ outcome: 'failed', first_sync: false });
    expect(await stored(mailbox.id)).toMatchObject({ first_synced_at: null, last_error: expect.any(String) });
    expect(synced()).toEqual([]);
    await deleteMailbox(deps, call('rep2'), mailbox.id);
  });
});

describe('reaching a mailbox server', () => {
  const server = { port: 993, tls: true, username: 'u', password: 'p' };

  it('connects to public addresses only: loopback, the metadata service and private networks are refused before any login', async () => {
    for (const host of ['127.0.0.1', 'localhost', '169.254.169.254', '10.0.0.8', '::ffff:127.0.0.1']) {
      const error = await rejection(imapConnector().connect({ ...server, host }));
      expect(error, host).toBeInstanceOf(ImapRefusedError);
      expect((error as Error).message, host).toMatch(/not a public address/);
    }
  });

  it('never sends the password in clear: without implicit TLS it requires STARTTLS, which this Dovecot lacks', async () => {
    const loopbackOnly = imapConnector({
      testSeam: { policy: (address) => address === '127.0.0.1' || address === '::1', allowPlaintext: false },
    });
    const error = await rejection(
      loopbackOnly.connect({
        host: dovecot.host,
        port: dovecot.port,
        tls: false,
        username: 'rep1b@mail.example',
        password: PASSWORD,
      }),
    );
    expect(error).toBeInstanceOf(Error);
  });
});

describe('polling a mailbox (Dovecot on loopback)', () => {
  const unique = newId().toLowerCase();
  const anna = `anna.${unique}@cellers.example`;
  let mailboxId: string;
  let contactId: string;

  it('logs a message delivered to the INBOX on the matching contact after one poll, and Sent mail in Sent', async () => {
    contactId = (await createContact(contactAdapters(), call('rep1'), { last_name: 'Puig', email: anna })).id;
    const imap = await imapAs('rep1@mail.example');
    await imap.append(
      'INBOX',
      eml({
        From: `"Anna Puig" <${anna.toUpperCase()}>`,
        To: 'rep1@mail.example',
        Subject: 'Pressupost',
        'Message-ID': `<in-${unique}@cellers.example>`,
      }),
    );
    await imap.append(
      'Sent',
      eml({ From: 'rep1@mail.example', To: anna, Subject: 'Re: Pressupost', 'Message-ID': `<out-${unique}@mail.example>` }),
    );
    await imap.logout();
    mailboxId = (await connect('rep1', 'rep1@mail.example')).id;
    capturing.events = [];

    const outcome = await pollMailbox(deps, system(), await stored(mailboxId));
    expect(outcome).toMatchObject({ outcome: 'polled', logged: 2, logged_before: 0, first_sync: true });
    const inbox = await folderOf('rep1', 'inbox');
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({
      direction: 'inbound',
      subject: 'Pressupost',
      header_message_id: `<in-${unique}@cellers.example>`,
      records: [{ resource_type: 'contact', resource_id: contactId }],
    });
    const sent = await folderOf('rep1', 'sent');
    expect(sent.map((e) => [e.subject, e.direction, e.records])).toEqual([
      ['Re: Pressupost', 'outbound', [{ resource_type: 'contact', resource_id: contactId }]],
    ]);
    expect(synced()).toHaveLength(1);
    expect(synced()[0]!.data).toMatchObject({ owner_id: ids.rep1, logged: 2 });
    const after = await stored(mailboxId);
    expect(after.first_synced_at).not.toBeNull();
    expect(after.checkpoints.map((c) => [c.folder, c.last_uid]).sort()).toEqual([
      ['INBOX', 1],
      ['Sent', 1],
    ]);
  });

  it('a second poll logs nothing twice and sends no second "synced"; a new message is logged once', async () => {
    capturing.events = [];
    expect(await pollMailbox(deps, system(), await stored(mailboxId))).toMatchObject({
      logged: 0,
      logged_before: 0,
      first_sync: false,
    });
    const imap = await imapAs('rep1@mail.example');
    await imap.append(
      'INBOX',
      eml({ From: anna, To: 'rep1@mail.example', Subject: 'Una altra', 'Message-ID': `<in2-${unique}@cellers.example>` }),
    );
    await imap.logout();
    const [outcome] = await pollAllMailboxes(deps, system());
    expect(outcome).toMatchObject({ mailbox_id: mailboxId, logged: 1, logged_before: 0, first_sync: false });
    expect(await pollMailbox(deps, system(), await stored(mailboxId))).toMatchObject({ logged: 0, logged_before: 0 });
    expect((await folderOf('rep1', 'inbox')).map((e) => e.subject).sort()).toEqual(['Pressupost', 'Una altra']);
    expect(synced()).toEqual([]);
  });

  it('a UIDVALIDITY change (Sent deleted and recreated with the same mail) logs nothing twice and misses nothing new', async () => {
    const before = (await stored(mailboxId)).checkpoints.find((c) => c.folder === 'Sent')!;
    const imap = await imapAs('rep1@mail.example');
    await imap.mailboxDelete('Sent');
    await imap.mailboxCreate('Sent');
    await imap.append(
      'Sent',
      eml({ From: 'rep1@mail.example', To: anna, Subject: 'Re: Pressupost', 'Message-ID': `<out-${unique}@mail.example>` }),
    );
    await imap.append(
      'Sent',
      eml({ From: 'rep1@mail.example', To: anna, Subject: 'Nova', 'Message-ID': `<out2-${unique}@mail.example>` }),
    );
    const status = await imap.status('Sent', { uidValidity: true });
    if (!status) throw new Error('no STATUS for Sent');
    await imap.logout();
    expect(String(status.uidValidity)).not.toBe(before.uidvalidity);

    const outcome = await pollMailbox(deps, system(), await stored(mailboxId));
    expect(outcome).toMatchObject({ outcome: 'polled', logged: 1, logged_before: 1 });
    expect((await folderOf('rep1', 'sent')).map((e) => e.subject).sort()).toEqual(['Nova', 'Re: Pressupost']);
    expect((await stored(mailboxId)).checkpoints.find((c) => c.folder === 'Sent')).toEqual({
      folder: 'Sent',
      uidvalidity: String(status.uidValidity),
      last_uid: 2,
    });
    expect(await pollMailbox(deps, system(), await stored(mailboxId))).toMatchObject({ logged: 0, logged_before: 0 });
  });
});
