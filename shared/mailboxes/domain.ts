import * as z from 'zod/mini';

// Users' own IMAP mailboxes (issue 14 item 4, password login): a user connects one, the CRM
// keeps its password sealed (never answered, never stored in plaintext) and polls its INBOX and
// Sent folder, logging each new message through the e-mail family's receiving. Checkpoints are
// per (folder name, UIDVALIDITY) (RFC 9051 §2.3.1.1): a UIDVALIDITY change starts the folder
// over, and the Message-ID dedupe of receiving keeps what was logged before from logging twice.
// A mailbox logs in with a password, or with OAuth2 (XOAUTH2, shared/mailboxes/oauth.ts): then
// the CRM keeps the provider's refresh token and its current access token sealed instead.

/** Mailboxes one user may connect. */
export const MAX_MAILBOXES_PER_USER = 10;

/** Messages one poll reads from one folder at most: a big first sync spreads over polls. */
export const MAX_MESSAGES_PER_FOLDER_POLL = 200;

/**
 * Folders one poll reads at most (INBOX and Sent first, then the others in turn, resuming
 * after `folder_cursor`): a mailbox with hundreds of folders spreads them over polls.
 */
export const MAX_FOLDERS_PER_POLL = 12;

/**
 * The folders one poll reads, in order: INBOX and Sent (when listed) always, then the other
 * `synced` folders by name starting after `cursor` (wrapping around), `max` in all. Also the
 * next cursor: the last "other" folder read (null when every folder fit).
 */
export function foldersThisPoll(
  synced: readonly string[],
  sent: string | undefined,
  cursor: string | null,
  max: number = MAX_FOLDERS_PER_POLL,
): { folders: string[]; cursor: string | null; all: boolean } {
  const first = ['INBOX', ...(sent && sent !== 'INBOX' ? [sent] : [])].filter((f) => synced.includes(f));
  const others = synced.filter((f) => !first.includes(f)).sort();
  const room = Math.max(0, max - first.length);
  if (others.length <= room) return { folders: [...first, ...others], cursor: null, all: true };
  const start = cursor === null ? 0 : others.findIndex((f) => f > cursor);
  const from = start < 0 ? 0 : start;
  const turn = [...others.slice(from), ...others.slice(0, from)].slice(0, room);
  return { folders: [...first, ...turn], cursor: turn.at(-1) ?? null, all: false };
}

export const connectMailboxInput = z.strictObject({
  host: z.string().check(z.trim(), z.minLength(1), z.maxLength(253), z.regex(/^[A-Za-z0-9.-]+$/)),
  port: z.int().check(z.minimum(1), z.maximum(65535)),
  /** Implicit TLS (IMAPS, usually port 993); false: plain IMAP (loopback and tests). */
  tls: z.boolean(),
  username: z.string().check(z.minLength(1), z.maxLength(320)),
  password: z.string().check(z.minLength(1), z.maxLength(1024)),
});
export type ConnectMailboxInput = z.infer<typeof connectMailboxInput>;

/** A folder's checkpoint: the highest UID logged while the folder had this UIDVALIDITY. */
export const folderCheckpointSchema = z.object({
  folder: z.string(),
  /** UIDVALIDITY as a decimal string (a 32-bit unsigned value). */
  uidvalidity: z.string(),
  last_uid: z.int(),
});
export type FolderCheckpoint = z.infer<typeof folderCheckpointSchema>;

/** How the CRM logs in to a mailbox: a password, or an OAuth2 access token (AUTHENTICATE XOAUTH2). */
export const MAILBOX_AUTHS = ['password', 'xoauth2'] as const;
export type MailboxAuth = (typeof MAILBOX_AUTHS)[number];

