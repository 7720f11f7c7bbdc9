import { lookup } from 'node:dns/promises';
import { ImapFlow } from 'imapflow';
import { isPublicAddress, type AddressPolicy } from '#shared/calendar/safe-fetch.ts';
import { parseInbound } from '#shared/emails/inbound.ts';
import type { InboundMessage } from '#shared/emails/domain.ts';
import type { ImapConnector, ImapSession } from './ports.ts';

// IMAP through imapflow: a password login (AUTHENTICATE PLAIN / LOGIN) or an OAuth2 one
// (AUTHENTICATE XOAUTH2 with an access token), each folder opened
// read-only (EXAMINE: polling never changes \Seen), messages fetched by UID range and parsed
// with the e-mail family's parser (the same one SES receiving uses).

/** Seconds one connection may take to answer before the poll of that mailbox gives up. */
const TIMEOUT_MS = 30_000;

class ImapFlowSession implements ImapSession {
  readonly #client: ImapFlow;
  constructor(client: ImapFlow) {
    this.#client = client;
  }

  async folders(): Promise<string[]> {
    const list = await this.#client.list();
    const sent = list.find((f) => f.specialUse === '\\Sent');
    return ['INBOX', ...(sent && sent.path !== 'INBOX' ? [sent.path] : [])];
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

/** Why a connection to a mailbox server was not even tried. */
export class ImapRefusedError extends Error {
  override readonly name = 'ImapRefusedError';
}

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
