import { expect, it } from 'vitest';
import { lastUidOf, withCheckpoint } from '#shared/mailboxes/domain.ts';
import { SecretDerivedSealer } from '#shared/mailboxes/sealer.ts';
import type { CursorKeys } from '#shared/platform/dynamodb/cursor.ts';

// Sealed mailbox passwords across the cursor secret's rotations, and the folder checkpoints.

const rotating = () => {
  let keys: CursorKeys = { current: 'secret-a' };
  return {
    source: { load: async () => keys },
    rotate: (next: string) => (keys = { current: next, previous: keys.current }),
  };
};

it('seals with the current key, bound to its context; opens after one rotation as stale, not after two', async () => {
  const keys = rotating();
  const sealer = new SecretDerivedSealer(keys.source);
  const sealed = await sealer.seal('hunter2', 'mailbox:1:u1');
  expect(sealed).not.toContain('hunter2');
  expect(await sealer.open(sealed, 'mailbox:1:u1')).toEqual({ plain: 'hunter2', stale: false });
  await expect(sealer.open(sealed, 'mailbox:2:u1')).rejects.toThrow();
  keys.rotate('secret-b');
  expect(await sealer.open(sealed, 'mailbox:1:u1')).toEqual({ plain: 'hunter2', stale: true });
  const resealed = await sealer.seal('hunter2', 'mailbox:1:u1');
  keys.rotate('secret-c');
  await expect(sealer.open(sealed, 'mailbox:1:u1')).rejects.toThrow(/rotated twice/);
  expect(await sealer.open(resealed, 'mailbox:1:u1')).toEqual({ plain: 'hunter2', stale: true });
});

it('keys checkpoints by (folder, UIDVALIDITY): a new UIDVALIDITY reads from the start and replaces the old one', () => {
  const start = withCheckpoint([], { folder: 'INBOX', uidvalidity: '100', last_uid: 7 });
  expect(lastUidOf(start, 'INBOX', '100')).toBe(7);
  expect(lastUidOf(start, 'INBOX', '101')).toBe(0);
  expect(lastUidOf(start, 'Sent', '100')).toBe(0);
  expect(withCheckpoint(start, { folder: 'INBOX', uidvalidity: '101', last_uid: 2 })).toEqual([
    { folder: 'INBOX', uidvalidity: '101', last_uid: 2 },
  ]);
});
