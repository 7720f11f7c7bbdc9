import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Call, Page, PageQuery } from '#shared/kernel/ports.ts';
import type { AddressMark, Email, EmailListFolder } from './domain.ts';

/** A lead or contact whose e-mail address is the one asked about. */
export interface AddressMatch {
  resource_type: 'lead' | 'contact';
  resource_id: string;
  owner_id: string;
}

export interface EmailRepository {
  /** One message by id (consistent read). */
  get(id: string): Promise<Email | undefined>;
  /**
   * Writes a new message with its events; with `replyToken`, the token's lookup item too.
   * The records it is logged on must still have the owners given (ConflictError otherwise).
   */
  create(email: Email, replyToken: string | null, events: DomainEvent[]): Promise<void>;
  /** Conditional on `before.version` (VersionMismatchError otherwise). */
  update(before: Email, after: Email, events: DomainEvent[]): Promise<void>;
  /** Conditional on the version; removes the reply token's lookup item too. */
  delete(email: Email, events: DomainEvent[]): Promise<void>;
  /** A folder of one mailbox, newest first: one Query. */
  folder(ownerId: string, folder: EmailListFolder, page: PageQuery): Promise<Page<Email>>;
  /** A mailbox's messages from one address (normalised), up to `limit`. */
  fromAddress(ownerId: string, address: string, limit: number): Promise<Email[]>;
  /** The bounce or complaint mark of an address (normalised), if any. */
  addressMark(address: string): Promise<AddressMark | undefined>;
  /**
   * Applies one SES event once: its marker (the event id) and the message's new state (when
   * `after` is given, conditional on `before`'s version) and the address marks, in one
   * transaction. False when the event was applied before.
   * @throws VersionMismatchError when the message changed meanwhile (the caller reads and tries again)
   */
  applySesEvent(eventId: string, change: { before: Email; after: Email } | undefined, marks: AddressMark[]): Promise<boolean>;
  /** The message a Reply-To token was given to, if the token is known. */
  replyTokenEmail(token: string): Promise<string | undefined>;
  /** The user whose forwarding/BCC address carries this token, if any. */
  forwardingOwner(token: string): Promise<string | undefined>;
  /** The user's forwarding token: the one kept, or `fresh` kept now (the first call wins). */
  forwardingToken(ownerId: string, fresh: string): Promise<string>;
  /** A message of one mailbox known by one of these Message-IDs (ours or the wire's), the first id found first. */
  threadOf(ownerId: string, messageIds: readonly string[]): Promise<Email | undefined>;
  /**
   * Writes a received message with its events and a marker of (owner, `receiptKey`) in one
   * transaction. False when that marker exists: the message was logged before (a redelivery).
   */
  receive(email: Email, receiptKey: string, events: DomainEvent[]): Promise<boolean>;
}

/** Leads and contacts by e-mail address (case-insensitive). */
export interface AddressBook {
  /** Every lead (not converted) and contact whose address is one of these (normalised). */
  matching(addresses: readonly string[]): Promise<AddressMatch[]>;
}

/** The SES account-level suppression list. */
export interface SuppressionList {
  /** The reason (BOUNCE, COMPLAINT) the address is on the list, or undefined. */
  reason(address: string): Promise<string | undefined>;
}

/** What sending reads about its user. */
export interface Mailboxes {
  user(id: string): Promise<{ id: string; name: string; email: string; status: string } | undefined>;
}

/** What add_sender creates, through the leads' and contacts' own use cases. */
export interface SenderRecords {
  createLead(call: Call, input: { first_name: string | null; last_name: string; email: string }): Promise<string>;
  createContact(call: Call, input: { first_name: string | null; last_name: string; email: string }): Promise<string>;
}
