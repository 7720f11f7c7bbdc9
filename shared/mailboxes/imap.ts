import { lookup } from 'node:dns/promises';
import { ImapFlow, type ListResponse } from 'imapflow';
import MailComposer from 'nodemailer/lib/mail-composer';
import { isPublicAddress, type AddressPolicy } from '#shared/calendar/safe-fetch.ts';
import { parseInbound } from '#shared/emails/inbound.ts';
import type { Email, InboundMessage } from '#shared/emails/domain.ts';
import { ImapRefusedError } from './domain.ts';
import type { ImapConnector, ImapSession } from './ports.ts';

// IMAP through imapflow: a password login (AUTHENTICATE PLAIN / LOGIN) or an OAuth2 one
// (AUTHENTICATE XOAUTH2 with an access token), each folder opened
// read-only (EXAMINE: polling never changes \Seen), messages fetched by UID range and parsed
// with the e-mail family's parser (the same one SES receiving uses). The one write: APPEND of
// mail the CRM sent to the Sent folder.

/** SPECIAL-USE folders not synced (RFC 6154): deleted, spam, unsent, and views duplicating other folders. */
const SKIPPED_USES = new Set(['\\Trash', '\\Junk', '\\Drafts', '\\All', '\\Flagged']);
/** The same by name (last path segment, lower case), for servers without SPECIAL-USE. */
const SKIPPED_NAMES = new Set([
  'trash',
  'deleted items',
  'deleted messages',
  'bin',
  'junk',
  'junk e-mail',
  'junk email',
  'spam',
  'bulk mail',
  'drafts',
  'all mail',
  'starred',
]);
/** Sent folders by name, for servers without SPECIAL-USE (imapflow also guesses localized names). */
const SENT_NAMES = ['sent', 'sent items', 'sent messages', 'sent mail'];

const leafName = (f: ListResponse) => (f.delimiter ? (f.path.split(f.delimiter).at(-1) ?? f.path) : f.path).toLowerCase();
const selectable = (f: ListResponse) => !f.flags.has('\\Noselect') && !f.flags.has('\\NonExistent');

/** Which listed folders are synced, and which is Sent (SPECIAL-USE first, then by name). */
export function syncedFolders(list: readonly ListResponse[]): { synced: string[]; sent: string | undefined } {
  const usable = list.filter(selectable);
  const sent =
    usable.find((f) => f.specialUse === '\\Sent') ?? usable.find((f) => !f.specialUse && SENT_NAMES.includes(leafName(f)));
  const synced = usable
    .filter(
      (f) =>
        f.path.toUpperCase() === 'INBOX' ||
        f === sent ||
        !(f.specialUse ? SKIPPED_USES.has(f.specialUse) : SKIPPED_NAMES.has(leafName(f))),
    )
    .map((f) => (f.path.toUpperCase() === 'INBOX' ? 'INBOX' : f.path));
  return { synced: [...new Set(synced)], sent: sent?.path };
}

/**
 * A message the CRM sent as the sender's own client would file it (RFC 5322, CRLF): our own
 * Message-ID, Date = when SES took it, Bcc kept (it is the sender's copy), the thread headers.
 */
export async function sentCopyOf(email: Email): Promise<Buffer> {
  const composer = new MailComposer({
    from: email.from.name ? { name: email.from.name, address: email.from.address } : email.from.address,
    to: email.to.map((a) => a.address),
    ...(email.cc.length > 0 ? { cc: email.cc.map((a) => a.address) } : {}),
    ...(email.bcc.length > 0 ? { bcc: email.bcc.map((a) => a.address) } : {}),
    ...(email.reply_to ? { replyTo: email.reply_to } : {}),
    subject: email.subject,
    ...(email.text ? { text: email.text } : {}),
    ...(email.html ? { html: email.html } : {}),
    messageId: email.message_id,
    date: new Date(email.sent_at ?? email.created_at),
    ...(email.in_reply_to ? { inReplyTo: email.in_reply_to } : {}),
    ...(email.references.length > 0 ? { references: email.references } : {}),
  });
  const node = composer.compile();
  node.keepBcc = true;
  return new Promise<Buffer>((resolve, reject) => node.build((error, message) => (error ? reject(error) : resolve(message))));
}

/** Seconds one connection may take to answer before the poll of that mailbox gives up. */
const TIMEOUT_MS = 30_000;

class ImapFlowSession implements ImapSession {
  readonly #client: ImapFlow;
  constructor(client: ImapFlow) {
    this.#client = client;
  }

