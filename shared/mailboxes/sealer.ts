import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { CursorKeySource } from '#shared/platform/dynamodb/cursor.ts';
import type { CredentialSealer } from './ports.ts';

// Mailbox credentials at rest.
//
// v2 (KmsEnvelopeSealer, what seals now): KMS envelope encryption. Each seal asks KMS for a
// fresh AES-256 data key (GenerateDataKey on the customer-managed credentials key) under an
// encryption context naming the credential's purpose and its mailbox and owner; the value is
// sealed locally with AES-256-GCM under the plaintext data key (never stored), and the data
// key's CiphertextBlob is stored beside it. Opening asks KMS to Decrypt the blob under the
// same context (another mailbox's context is refused by KMS itself: InvalidCiphertextException),
// so a dump of the table holds no plaintext and nothing that opens without the key. KMS's
// yearly rotation keeps old material: v2 values never go stale.
// Format: "v2.<data key blob>.<iv>.<tag>.<ciphertext>" (base64url).
//
// v1 (SecretDerivedSealer, opening only): AES-256-GCM under a key derived (HKDF-SHA256) from the
// cursor secret (AWSCURRENT and AWSPREVIOUS open). A v1 value opens as `stale`, and the poller
// reseals stale values, so every v1 value becomes v2 at its mailbox's next poll.
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

/** What every credential's encryption context says it is (key policies and grants may require it). */
export const CREDENTIAL_PURPOSE = 'crm-mailbox-credential';

/**
 * The KMS encryption context of a credential: its purpose, and what the port's `context` binds
 * it to (e.g. "mailbox:<id>:<owner id>"). Not secret: CloudTrail logs it with each KMS call.
 */
export function credentialEncryptionContext(context: string): Record<string, string> {
  return { purpose: CREDENTIAL_PURPOSE, credential: context };
}

/** Data keys from a key service (KMS): a fresh one, and opening a stored one under its context. */
export interface DataKeys {
  /** A fresh 32-byte key and its sealed form. @throws the service's error (AccessDenied, NotFound...) */
  generate(context: Readonly<Record<string, string>>): Promise<{ plain: Buffer; sealed: Buffer }>;
  /** @throws the service's InvalidCiphertextException when the context is not the one it was made with */
  decrypt(sealed: Buffer, context: Readonly<Record<string, string>>): Promise<Buffer>;
}

/** DataKeys on AWS KMS: GenerateDataKey (AES_256) and Decrypt on the one key `keyId` names (its ARN). */
export function kmsDataKeys(options: { keyId: () => string; client: () => Promise<KMSClient> }): DataKeys {
  const sdk = () => import('@aws-sdk/client-kms');
  return {
    async generate(context) {
      const { GenerateDataKeyCommand } = await sdk();
      const out = await (
        await options.client()
      ).send(new GenerateDataKeyCommand({ KeyId: options.keyId(), KeySpec: 'AES_256', EncryptionContext: { ...context } }));
      if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
      return { plain: Buffer.from(out.Plaintext), sealed: Buffer.from(out.CiphertextBlob) };
    },
    async decrypt(sealed, context) {
      const { DecryptCommand } = await sdk();
      // KeyId pins the key: a blob of another key is refused rather than opened with it.
      const out = await (
        await options.client()
      ).send(new DecryptCommand({ CiphertextBlob: sealed, KeyId: options.keyId(), EncryptionContext: { ...context } }));
      if (!out.Plaintext) throw new Error('KMS Decrypt returned no plaintext');
      return Buffer.from(out.Plaintext);
    },
  };
}

/**
 * Opened data keys kept in memory so that a warm poller does not ask KMS again for each mailbox
 * every 5 minutes. Bounded: at most `maxEntries` keys (the oldest go first) for at most `ttlMs`,
 * which also bounds how long a warm container still opens credentials after the key is disabled
 * or its grant removed. Each credential has its own data key, so an entry opens one credential.
 */
export const DATA_KEY_CACHE = { maxEntries: 1000, ttlMs: 15 * 60_000 } as const;

export interface KmsEnvelopeSealerOptions {
  readonly dataKeys: DataKeys;
  /** Opens v1 values (as stale); without it a v1 value is refused. */
  readonly legacy?: CredentialSealer;
  readonly cache?: { readonly maxEntries: number; readonly ttlMs: number };
  /** Milliseconds since the epoch (tests move it). */
  readonly now?: () => number;
}

/** Seals v2 values (KMS envelope encryption); opens v2, and v1 through `legacy` as stale. */
export class KmsEnvelopeSealer implements CredentialSealer {
  readonly #options: KmsEnvelopeSealerOptions;
  readonly #cache = new Map<string, { key: Buffer; expires: number }>();
  readonly #bounds: { readonly maxEntries: number; readonly ttlMs: number };
  readonly #now: () => number;

  constructor(options: KmsEnvelopeSealerOptions) {
    this.#options = options;
    this.#bounds = options.cache ?? DATA_KEY_CACHE;
    this.#now = options.now ?? Date.now;
  }

  async seal(plain: string, context: string): Promise<string> {
    const dataKey = await this.#options.dataKeys.generate(credentialEncryptionContext(context));
    try {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', dataKey.plain, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v2', dataKey.sealed, iv, cipher.getAuthTag(), body]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    } finally {
      dataKey.plain.fill(0);
    }
  }

  async open(sealed: string, context: string): Promise<{ plain: string; stale: boolean }> {
    if (sealed.startsWith('v1.')) {
      if (!this.#options.legacy) throw new Error('a v1 credential, and no v1 key to open it');
      return { plain: (await this.#options.legacy.open(sealed, context)).plain, stale: true };
    }
    const [version, blob, iv, tag, body, extra] = sealed.split('.');
    if (version !== 'v2' || !blob || !iv || !tag || body === undefined || extra !== undefined)
      throw new Error('not a sealed credential');
    const key = await this.#dataKey(blob, context);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    return { plain, stale: false };
  }

  async #dataKey(blob: string, context: string): Promise<Buffer> {
    // The context is part of the entry's name: a cached key never opens under another context.
    const name = `${context}\n${blob}`;
    const now = this.#now();
    const cached = this.#cache.get(name);
    if (cached && cached.expires > now) return cached.key;
    if (cached) this.#cache.delete(name);
    const key = await this.#options.dataKeys.decrypt(Buffer.from(blob, 'base64url'), credentialEncryptionContext(context));
    if (this.#bounds.maxEntries > 0) {
      while (this.#cache.size >= this.#bounds.maxEntries) {
        // Not zeroed: a concurrent open may still be using it.
        this.#cache.delete(this.#cache.keys().next().value as string);
      }
      this.#cache.set(name, { key, expires: now + this.#bounds.ttlMs });
    }
    return key;
  }
}
