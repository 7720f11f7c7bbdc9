import { ImapFlow } from 'imapflow';
import { parseInbound } from '#shared/emails/inbound.ts';
import type { InboundMessage } from '#shared/emails/domain.ts';
import type { ImapConnector, ImapSession } from './ports.ts';

// IMAP through imapflow: a password login (AUTHENTICATE PLAIN / LOGIN), each folder opened
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

export const imapFlowConnector: ImapConnector = {
  async connect(server) {
    const client = new ImapFlow({
      host: server.host,
      port: server.port,
      secure: server.tls,
      auth: { user: server.username, pass: server.password },
      logger: false,
      connectionTimeout: TIMEOUT_MS,
      greetingTimeout: TIMEOUT_MS,
      socketTimeout: TIMEOUT_MS,
      // Without TLS, never upgrade silently nor send the password to a server that offers STARTTLS badly.
      doSTARTTLS: server.tls ? undefined : false,
    });
    client.on('error', () => {});
    await client.connect();
    return new ImapFlowSession(client);
  },
};
