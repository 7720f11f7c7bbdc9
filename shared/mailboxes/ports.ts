import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Email, InboundMessage } from '#shared/emails/domain.ts';
import type { StoredMailbox } from './domain.ts';
import type { MailboxOAuthProvider, MailboxOAuthSettings, OAuthState, TokenGrant } from './oauth.ts';

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

/** How to log in: a password (AUTHENTICATE PLAIN / LOGIN) or an OAuth2 access token (AUTHENTICATE XOAUTH2). */
export type ImapLogin = { password: string } | { accessToken: string };

export interface ImapConnector {
  /** Logs in. @throws Error when the server refuses or cannot be reached */
  connect(server: { host: string; port: number; tls: boolean; username: string } & ImapLogin): Promise<ImapSession>;
}

/** A deployment's OAuth providers' token endpoints (the client secret is the adapter's business). */
export interface MailboxOAuthClient {
  /** The providers and the redirect URI (empty providers: OAuth connections are not configured). */
  settings(): MailboxOAuthSettings;
  /**
   * Exchanges an authorization code (RFC 6749 §4.1.3, with the PKCE verifier).
   * @throws OAuthGrantRevokedError when the provider answers invalid_grant (a bad, used or expired code)
   * @throws Error when the endpoint cannot be reached or answers anything else
   */
  exchange(provider: MailboxOAuthProvider, code: string, verifier: string, redirectUri: string): Promise<TokenGrant>;
  /**
   * A new access token for a refresh token (RFC 6749 §6); the answer may carry a new refresh token.
   * @throws OAuthGrantRevokedError when the provider answers invalid_grant (the user must connect again)
   * @throws Error when the endpoint cannot be reached or answers anything else (try again later)
   */
  refresh(provider: MailboxOAuthProvider, refreshToken: string): Promise<TokenGrant>;
}

/** Started OAuth flows, each used once. */
export interface OAuthStateStore {
  put(state: OAuthState): Promise<void>;
  /**
   * Removes and answers the state if it is `ownerId`'s and not expired at `nowSeconds`; answers
   * undefined otherwise (unknown, used, expired, or another user's: then it stays for its owner).
   */
  take(state: string, ownerId: string, nowSeconds: number): Promise<OAuthState | undefined>;
}