export const mailboxSchema = z.object({
  id: z.string(),
  owner_id: z.string(),
  auth: z.enum(MAILBOX_AUTHS),
  /** The deployment's OAuth provider (config mailbox_oauth) of an xoauth2 mailbox; null for a password. */
  provider: z.nullable(z.string()),
  /**
   * True when the provider no longer honours the CRM's grant (revoked, expired, password
   * changed): polls skip the mailbox until the user connects it again through the OAuth flow.
   */
  needs_reconnect: z.boolean(),
  host: z.string(),
  port: z.int(),
  tls: z.boolean(),
  username: z.string(),
  created_at: z.string(),
  /** When the first complete sync ended (null: not yet). */
  first_synced_at: z.nullable(z.string()),
  last_polled_at: z.nullable(z.string()),
  /** Why the last poll failed (null: it did not). */
  last_error: z.nullable(z.string()),
  checkpoints: z.array(folderCheckpointSchema),
});
/** A mailbox as answered: never its password or tokens. */
export type Mailbox = z.infer<typeof mailboxSchema>;

/**
 * A mailbox as stored: with its sealed credential and a version for conditional writes. A
 * password mailbox has `sealed_password`; an xoauth2 one `sealed_oauth` (OAuthCredential as JSON).
 */
export interface StoredMailbox extends Mailbox {
  readonly sealed_password: string | null;
  readonly sealed_oauth: string | null;
  readonly version: number;
  /** Where the next poll resumes the folders beyond MAX_FOLDERS_PER_POLL (null: from the first). */
  readonly folder_cursor: string | null;
}

/** What an xoauth2 mailbox keeps sealed: the refresh token and the cached access token. */
export interface OAuthCredential {
  refresh_token: string;
  access_token: string;
  /** When the access token stops working (ISO 8601), as the token endpoint's expires_in said. */
  access_expires_at: string;
}

/** The public view of a stored mailbox. */
export function publicMailbox(m: StoredMailbox): Mailbox {
  const { sealed_password: _sealed, sealed_oauth: _oauth, version: _version, folder_cursor: _cursor, ...rest } = m;
  return rest;
}

/** The UID after which to read a folder that now has `uidvalidity` (0: from the start). */
export function lastUidOf(checkpoints: readonly FolderCheckpoint[], folder: string, uidvalidity: string): number {
  return checkpoints.find((c) => c.folder === folder && c.uidvalidity === uidvalidity)?.last_uid ?? 0;
}

/** The checkpoints of folders still listed: a renamed or deleted folder's is dropped. */
export function checkpointsOfListed(checkpoints: readonly FolderCheckpoint[], listed: readonly string[]): FolderCheckpoint[] {
  return checkpoints.filter((c) => listed.includes(c.folder));
}

/** The checkpoints with `folder`'s replaced by this one (an older UIDVALIDITY's is dropped). */
export function withCheckpoint(checkpoints: readonly FolderCheckpoint[], next: FolderCheckpoint): FolderCheckpoint[] {
  return [...checkpoints.filter((c) => c.folder !== next.folder), next];
}

/** Why a connection to a mailbox server was not even tried (its host is not public): retrying cannot help. */
export class ImapRefusedError extends Error {
  override readonly name = 'ImapRefusedError';
}

/** The domain event of a mailbox's first complete sync (the user is told once). */
export const MAILBOX_SYNCED_EVENT = 'mailbox.synced';

/** The data of MAILBOX_SYNCED_EVENT. */
export const mailboxSyncedSchema = z.object({
  owner_id: z.string(),
  host: z.string(),
  username: z.string(),
  /** Messages this (first complete) poll logged. */
  logged: z.int(),
});
export type MailboxSynced = z.infer<typeof mailboxSyncedSchema>;

/**
 * The domain event of a mailbox the poll stopped reading until its owner connects it again
 * (the OAuth provider refused the refresh token: revoked, expired or the password changed).
 * Written once, when the flag turns on, so the owner is told once and not at every poll.
 */
export const MAILBOX_NEEDS_RECONNECT_EVENT = 'mailbox.needs_reconnect';

/** The data of MAILBOX_NEEDS_RECONNECT_EVENT. */
export const mailboxNeedsReconnectSchema = z.object({
  owner_id: z.string(),
  host: z.string(),
  username: z.string(),
  /** The OAuth provider's name in config (mailbox_oauth), or null for a password mailbox. */
  provider: z.nullable(z.string()),
  /** What the provider or server answered, as last_error keeps it. */
  reason: z.string(),
});
export type MailboxNeedsReconnect = z.infer<typeof mailboxNeedsReconnectSchema>;
