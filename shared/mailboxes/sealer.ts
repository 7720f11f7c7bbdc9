import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { CursorKeySource } from '#shared/platform/dynamodb/cursor.ts';
import type { CredentialSealer } from './ports.ts';

// Mailbox passwords sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the
// deployment's Secrets Manager secret (the cursor secret: AWSCURRENT seals, AWSCURRENT and
// AWSPREVIOUS open). Not KMS envelope encryption yet. The secret rotates every 30 days: a
// password sealed under AWSPREVIOUS opens as `stale` and the poller seals it again under the
// current key, so a mailbox must be polled at least once between two rotations.
// Format: "v1.<key id>.<iv>.<tag>.<ciphertext>" (base64url); the key id is 8 hex of the key's SHA-256.

const INFO = 'crm mailbox credentials v1';

function derive(secret: string): { id: string; key: Buffer } {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), INFO, 32));
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key };
}

export class SecretDerivedSealer implements CredentialSealer {
  readonly #keys: CursorKeySource;
  constructor(keys: CursorKeySource) {
    this.#keys = keys;
  }

  async seal(plain: string, context: string): Promise<string> {
    const { id, key } = derive((await this.#keys.load()).current);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  async open(sealed: string, context: string): Promise<{ plain: string; stale: boolean }> {
    const [version, id, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !id || iv === undefined || tag === undefined || body === undefined)
      throw new Error('not a sealed credential');
    let keys = await this.#keys.load();
    let candidates = [keys.current, ...(keys.previous ? [keys.previous] : [])].map(derive);
    if (!candidates.some((k) => k.id === id)) {
      keys = await this.#keys.load({ refresh: true });
      candidates = [keys.current, ...(keys.previous ? [keys.previous] : [])].map(derive);
    }
    const index = candidates.findIndex((k) => k.id === id);
    if (index < 0)
      throw new Error('the key this credential was sealed with is gone (rotated twice since): connect the mailbox again');
    const decipher = createDecipheriv('aes-256-gcm', candidates[index]!.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    return { plain, stale: index > 0 };
  }
}
