import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Email, InboundMessage } from '#shared/emails/domain.ts';
import type { StoredMailbox } from './domain.ts';

export interface MailboxRepository {
  /** @throws ConflictError when the user has MAX_MAILBOXES_PER_USER already (checked by the caller) */
  create(mailbox: StoredMailbox): Promise<void>;
  get(id: string): Promise<StoredMailbox | undefined>;
  listByOwner(ownerId: string): Promise<StoredMailbox[]>;
  delete(mailbox: StoredMailbox): Promise<void>;
  /** Every connected mailbox (the poller's walk). */
  all(): Promise<StoredMailbox[]>;
  /**
   * Writes the mailbox's new state with its events, conditional on `before.version`
   * (VersionMismatchError otherwise: another poll or a delete got there first).
   */
  save(before: StoredMailbox, after: StoredMailbox, events: DomainEvent[]): Promise<void>;
  /**
   * Marks a message as logged in the owner's CRM mailbox under this Message-ID (the marker
   * receiving checks), so a poll that finds our own copy in Sent logs nothing. Idempotent.
   */
  markLogged(ownerId: string, messageId: string, emailId: string): Promise<void>;
}

/** Seals passwords at rest (AES-256-GCM), bound to the mailbox they belong to. */
export interface CredentialSealer {
  seal(plain: string, context: string): Promise<string>;
  /** The plaintext, and whether it was sealed with a key that is no longer the current one. */
  open(sealed: string, context: string): Promise<{ plain: string; stale: boolean }>;
}

/** What one IMAP login reads. */
export interface ImapSession {
  /**
   * The folders worth syncing: every selectable folder but Trash, Junk, Drafts and the
   * duplicating views (\All, \Flagged), by SPECIAL-USE (RFC 6154) or, without it, by common
   * names; and which of them is the Sent folder (undefined: none).
   */
  folders(): Promise<{ synced: string[]; sent: string | undefined }>;
  /**
   * Opens a folder read-only and reads up to `max` messages (parsed), in UID order, with a UID
   * above `afterUid(uidvalidity)`: the caller's checkpoint for the folder's current UIDVALIDITY.
   */
  read(
    folder: string,
    afterUid: (uidvalidity: string) => number,
    max: number,
  ): Promise<{ uidvalidity: string; after: number; messages: { uid: number; message: InboundMessage }[] }>;
  /**
   * Puts a copy of a message the CRM sent (RFC 5322, our own Message-ID, flagged \Seen) in the
   * Sent folder (SPECIAL-USE \Sent, else a commonly named one, else a new "Sent"), unless a
   * message with that Message-ID is there already (SEARCH HEADER first): never twice.
   */
  appendSent(email: Email): Promise<{ folder: string; outcome: 'appended' | 'present' }>;
  close(): Promise<void>;
}

export interface ImapConnector {
  /** Logs in with a password. @throws Error when the server refuses or cannot be reached */
  connect(server: { host: string; port: number; tls: boolean; username: string; password: string }): Promise<ImapSession>;
}
