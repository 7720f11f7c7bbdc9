import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactAdapters } from '#shared/contacts/runtime.ts';
import { createContact } from '#shared/contacts/use-cases.ts';
import { listEmails } from '#shared/emails/use-cases.ts';
import { newId } from '#shared/kernel/ids.ts';
import { callContext, systemClock } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import type { ImapSession } from '#shared/mailboxes/ports.ts';
import { connectMailbox, pollAllMailboxes, pollMailbox, type MailboxesDeps } from '#shared/mailboxes/use-cases.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';
import { startDovecot, type Dovecot } from './dovecot.ts';
import { imapClient, mailboxTestDeps } from './setup.ts';

// Known failure kind 8 against a real Dovecot on loopback: every folder but Trash, Junk and
// Drafts is synced; a renamed folder, a deleted-and-recreated one (new UIDVALIDITY) and two
// folders created in the same second log nothing twice and miss nothing. Checkpoints are per
// (folder name, UIDVALIDITY); the (owner, Message-ID) marker is the dedupe key.

const PASSWORD = 'dovecot-pass-3';
const USER = 'rep1@mail.example';
let dovecot: Dovecot;
let deps: MailboxesDeps;
const rep1 = newId();
const principal: Principal = { user_id: rep1, email: 'rep1@example.com', role: 'user', direct_reports: [] };
const call = () => callContext(principal, 'test', systemClock, () => newId());
const system = () => ({ actor_id: 'system', correlation_id: newId(), now: new Date(), newId: () => newId() });
const unique = newId().toLowerCase();
const anna = `anna.${unique}@cellers.example`;

