import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Clock } from '#shared/kernel/ports.ts';
import type { CursorKeys, CursorKeySource } from '#shared/platform/dynamodb/cursor.ts';

// The cursor HMAC key, read at run time from Secrets Manager (never from the function's
// configuration, where anyone allowed lambda:GetFunctionConfiguration could read it). Two
// versions count: AWSCURRENT signs, AWSCURRENT and AWSPREVIOUS verify, so a cursor issued just
// before a rotation still works after it (and no longer after the next one). Cached per
// container: about one pair of calls per cold start and per TTL.

/** How long a container trusts the keys it read (the rotation Lambda runs every 30 days). */
export const CURSOR_KEYS_TTL_MS = 5 * 60_000;
/** Least time between two reloads forced by unverifiable cursors, so forged ones cost no calls. */
export const CURSOR_KEYS_MIN_REFRESH_MS = 30_000;

export interface SecretsManagerCursorKeysOptions {
  /** Called on each read; may build the client lazily (the SDK module is loaded on first use). */
  client: () => SecretsManagerClient | Promise<SecretsManagerClient>;
  /** The secret's ARN or name; a function, so a missing variable fails the first list, not the init. */
  secretId: () => string;
  clock: Clock;
  ttlMs?: number;
  minRefreshMs?: number;
}

/** Keys from the secret's AWSCURRENT and AWSPREVIOUS versions, cached for `ttlMs`. */
export function secretsManagerCursorKeys(options: SecretsManagerCursorKeysOptions): CursorKeySource {
  const ttlMs = options.ttlMs ?? CURSOR_KEYS_TTL_MS;
  const minRefreshMs = options.minRefreshMs ?? CURSOR_KEYS_MIN_REFRESH_MS;
  let cached: { at: number; keys: Promise<CursorKeys> } | undefined;

  const read = async (): Promise<CursorKeys> => {
    const secretId = options.secretId();
    const client = await options.client();
    const [current, previous] = await Promise.all([
      stage(client, secretId, 'AWSCURRENT'),
      stage(client, secretId, 'AWSPREVIOUS'),
    ]);
    if (current === undefined) throw new Error(`secret ${secretId} has no AWSCURRENT value`);
    return previous === undefined ? { current } : { current, previous };
  };

  return {
    load({ refresh = false } = {}) {
      const now = options.clock.now().getTime();
      const age = cached ? now - cached.at : Infinity;
      if (!cached || age >= ttlMs || (refresh && age >= minRefreshMs)) {
        const keys = read();
        cached = { at: now, keys };
        // A failed read is not cached: the next request tries again.
        keys.catch(() => {
          if (cached?.keys === keys) cached = undefined;
        });
      }
      return cached.keys;
    },
  };
}

/** The version's string, or undefined when the secret has none with that label (AWSPREVIOUS before the first rotation). */
async function stage(client: SecretsManagerClient, secretId: string, versionStage: string): Promise<string | undefined> {
  // Loaded on the first read, not at init: calls that page no list never load it (a split chunk).
  const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: versionStage }));
    return out.SecretString;
  } catch (error) {
    if (versionStage !== 'AWSCURRENT' && (error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}