  async folders(): Promise<{ synced: string[]; sent: string | undefined }> {
    return syncedFolders(await this.#client.list());
  }

  async appendSent(email: Email): Promise<{ folder: string; outcome: 'appended' | 'present' }> {
    let folder = (await this.folders()).sent;
    if (!folder) {
      folder = 'Sent';
      await this.#client.mailboxCreate(folder);
    }
    const lock = await this.#client.getMailboxLock(folder, { readOnly: true });
    let found: number[] | false | undefined;
    try {
      found = await this.#client.search({ header: { 'Message-ID': email.message_id } }, { uid: true });
    } finally {
      lock.release();
    }
    if (found === false || found === undefined) throw new Error(`SEARCH in ${folder} failed`);
    if (found.length > 0) return { folder, outcome: 'present' };
    const raw = await sentCopyOf(email);
    const appended = await this.#client.append(folder, raw, ['\\Seen'], new Date(email.sent_at ?? email.created_at));
    if (!appended) throw new Error(`APPEND to ${folder} failed`);
    return { folder, outcome: 'appended' };
  }

  async read(folder: string, afterUidFor: (uidvalidity: string) => number, max: number) {
    const lock = await this.#client.getMailboxLock(folder, { readOnly: true });
    try {
      const mailbox = this.#client.mailbox;
      if (!mailbox) throw new Error(`folder ${folder} did not open`);
      const uidvalidity = String(mailbox.uidValidity);
      const afterUid = afterUidFor(uidvalidity);
      const messages: { uid: number; message: InboundMessage }[] = [];
      if (mailbox.exists === 0 || mailbox.uidNext <= afterUid + 1) {
        return { uidvalidity, after: afterUid, messages };
      }
      const raws: { uid: number; source: Buffer }[] = [];
      // "n:*" always answers the highest message even when its UID is below n: filtered below.
      for await (const m of this.#client.fetch(`${afterUid + 1}:*`, { uid: true, source: true }, { uid: true })) {
        if (m.uid > afterUid && m.source) raws.push({ uid: m.uid, source: m.source });
      }
      raws.sort((a, b) => a.uid - b.uid);
      for (const raw of raws.slice(0, max)) messages.push({ uid: raw.uid, message: await parseInbound(raw.source) });
      return { uidvalidity, after: afterUid, messages };
    } finally {
      lock.release();
    }
  }

  async close(): Promise<void> {
    try {
      await this.#client.logout();
    } catch {
      this.#client.close();
    }
  }
}

// Defined with the domain (the use cases tell it from other failures); kept importable here.
export { ImapRefusedError };

export interface ImapConnectorOptions {
  /**
   * TESTS ONLY (refused outside vitest, so no deployed function widens its reach): which
   * addresses may be reached (default: public ones) and whether a password may cross the wire
   * unencrypted (default: never; tests log in to Dovecot on loopback without TLS).
   */
  testSeam?: { policy: AddressPolicy; allowPlaintext: boolean };
}

/**
 * Connects to a user's IMAP server as a user would, but only to a public address: the host
 * name is resolved here, every address it gives must be public (no server-side request
 * forgery: the instance metadata service, the VPC, loopback), and the connection is pinned
 * to the checked address (TLS still verifies the certificate against the host name). The
 * password crosses the wire only encrypted: implicit TLS, or STARTTLS required (RFC 8314
 * prefers the former; a server without STARTTLS is refused, never logged in to in clear).
 */
export function imapConnector(options: ImapConnectorOptions = {}): ImapConnector {
  if (options.testSeam && process.env.VITEST !== 'true') throw new Error('imapConnector: the test seam is for tests only');
  const policy = options.testSeam?.policy ?? isPublicAddress;
  const allowPlaintext = options.testSeam?.allowPlaintext ?? false;
  return {
    async connect(server) {
      const addresses = await lookup(server.host, { all: true, verbatim: true }).catch(() => []);
      if (addresses.length === 0) throw new ImapRefusedError(`the host ${server.host} does not resolve`);
      const refused = addresses.find((a) => !policy(a.address));
      if (refused)
        throw new ImapRefusedError(`the host ${server.host} resolves to ${refused.address}, which is not a public address`);
      const client = new ImapFlow({
        host: addresses[0]!.address,
        servername: server.host,
        port: server.port,
        secure: server.tls,
        // An access token logs in with AUTHENTICATE XOAUTH2 (OAUTHBEARER when the server offers it).
        auth:
          'accessToken' in server
            ? { user: server.username, accessToken: server.accessToken }
            : { user: server.username, pass: server.password },
        logger: false,
        connectionTimeout: TIMEOUT_MS,
        greetingTimeout: TIMEOUT_MS,
        socketTimeout: TIMEOUT_MS,
        // Without implicit TLS: STARTTLS is required (the login fails rather than go out in clear).
        doSTARTTLS: server.tls ? undefined : !allowPlaintext,
      });
      client.on('error', () => {});
      await client.connect();
      return new ImapFlowSession(client);
    },
  };
}
