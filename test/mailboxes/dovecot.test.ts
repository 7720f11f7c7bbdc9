import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startDovecot, type Dovecot } from './dovecot.ts';

// The test server itself: a password login, an appended message read back, a wrong password refused.

let dovecot: Dovecot;
beforeAll(async () => {
  dovecot = await startDovecot([{ username: 'rep1', password: 'secret-1' }]);
});
afterAll(async () => dovecot?.stop());

const client = (password: string) =>
  new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, auth: { user: 'rep1', pass: password }, logger: false });

test('a password login reads back an appended message', async () => {
  const imap = client('secret-1');
  await imap.connect();
  await imap.append(
    'INBOX',
    'From: a@example.com\r\nTo: rep1@example.com\r\nSubject: hi\r\nMessage-ID: <m1@example.com>\r\n\r\nbody\r\n',
  );
  const lock = await imap.getMailboxLock('INBOX');
  try {
    const found = [];
    for await (const m of imap.fetch('1:*', { envelope: true, uid: true })) found.push(m.envelope?.messageId);
    expect(found).toEqual(['<m1@example.com>']);
  } finally {
    lock.release();
  }
  await imap.logout();
});

test('a wrong password is refused', async () => {
  const imap = client('nope');
  await expect(imap.connect()).rejects.toThrow();
});
