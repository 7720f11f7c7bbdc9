import type { DomainEvent } from '#shared/kernel/events.ts';
import { createHash } from 'node:crypto';
import { ConflictError } from '#shared/kernel/errors.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import { indexKeys, indexPartitions, tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import { INDEX } from '#shared/platform/dynamodb/table-spec.ts';
import { fromItem, type Item, type ItemKeys, type Table, type WriteOp } from '#shared/platform/dynamodb/table.ts';
import {
  recordPage,
  stale,
  versionedDelete,
  versionedReplace,
  VersionedRepository,
  type VersionedKind,
} from '#shared/platform/dynamodb/versioned.ts';
import { searchIndex, searchSortKeyPrefix } from '#shared/search/index-terms.ts';
import { MAX_SEARCH_TERM_LENGTH, normalizeSearchText } from '#shared/search/domain.ts';
import { firstChars } from '#shared/kernel/chars.ts';
import { emailSchema, listFolderOf, normalizeAddress, type AddressMark, type Email, type EmailListFolder } from './domain.ts';
import type { AddressBook, AddressMatch, EmailRepository } from './ports.ts';

// Messages on the single table, one item each ("email#<id>" / "email"), listed per mailbox
// folder (newest first: ids are ULIDs) and found by sender address (add_sender) and by either
// Message-ID (threading of replies). A Reply-To token has its own item naming its message; an
// address SES reported bounced or complained has a mark; each SES event applied leaves a marker.

export const emailKey = tableKeys<[id: string]>('email', 'email');
const EMAIL: VersionedKind<Email> = { name: 'email', key: emailKey, read: readEmail };
/** A Reply-To token's item: which message it answers. */
export const replyTokenKey = tableKeys<[token: string]>('email_reply_token', 'token');
/** An address's bounce or complaint mark. */
export const addressMarkKey = tableKeys<[address: string]>('mail_address', 'mark');
/** An SES event applied (EventBridge event id), kept as long as the bus may redeliver it. */
export const sesEventKey = tableKeys<[eventId: string]>('ses_event', 'ses_event');
const SES_EVENT_TTL_SECONDS = 7 * 24 * 60 * 60;
/** A received message logged in one mailbox (its Message-ID or digest, hashed): redeliveries log nothing. */
export const receiptKey = tableKeys<[ownerId: string, receipt: string]>('email_receipt', 'email_receipt');
/** A user's forwarding token (by user) and its owner (by token). */
export const forwardingByUserKey = tableKeys<[ownerId: string]>('email_forwarding', 'user');
export const forwardingByTokenKey = tableKeys<[token: string]>('email_forwarding_token', 'token');

/** The partitions message lists read. */
export const emailIndex = {
  /** A mailbox folder: "email_folder#<owner>#<folder>". */
  byFolder: indexPartitions<[ownerId: string, folder: string]>(INDEX.owner, 'email_folder'),
  /** A mailbox's messages from one address: "email_from#<owner>#<address>". */
  bySender: indexPartitions<[ownerId: string, address: string]>(INDEX.relation, 'email_from'),
  /** Our own Message-ID: "email_message#<id>". */
  byMessageId: indexPartitions<[messageId: string]>(INDEX.secondRelation, 'email_message'),
  /** The Message-ID on the wire (SES's): "email_header#<id>". */
  byHeaderMessageId: indexPartitions<[messageId: string]>(INDEX.thirdRelation, 'email_header'),
};

const EMAIL_FIELDS = Object.keys(emailSchema.shape);

/** The message from its item, without the item's own attributes (keys, claim). */
function readEmail(item: Item): Email {
  return Object.fromEntries(EMAIL_FIELDS.map((field) => [field, item[field]])) as Email;
}

