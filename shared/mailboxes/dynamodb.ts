import { createHash } from 'node:crypto';
import { receiptKey } from '#shared/emails/dynamodb.ts';
import { ConflictError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { indexKeys, indexPartition, indexPartitions, tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import { INDEX } from '#shared/platform/dynamodb/table-spec.ts';
import { fromItem, type Item, type Table } from '#shared/platform/dynamodb/table.ts';
import { MAX_MAILBOXES_PER_USER, type StoredMailbox } from './domain.ts';
import type { MailboxRepository } from './ports.ts';

// Connected mailboxes on the single table: "mailbox#<id>" / "mailbox", listed per user in gsi1
// "mailbox#<user>" and all together in the "all" index (the poller's walk, raw Queries in
// chunks). The password is stored only sealed.

export const mailboxKey = tableKeys<[id: string]>('mailbox', 'mailbox');
export const mailboxIndex = {
  byUser: indexPartitions<[userId: string]>(INDEX.owner, 'mailbox'),
  /** Every mailbox: the poller's walk. */
  all: indexPartition(INDEX.all, 'mailbox'),
};

const itemOf = (m: StoredMailbox) => ({
  ...mailboxKey(m.id),
  ...indexKeys(m.id, mailboxIndex.byUser(m.owner_id), mailboxIndex.all()),
  kind: 'mailbox',
  ...m,
});

export class DynamoMailboxRepository implements MailboxRepository {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async create(mailbox: StoredMailbox): Promise<void> {
    await this.#table.write([{ type: 'create', item: itemOf(mailbox) }]);
  }

  async get(id: string): Promise<StoredMailbox | undefined> {
    const item = await this.#table.get(mailboxKey(id));
    return item ? read(item) : undefined;
  }

  async listByOwner(ownerId: string): Promise<StoredMailbox[]> {
    const { items } = await this.#table.collect(
      { partitions: [mailboxIndex.byUser(ownerId)], order: 'asc' },
      MAX_MAILBOXES_PER_USER + 1,
    );
    return items.map(read);
  }

  async delete(mailbox: StoredMailbox): Promise<void> {
    await this.#table.write([{ type: 'remove', key: mailboxKey(mailbox.id) }]);
  }

  async all(): Promise<StoredMailbox[]> {
    const found: StoredMailbox[] = [];
    let after: string | null = null;
    do {
      const chunk: { items: Item[]; next: string | null } = await this.#table.chunk(mailboxIndex.all(), after, 100);
      found.push(...chunk.items.map(read));
      after = chunk.next;
    } while (after !== null);
    return found;
  }

  async save(before: StoredMailbox, after: StoredMailbox, events: DomainEvent[]): Promise<void> {
    await this.#table.write(
      [
        {
          type: 'replace',
          item: itemOf(after),
          expectedVersion: before.version,
          onConflict: () => new VersionMismatchError('mailbox', before.id, undefined),
        },
      ],
      events,
    );
  }

  async markLogged(ownerId: string, messageId: string, emailId: string): Promise<void> {
    // The e-mail family's receipt marker, keyed as DynamoEmailRepository.receive keys it.
    const hash = createHash('sha256').update(messageId).digest('hex');
    try {
      await this.#table.write([
        {
          type: 'create',
          item: { ...receiptKey(ownerId, hash), kind: 'email_receipt', email_id: emailId },
          onConflict: () => new ConflictError('marked before', { code: 'email.received_before' }),
        },
      ]);
    } catch (error) {
      if (!(error instanceof ConflictError && error.code === 'email.received_before')) throw error;
    }
  }
}

function read(item: Item): StoredMailbox {
  const m = fromItem<StoredMailbox>(item);
  return {
    id: m.id,
    owner_id: m.owner_id,
    // Mailboxes connected before OAuth2 logins existed are password ones.
    auth: m.auth ?? 'password',
    provider: m.provider ?? null,
    needs_reconnect: m.needs_reconnect ?? false,
    host: m.host,
    port: m.port,
    tls: m.tls,
    username: m.username,
    created_at: m.created_at,
    first_synced_at: m.first_synced_at ?? null,
    last_polled_at: m.last_polled_at ?? null,
    last_error: m.last_error ?? null,
    checkpoints: m.checkpoints,
    sealed_password: m.sealed_password ?? null,
    sealed_oauth: m.sealed_oauth ?? null,
    version: m.version,
    folder_cursor: m.folder_cursor ?? null,
  };
}
