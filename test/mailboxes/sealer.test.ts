import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecryptCommand, EncryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalKms, type LocalKms } from '#infra/local/kms.ts';
import { lastUidOf, withCheckpoint } from '#shared/mailboxes/domain.ts';
import { KmsEnvelopeSealer, kmsDataKeys, SecretDerivedSealer } from '#shared/mailboxes/sealer.ts';
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

describe('KMS envelope sealing (v2), through the real KMS client and the local KMS stand-in', () => {
  const scope = { accountId: '000000000000', region: 'eu-west-1' };
  let kms: LocalKms;
  let client: KMSClient;
  let dir: string;
  const keyId = 'credentials-key-test';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'crm-kms-'));
    kms = await startLocalKms({ scope, keys: [{ keyId, aliases: ['alias/crm-test-credentials'] }], file: join(dir, 'kms.json') });
    client = new KMSClient({
      endpoint: kms.endpoint,
      region: scope.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    client?.destroy();
    await kms?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const sealerOf = (options: Partial<ConstructorParameters<typeof KmsEnvelopeSealer>[0]> = {}) =>
    new KmsEnvelopeSealer({
      dataKeys: kmsDataKeys({ keyId: () => kms.arnOf(keyId), client: async () => client }),
      ...options,
    });

  it('seals with a fresh data key under the context; stores its blob, not the password; KMS refuses another context', async () => {
    const sealer = sealerOf();
    const sealed = await sealer.seal('hunter2', 'mailbox:1:u1');
    expect(sealed).toMatch(/^v2\.[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('hunter2');
    expect(sealed).not.toContain(Buffer.from('hunter2').toString('base64url'));
    // Each seal has its own data key: the same password seals differently.
    expect((await sealer.seal('hunter2', 'mailbox:1:u1')).split('.')[1]).not.toBe(sealed.split('.')[1]);
    expect(await sealer.open(sealed, 'mailbox:1:u1')).toEqual({ plain: 'hunter2', stale: false });
    // Another mailbox's context: KMS itself refuses the data key (a fresh sealer, no cache).
    await expect(sealerOf().open(sealed, 'mailbox:2:u1')).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    const generated = kms.calls.filter((c) => c.action === 'GenerateDataKey');
    expect(generated.at(-1)?.keyId).toBe(kms.arnOf(keyId));
  });

  it('opens a v1 value (the cursor secret) as stale; resealed, it is v2 and opens without the v1 key', async () => {
    const v1 = await new SecretDerivedSealer({ load: async () => ({ current: 'secret-a' }) }).seal('hunter2', 'mailbox:1:u1');
    const sealer = sealerOf({ legacy: new SecretDerivedSealer({ load: async () => ({ current: 'secret-a' }) }) });
    const opened = await sealer.open(v1, 'mailbox:1:u1');
    expect(opened).toEqual({ plain: 'hunter2', stale: true });
    const v2 = await sealer.seal(opened.plain, 'mailbox:1:u1');
    expect(v2).toMatch(/^v2\./);
    expect(await sealerOf().open(v2, 'mailbox:1:u1')).toEqual({ plain: 'hunter2', stale: false });
    await expect(sealerOf().open(v1, 'mailbox:1:u1')).rejects.toThrow(/v1/);
  });

  it('keeps opened data keys for at most ttlMs and maxEntries, so a warm poller asks KMS once per mailbox', async () => {
    let now = 0;
    const sealer = sealerOf({ cache: { maxEntries: 2, ttlMs: 1000 }, now: () => now });
    const a = await sealer.seal('pa', 'mailbox:a:u1');
    const b = await sealer.seal('pb', 'mailbox:b:u1');
    const c = await sealer.seal('pc', 'mailbox:c:u1');
    const decrypts = () => kms.calls.filter((call) => call.action === 'Decrypt').length;
    const before = decrypts();
    await sealer.open(a, 'mailbox:a:u1');
    await sealer.open(a, 'mailbox:a:u1');
    expect(decrypts() - before).toBe(1);
    now = 1001; // expired
    await sealer.open(a, 'mailbox:a:u1');
    expect(decrypts() - before).toBe(2);
    await sealer.open(b, 'mailbox:b:u1');
    await sealer.open(c, 'mailbox:c:u1'); // a is the oldest of three: evicted
    await sealer.open(a, 'mailbox:a:u1');
    expect(decrypts() - before).toBe(5);
  });

  it('keeps its key material in the state file: a restarted stand-in opens what was sealed before', async () => {
    const sealed = await sealerOf().seal('hunter2', 'mailbox:1:u1');
    const again = await startLocalKms({ scope, keys: [{ keyId }], file: join(dir, 'kms.json') });
    const other = new KMSClient({
      endpoint: again.endpoint,
      region: scope.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const sealer = new KmsEnvelopeSealer({
        dataKeys: kmsDataKeys({ keyId: () => again.arnOf(keyId), client: async () => other }),
      });
      expect(await sealer.open(sealed, 'mailbox:1:u1')).toEqual({ plain: 'hunter2', stale: false });
      // By alias too, as KMS accepts; a key it does not hold is NotFound.
      const viaAlias = await client.send(new GenerateDataKeyCommand({ KeyId: 'alias/crm-test-credentials', KeySpec: 'AES_256' }));
      expect(viaAlias.KeyId).toBe(kms.arnOf(keyId));
      await expect(other.send(new GenerateDataKeyCommand({ KeyId: 'nope', KeySpec: 'AES_256' }))).rejects.toMatchObject({
        name: 'NotFoundException',
      });
    } finally {
      other.destroy();
      await again.stop();
    }
  });

  it('answers Decrypt as KMS does: the blob names its key, a wrong KeyId or a tampered blob is refused', async () => {
    const made = await client.send(
      new GenerateDataKeyCommand({ KeyId: kms.arnOf(keyId), KeySpec: 'AES_256', EncryptionContext: { purpose: 'x' } }),
    );
    expect(made.Plaintext).toHaveLength(32);
    const opened = await client.send(
      new DecryptCommand({ CiphertextBlob: made.CiphertextBlob, EncryptionContext: { purpose: 'x' } }),
    );
    expect(Buffer.from(opened.Plaintext!).equals(Buffer.from(made.Plaintext!))).toBe(true);
    expect(opened.KeyId).toBe(kms.arnOf(keyId));
    await expect(client.send(new DecryptCommand({ CiphertextBlob: made.CiphertextBlob }))).rejects.toMatchObject({
      name: 'InvalidCiphertextException',
    });
    const tampered = Buffer.from(made.CiphertextBlob!);
    tampered[tampered.length - 1]! ^= 1;
    await expect(
      client.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: { purpose: 'x' } })),
    ).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    await expect(
      client.send(
        new DecryptCommand({
          CiphertextBlob: made.CiphertextBlob,
          KeyId: 'alias/crm-test-credentials-none',
          EncryptionContext: { purpose: 'x' },
        }),
      ),
    ).rejects.toMatchObject({ name: 'NotFoundException' });
    const sealed = await client.send(
      new EncryptCommand({ KeyId: kms.arnOf(keyId), Plaintext: Buffer.from('small'), EncryptionContext: { a: 'b' } }),
    );
    const back = await client.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { a: 'b' } }));
    expect(Buffer.from(back.Plaintext!).toString()).toBe('small');
  });
});