/** The item of a message; `extra` keeps attributes beside it (the mail-sender's claim). */
export function emailItem(email: Email, extra: Item = {}): Item & ItemKeys {
  const keys = indexKeys(
    email.id,
    emailIndex.byFolder(email.owner_id, listFolderOf(email)),
    emailIndex.bySender(email.owner_id, normalizeAddress(email.from.address)),
    emailIndex.byMessageId(email.message_id),
    ...(email.header_message_id ? [emailIndex.byHeaderMessageId(email.header_message_id)] : []),
  );
  return { ...emailKey(email.id), ...keys, kind: 'email', ...extra, ...email };
}

/**
 * The message's fields set to `after`'s while the table holds `before.version`, leaving the
 * item's other attributes (the mail-sender's claim) as they are: for changes that move no key.
 */
function emailFieldsUpdate(before: Email, after: Email): WriteOp {
  const fields = EMAIL_FIELDS.filter((field) => field !== 'id');
  return {
    type: 'update',
    key: emailKey(before.id),
    update: `SET ${fields.map((_, i) => `#f${i} = :f${i}`).join(', ')}`,
    condition: '#version = :expected',
    names: { ...Object.fromEntries(fields.map((field, i) => [`#f${i}`, field])), '#version': 'version' },
    values: {
      ...Object.fromEntries(fields.map((field, i) => [`:f${i}`, (after as Record<string, unknown>)[field]])),
      ':expected': before.version,
    },
    onConflict: stale(EMAIL, before.id),
  };
}

export class DynamoEmailRepository extends VersionedRepository<Email> implements EmailRepository {
  protected readonly kind = EMAIL;

  async create(email: Email, replyToken: string | null, events: DomainEvent[]): Promise<void> {
    const ops: WriteOp[] = [{ type: 'create', item: emailItem(email) }];
    if (replyToken)
      ops.push({ type: 'create', item: { ...replyTokenKey(replyToken), kind: 'email_reply_token', email_id: email.id } });
    await this.table.write(ops, events);
  }

  async update(before: Email, after: Email, events: DomainEvent[]): Promise<void> {
    await this.table.write([versionedReplace(EMAIL, before, emailItem(after))], events);
  }

  async delete(email: Email, events: DomainEvent[]): Promise<void> {
    const ops: WriteOp[] = [versionedDelete(EMAIL, email)];
    const token = email.reply_to ? /^reply\+([a-z0-9]+)@/.exec(email.reply_to)?.[1] : undefined;
    if (token) ops.push({ type: 'remove', key: replyTokenKey(token) });
    await this.table.write(ops, events);
  }

  folder(ownerId: string, folder: EmailListFolder, page: PageQuery): Promise<Page<Email>> {
    return recordPage(this.table, emailIndex.byFolder(ownerId, folder), page, readEmail, { order: 'desc' });
  }

  async fromAddress(ownerId: string, address: string, limit: number): Promise<Email[]> {
    const { items } = await this.table.collect(
      { partitions: [emailIndex.bySender(ownerId, normalizeAddress(address))], order: 'asc' },
      limit,
    );
    return items.map(readEmail);
  }

  async addressMark(address: string): Promise<AddressMark | undefined> {
    const item = await this.table.get(addressMarkKey(normalizeAddress(address)));
    return item
      ? { address: String(item.address), reason: item.reason as AddressMark['reason'], at: String(item.at) }
      : undefined;
  }

  async applySesEvent(
    eventId: string,
    change: { before: Email; after: Email } | undefined,
    marks: AddressMark[],
  ): Promise<boolean> {
    const ops: WriteOp[] = [
      {
        type: 'create',
        item: { ...sesEventKey(eventId), kind: 'ses_event', expires_at: Math.floor(Date.now() / 1000) + SES_EVENT_TTL_SECONDS },
        onConflict: () => new ConflictError(`SES event ${eventId} was applied before`, { code: 'email.ses_event_applied' }),
      },
      ...marks.map((mark): WriteOp => ({
        type: 'put',
        item: { ...addressMarkKey(mark.address), kind: 'mail_address_mark', ...mark },
      })),
    ];
    if (change) ops.push(emailFieldsUpdate(change.before, change.after));
    try {
      await this.table.write(ops);
      return true;
    } catch (error) {
      if (error instanceof ConflictError && error.code === 'email.ses_event_applied') return false;
      throw error;
    }
  }

