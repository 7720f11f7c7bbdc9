import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactAdapters } from '#shared/contacts/runtime.ts';
import { createContact } from '#shared/contacts/use-cases.ts';
import { EMAIL_SENT_EVENT } from '#shared/emails/domain.ts';
import { parseInbound } from '#shared/emails/inbound.ts';
import { UserEmailJob } from '#shared/emails/mail-job.ts';
import { listEmails, sendEmail } from '#shared/emails/use-cases.ts';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { callContext, systemClock } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { SendPacer, type MailRequest } from '#shared/mail/domain.ts';
import type { OutgoingMail } from '#shared/mail/domain.ts';
import { sendRequestedMail, type MailSenderDeps } from '#shared/mail/use-cases.ts';
import { connectMailbox, fileSentCopy, pollMailbox, type MailboxesDeps } from '#shared/mailboxes/use-cases.ts';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { CursorCodec } from '#shared/platform/dynamodb/cursor.ts';
import { Table, type WriteOp } from '#shared/platform/dynamodb/table.ts';
import { TEST_CURSOR_SECRET, useTestTable } from '#test/helpers/table.ts';
import { startDovecot, type Dovecot } from './dovecot.ts';
import { imapClient, mailboxTestDeps } from './setup.ts';

// Mail sent from the CRM filed in the sender's own Sent folder (issue 14 item 4), against a
// real Dovecot on loopback and DynamoDB Local: POST /emails's use case, the mail-sender's
// user_email job (SES stand-in transport) writing email.sent, then the consumer's use case,
// delivered twice. The copy is in Sent once, \Seen, with our own Message-ID, and the next
// poll of Sent logs nothing again.

const PASSWORD = 'dovecot-pass-2';
const REGION = 'eu-west-1';
let dovecot: Dovecot;
let table: EventsTable;
let deps: MailboxesDeps;
const ids = { rep1: newId(), rep2: newId() };
type Who = keyof typeof ids;
const principal = (who: Who): Principal => ({ user_id: ids[who], email: `${who}@example.com`, role: 'user', direct_reports: [] });
const call = (who: Who) => callContext(principal(who), 'test', systemClock, () => newId());
const system = () => ({ actor_id: 'system', correlation_id: newId(), now: new Date(), newId: () => newId() });

/** The table, keeping the events every write carried (the outbox items it wrote). */
class EventsTable extends Table {
  events: DomainEvent[] = [];
  override async write(ops: WriteOp[], events: DomainEvent[] = []): Promise<void> {
    await super.write(ops, events);
    this.events.push(...events);
  }
}

const imapAs = (user: string) => imapClient(dovecot, user, PASSWORD);

/** The Sent folder's messages carrying this Message-ID: their flags and parsed source. */
async function inSent(user: string, messageId: string) {
  const imap = await imapAs(user);
  try {
    const lock = await imap.getMailboxLock('Sent', { readOnly: true });
    try {
      const uids = (await imap.search({ header: { 'Message-ID': messageId } }, { uid: true })) || [];
      const found = [];
      for (const uid of uids) {
        const m = await imap.fetchOne(String(uid), { source: true, flags: true }, { uid: true });
        if (m && m.source)
          found.push({ flags: [...(m.flags ?? [])], source: m.source.toString(), parsed: await parseInbound(m.source) });
      }
      return found;
    } finally {
      lock.release();
    }
  } finally {
    await imap.logout();
  }
}

beforeAll(async () => {
  dovecot = await startDovecot([
    { username: 'rep1@mail.example', password: PASSWORD },
    { username: 'rep2@mail.example', password: PASSWORD },
  ]);
  const { tableName } = await useTestTable();
  table = new EventsTable({ client: dynamoDocumentClient(), name: tableName, cursors: new CursorCodec(TEST_CURSOR_SECRET) });
  deps = await mailboxTestDeps(table, ids);
}, 60_000);
afterAll(async () => dovecot?.stop());

/** The mail-sender as deployed but for SES: the user_email job on the table, SES a stand-in that takes every mail. */
function mailSender(sent: OutgoingMail[]): MailSenderDeps {
  const users = new DynamoUserRepository(table);
  const job = new UserEmailJob(table, REGION, { user: (id) => users.get(id) });
  return {
    transport: {
      maxSendRate: async () => 1000,
      suppression: async () => undefined,
      send: async (mail) => {
        sent.push(mail);
        return `0102019${newId().toLowerCase()}-000000`;
      },
    },
    jobs: { user_email: job, notification_alert: job, appointment_invitation: job },
    pacer: new SendPacer(Date.now, async () => undefined),
    concurrency: 1,
    clock: systemClock,
    log: { warn: () => undefined, info: () => undefined },
  };
}

