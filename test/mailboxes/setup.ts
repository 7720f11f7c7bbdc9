import { ImapFlow } from 'imapflow';
import { DynamoAddressBook, DynamoEmailRepository } from '#shared/emails/dynamodb.ts';
import type { EmailsDeps } from '#shared/emails/use-cases.ts';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import { newId } from '#shared/kernel/ids.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { StoredMailbox } from '#shared/mailboxes/domain.ts';
import { DynamoMailboxRepository } from '#shared/mailboxes/dynamodb.ts';
import { imapConnector } from '#shared/mailboxes/imap.ts';
import { SecretDerivedSealer } from '#shared/mailboxes/sealer.ts';
import type { MailboxesDeps } from '#shared/mailboxes/use-cases.ts';
import { DynamoRecordOwners } from '#shared/platform/dynamodb/record-owners.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { makeUser } from '#test/helpers/fakes.ts';
import type { Dovecot } from './dovecot.ts';

// What the mailbox integration tests share: their users on the table, the e-mail family and
// the mailboxes family wired as the poller wires them (DynamoDB Local, the IMAP connector
// allowed onto loopback in plaintext), and a plain IMAP client to put mail in Dovecot.

/** The mailbox repository on the table, keeping the events its saves wrote (the outbox's). */
export class EventCapturingMailboxes extends DynamoMailboxRepository {
  events: DomainEvent[] = [];
  override async save(before: StoredMailbox, after: StoredMailbox, events: DomainEvent[]): Promise<void> {
    await super.save(before, after, events);
    this.events.push(...events);
  }

  /** The captured events of one type. */
  ofType(type: string): DomainEvent[] {
    return this.events.filter((e) => e.metadata.event_type === type);
  }
}

/** The cursor-secret sealer the tests use unless they test KMS (`sealer.int.test.ts`). */
export const testSealer = (secret = 'mailbox-test-secret') =>
  new SecretDerivedSealer({ load: async () => ({ current: secret }) });

/**
 * Creates a user per `{ name: id }` entry (e-mail `<name>@example.com`) and returns the
 * mailboxes family's deps on `table`: the e-mail family's receiving as deployed but for SES
 * suppression (none) and the sender-record creation (unused by the poller), the IMAP connector
 * allowed onto loopback in plaintext (Dovecot in the tests speaks no TLS). `overrides`
 * replaces any of the deps (a capturing repository, a KMS sealer, the OAuth client).
 */
export async function mailboxTestDeps(
  table: Table,
  users: Record<string, string>,
  overrides: Partial<MailboxesDeps> = {},
): Promise<MailboxesDeps & { emails: EmailsDeps }> {
  const repository = new DynamoUserRepository(table);
  for (const [name, id] of Object.entries(users)) await repository.create(makeUser(id, { email: `${name}@example.com` }), []);
  const emails: EmailsDeps = {
    emails: new DynamoEmailRepository(table),
    records: new DynamoRecordOwners(table),
    addressBook: new DynamoAddressBook(table),
    suppression: { reason: async () => undefined },
    mailboxes: { user: async (id) => (await repository.get(id)) ?? undefined },
    senderRecords: {
      createLead: async () => Promise.reject(new Error('unused')),
      createContact: async () => Promise.reject(new Error('unused')),
    },
    domains: { sending: 'example.com', inbound: 'in.example.com' },
    newToken: () => newId().toLowerCase(),
  };
  return {
    mailboxes: new DynamoMailboxRepository(table),
    sealer: testSealer(),
    imap: imapConnector({
      testSeam: { policy: (address) => address === '127.0.0.1' || address === '::1', allowPlaintext: true },
    }),
    emails,
    ...overrides,
  };
}

/** A logged-in IMAP client on the test Dovecot (plaintext loopback); the caller logs out. */
export async function imapClient(dovecot: Dovecot, user: string, pass: string): Promise<ImapFlow> {
  const client = new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, auth: { user, pass }, logger: false });
  await client.connect();
  return client;
}
