import type { StoredAccessToken } from './domain.ts';

/** What a bearer token resolved to: its owner and its id. */
export interface TokenOwner {
  readonly token_id: string;
  readonly user_id: string;
}

/** Personal access tokens in the table. */
export interface AccessTokenRepository {
  /** Stores a new token and its hash lookup item in one transaction. */
  create(token: StoredAccessToken): Promise<void>;
  /** The user's tokens, oldest first (at most MAX_TOKENS_PER_USER). */
  listByUser(userId: string): Promise<StoredAccessToken[]>;
  get(id: string): Promise<StoredAccessToken | undefined>;
  /** Deletes the token and its hash item at once: the hash no longer resolves. */
  delete(token: StoredAccessToken): Promise<void>;
  /** The owner of the token whose secret hashes to `hash` (one GetItem), or undefined. */
  findByHash(hash: string): Promise<TokenOwner | undefined>;
  /** Sets last_used_at to `at` unless it was set less than a minute before (one conditional UpdateItem). */
  touch(id: string, at: Date): Promise<void>;
}

/** Random secrets and their hashes (node:crypto in runtime, fixed ones in tests). */
export interface TokenSecrets {
  /** A new secret: 64 hex characters. */
  generate(): string;
  /** SHA-256 of the secret, hex. */
  hash(secret: string): string;
}