describe('mail sent from the CRM, filed in the Sent folder of the sender’s mailbox (Dovecot on loopback)', () => {
  const unique = newId().toLowerCase();
  const anna = `anna.${unique}@cellers.example`;

  it('POST /emails → SES takes it → email.sent → one copy in Sent (\\Seen, our Message-ID), even delivered twice; the next poll logs nothing', async () => {
    const contactId = (await createContact(contactAdapters(), call('rep1'), { last_name: 'Puig', email: anna })).id;
    const mailbox = await connectMailbox(deps, call('rep1'), {
      host: dovecot.host,
      port: dovecot.port,
      tls: false,
      username: 'rep1@mail.example',
      password: PASSWORD,
    });
    expect(await pollMailbox(deps, system(), (await deps.mailboxes.get(mailbox.id))!)).toMatchObject({ first_sync: true });

    const email = await sendEmail(deps.emails, call('rep1'), {
      to: [anna],
      bcc: ['boss@example.com'],
      subject: 'Proposta',
      text: 'Bon dia, us envio la proposta.',
      html: '<p>Bon dia, us envio la proposta.</p>',
    });
    const request: MailRequest = { type: 'user_email', recipient_id: ids.rep1, ref: email.id, event_id: newId() };
    const sesSent: OutgoingMail[] = [];
    table.events = [];
    expect(await sendRequestedMail(mailSender(sesSent), request)).toBe('sent');
    expect(sesSent).toHaveLength(1);
    const sentEvents = table.events.filter((e) => e.metadata.event_type === EMAIL_SENT_EVENT);
    expect(sentEvents.map((e) => [e.metadata.resource_id, (e.data as { status: string }).status])).toEqual([[email.id, 'sent']]);

    // The consumer's step, delivered twice (at least once).
    expect(await fileSentCopy(deps, email.id, new Date())).toMatchObject({
      outcome: 'appended',
      mailbox_id: mailbox.id,
      folder: 'Sent',
    });
    expect(await fileSentCopy(deps, email.id, new Date())).toMatchObject({ outcome: 'present', folder: 'Sent' });

    const copies = await inSent('rep1@mail.example', email.message_id);
    expect(copies).toHaveLength(1);
    const [copy] = copies;
    expect(copy!.flags).toContain('\\Seen');
    expect(copy!.parsed).toMatchObject({ message_id: email.message_id, subject: 'Proposta' });
    expect(copy!.parsed.to.map((a) => a.address)).toEqual([anna]);
    expect(copy!.parsed.text).toContain('us envio la proposta');
    expect(copy!.source).toMatch(/^Bcc: boss@example\.com\r$/m);

    // The poll reads Sent again: our own copy is logged already (as sent), so nothing twice.
    expect(await pollMailbox(deps, system(), (await deps.mailboxes.get(mailbox.id))!)).toMatchObject({
      outcome: 'polled',
      logged: 0,
      logged_before: 1,
    });
    const sentFolder = (await listEmails(deps.emails, call('rep1'), { folder: 'sent', limit: 100 })).items;
    expect(sentFolder.map((e) => [e.id, e.records])).toEqual([
      [email.id, [{ resource_type: 'contact', resource_id: contactId }]],
    ]);
  });

  it('files nothing for a sender with no mailbox, nor for a message SES has not taken', async () => {
    const email = await sendEmail(deps.emails, call('rep2'), { to: [anna], subject: 'Sense bústia', text: 'Hola' });
    expect(await fileSentCopy(deps, email.id, new Date())).toMatchObject({ outcome: 'not_sent' });
    expect(
      await sendRequestedMail(mailSender([]), { type: 'user_email', recipient_id: ids.rep2, ref: email.id, event_id: newId() }),
    ).toBe('sent');
    expect(await fileSentCopy(deps, email.id, new Date())).toMatchObject({ outcome: 'no_mailbox' });
    expect(await inSent('rep2@mail.example', email.message_id)).toEqual([]);
  });
});