const imapAs = () => imapClient(dovecot, USER, PASSWORD);
const eml = (subject: string, id = subject) =>
  [
    `From: "Anna Puig" <${anna}>`,
    `To: ${USER}`,
    `Subject: ${subject}`,
    `Message-ID: <${id.replace(/\W+/g, '-')}-${unique}@cellers.example>`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Cos: ${subject}`,
    '',
  ].join('\r\n');
/** Runs `work` logged in to the test mailbox. */
async function withImap<T>(work: (imap: ImapFlow) => Promise<T>): Promise<T> {
  const imap = await imapAs();
  try {
    return await work(imap);
  } finally {
    await imap.logout();
  }
}
const inboxSubjects = async () =>
  (await listEmails(deps.emails, call(), { folder: 'inbox', limit: 100 })).items.map((e) => e.subject).sort();
const poll = async (id: string) => pollMailbox(deps, system(), (await deps.mailboxes.get(id))!);
const checkpoints = async (id: string) => (await deps.mailboxes.get(id))!.checkpoints.map((c) => c.folder).sort();

beforeAll(async () => {
  dovecot = await startDovecot([{ username: USER, password: PASSWORD }]);
  const { tableName } = await useTestTable();
  const table = testTableClient(tableName);
  deps = await mailboxTestDeps(table, { rep1 });
}, 60_000);
afterAll(async () => dovecot?.stop());

describe('syncing every folder of a mailbox (known failure kind 8, Dovecot on loopback)', () => {
  let mailboxId: string;

  it('syncs INBOX and a user folder "Clients", not Trash, Junk or Drafts', async () => {
    await createContact(contactAdapters(), call(), { last_name: 'Puig', email: anna });
    await withImap(async (imap) => {
      for (const folder of ['Clients', 'Trash', 'Junk', 'Drafts']) await imap.mailboxCreate(folder);
      await imap.append('INBOX', eml('A la safata'));
      await imap.append('Clients', eml('Comanda 1'));
      await imap.append('Clients', eml('Comanda 2'));
      await imap.append('Trash', eml('Esborrat'));
      await imap.append('Junk', eml('Brossa'));
      await imap.append('Drafts', eml('Esborrany'));
    });
    mailboxId = (
      await connectMailbox(deps, call(), {
        host: dovecot.host,
        port: dovecot.port,
        tls: false,
        username: USER,
        password: PASSWORD,
      })
    ).id;
    expect(await poll(mailboxId)).toMatchObject({ outcome: 'polled', logged: 3, logged_before: 0, first_sync: true });
    expect(await inboxSubjects()).toEqual(['A la safata', 'Comanda 1', 'Comanda 2']);
    expect(await checkpoints(mailboxId)).toEqual(['Clients', 'INBOX', 'Sent']);
  });

  it('a renamed folder ("Clients" → "Clients 2027") logs nothing twice and its new mail once', async () => {
    await withImap(async (imap) => {
      await imap.mailboxRename('Clients', 'Clients 2027');
      await imap.append('Clients 2027', eml('Comanda 3'));
    });
    expect(await poll(mailboxId)).toMatchObject({ outcome: 'polled', logged: 1, logged_before: 2 });
    expect(await inboxSubjects()).toEqual(['A la safata', 'Comanda 1', 'Comanda 2', 'Comanda 3']);
    // The old name's checkpoint is dropped with the name.
    expect(await checkpoints(mailboxId)).toEqual(['Clients 2027', 'INBOX', 'Sent']);
    expect(await poll(mailboxId)).toMatchObject({ logged: 0, logged_before: 0 });
  });

  it('a folder deleted and recreated with the same mail (new UIDVALIDITY) logs nothing twice, misses nothing new', async () => {
    const before = (await deps.mailboxes.get(mailboxId))!.checkpoints.find((c) => c.folder === 'Clients 2027')!;
    const uidvalidity = await withImap(async (imap) => {
      await imap.mailboxDelete('Clients 2027');
      await imap.mailboxCreate('Clients 2027');
      for (const subject of ['Comanda 1', 'Comanda 2', 'Comanda 3', 'Comanda 4']) await imap.append('Clients 2027', eml(subject));
      const status = await imap.status('Clients 2027', { uidValidity: true });
      if (!status) throw new Error('no STATUS for Clients 2027');
      return String(status.uidValidity);
    });
    expect(uidvalidity).not.toBe(before.uidvalidity);
    expect(await poll(mailboxId)).toMatchObject({ logged: 1, logged_before: 3 });
    expect((await deps.mailboxes.get(mailboxId))!.checkpoints.find((c) => c.folder === 'Clients 2027')).toEqual({
      folder: 'Clients 2027',
      uidvalidity,
      last_uid: 4,
    });
    expect(await inboxSubjects()).toEqual(['A la safata', 'Comanda 1', 'Comanda 2', 'Comanda 3', 'Comanda 4']);
  });

  it('two folders created in the same second both sync, each message once (even one filed in both)', async () => {
    const validities = await withImap(async (imap) => {
      await Promise.all([imap.mailboxCreate('Proveidors'), imap.mailboxCreate('Factures')]);
      await imap.append('Proveidors', eml('Proveidor'));
      await imap.append('Factures', eml('Factura'));
      await imap.append('Factures', eml('Proveidor')); // the same message, filed twice
      const p = await imap.status('Proveidors', { uidValidity: true });
      const f = await imap.status('Factures', { uidValidity: true });
      return [p && String(p.uidValidity), f && String(f.uidValidity)];
    });
    // Dovecot 2.3 (maildir) gave these two different values; a server that gives both the same
    // one is fine too: checkpoints are per (folder name, UIDVALIDITY).
    expect(await poll(mailboxId)).toMatchObject({ logged: 2, logged_before: 1 });
    expect(await inboxSubjects()).toEqual([
      'A la safata',
      'Comanda 1',
      'Comanda 2',
      'Comanda 3',
      'Comanda 4',
      'Factura',
      'Proveidor',
    ]);
    const saved = (await deps.mailboxes.get(mailboxId))!.checkpoints;
    expect(
      saved
        .filter((c) => c.folder === 'Proveidors' || c.folder === 'Factures')
        .map((c) => [c.folder, c.uidvalidity, c.last_uid])
        .sort(),
    ).toEqual([
      ['Factures', validities[1], 2],
      ['Proveidors', validities[0], 1],
    ]);
    expect(await poll(mailboxId)).toMatchObject({ logged: 0, logged_before: 0 });
  });
});

describe('one run of the poll over many mailboxes', () => {
  it('polls several at once, the least recently polled first, and starts none past its deadline', async () => {
    const fresh: string[] = [];
    for (let i = 0; i < 5; i++) {
      const m = await connectMailbox(deps, call(), {
        host: dovecot.host,
        port: dovecot.port,
        tls: false,
        username: USER,
        password: PASSWORD,
      });
      fresh.push(m.id);
    }
    let open = 0;
    let most = 0;
    const counting: MailboxesDeps = {
      ...deps,
      imap: {
        connect: async (server) => {
          open++;
          most = Math.max(most, open);
          const session = await deps.imap.connect(server);
          await new Promise((r) => setTimeout(r, 100)); // the lanes overlap
          const counted: ImapSession = {
            folders: () => session.folders(),
            read: (folder, afterUid, max) => session.read(folder, afterUid, max),
            appendSent: (email) => session.appendSent(email),
            close: async () => {
              open--;
              await session.close();
            },
          };
          return counted;
        },
      },
    };
    // Each look at the clock is one tick: the deadline passes once four polls have started.
    let tick = 0;
    const first = await pollAllMailboxes(counting, system(), { concurrency: 3, now: () => tick++, startBefore: 4 });
    expect(first).toHaveLength(4);
    expect(first.every((o) => fresh.includes(o.mailbox_id) && o.outcome === 'polled')).toBe(true);
    expect(most).toBe(3);
    // The next run starts with the one left out (never polled), before those polled since.
    const [next] = await pollAllMailboxes(counting, system(), { concurrency: 1 });
    expect(next!.mailbox_id).toBe(fresh.find((id) => !first.some((o) => o.mailbox_id === id)));
  });
});