  async replyTokenEmail(token: string): Promise<string | undefined> {
    const item = await this.table.get(replyTokenKey(token));
    return typeof item?.email_id === 'string' ? item.email_id : undefined;
  }

  async forwardingOwner(token: string): Promise<string | undefined> {
    const item = await this.table.get(forwardingByTokenKey(token));
    return typeof item?.owner_id === 'string' ? item.owner_id : undefined;
  }

  async forwardingToken(ownerId: string, fresh: string): Promise<string> {
    const kept = await this.table.get(forwardingByUserKey(ownerId), { consistent: true });
    if (typeof kept?.token === 'string') return kept.token;
    try {
      await this.table.write([
        { type: 'create', item: { ...forwardingByUserKey(ownerId), kind: 'email_forwarding', token: fresh } },
        { type: 'create', item: { ...forwardingByTokenKey(fresh), kind: 'email_forwarding_token', owner_id: ownerId } },
      ]);
      return fresh;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const winner = await this.table.get(forwardingByUserKey(ownerId), { consistent: true });
      if (typeof winner?.token !== 'string') throw error;
      return winner.token;
    }
  }

  async threadOf(ownerId: string, messageIds: readonly string[]): Promise<Email | undefined> {
    for (const id of messageIds) {
      for (const partition of [emailIndex.byMessageId(id), emailIndex.byHeaderMessageId(id)]) {
        const { items } = await this.table.collect({ partitions: [partition], order: 'asc' }, 20);
        const found = items.map(readEmail).find((e) => e.owner_id === ownerId);
        if (found) return found;
      }
    }
    return undefined;
  }

  async receive(email: Email, receipt: string, events: DomainEvent[]): Promise<boolean> {
    // Message-IDs may be long (998 characters): the key holds their hash.
    const hash = createHash('sha256').update(receipt).digest('hex');
    try {
      await this.table.write(
        [
          {
            type: 'create',
            item: { ...receiptKey(email.owner_id, hash), kind: 'email_receipt', email_id: email.id },
            onConflict: () => new ConflictError('this message was logged before', { code: 'email.received_before' }),
          },
          { type: 'create', item: emailItem(email) },
        ],
        events,
      );
      return true;
    } catch (error) {
      if (error instanceof ConflictError && error.code === 'email.received_before') return false;
      throw error;
    }
  }
}

/**
 * Leads and contacts by address, from the search index (every record's e-mail is one of its
 * terms): one Query of the admins' partition per address, keeping the exact matches.
 */
export class DynamoAddressBook implements AddressBook {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async matching(addresses: readonly string[]): Promise<AddressMatch[]> {
    const found = new Map<string, AddressMatch>();
    for (const raw of addresses) {
      const address = normalizeAddress(raw);
      // The term as the index clips it (searchTerms).
      const term = firstChars(normalizeSearchText(address), MAX_SEARCH_TERM_LENGTH).trimEnd();
      if (!term) continue;
      const { items } = await this.#table.collect(
        { partitions: [{ ...searchIndex.all(), skBeginsWith: `${searchSortKeyPrefix(term)}#` }], order: 'asc' },
        100,
      );
      for (const item of items) {
        const kind = item.hit_kind;
        if ((kind !== 'lead' && kind !== 'contact') || typeof item.email !== 'string') continue;
        if (normalizeAddress(item.email) !== address) continue;
        found.set(`${kind}#${String(item.hit_id)}`, {
          resource_type: kind,
          resource_id: String(item.hit_id),
          owner_id: String(item.owner_id),
        });
      }
    }
    return [...found.values()];
  }
}

/** Reads a message as the mail-sender claims it (with its claim attributes). */
export const emailItemOf = (item: Item): Email => readEmail(fromItem<Item>(item));
