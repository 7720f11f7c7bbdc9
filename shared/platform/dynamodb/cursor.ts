import { createHmac, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '#shared/kernel/errors.ts';

// Opaque list cursors: the position of each partition read, signed with HMAC and bound to
// the query that made them, so a cursor cannot be replayed against another query (another
// scope, filter or order) nor edited to read outside it.

export type Position = Record<string, unknown> | null | 'done';

export interface CursorState {
  /** Query fingerprint; see `bindQuery`. */
  q: string;
  /** Per partition: where the next page starts (null: from the top; "done": exhausted). */
  p: Record<string, Position>;
}

/** The keys cursors are signed with: `current` signs, `current` and `previous` verify. */
export interface CursorKeys {
  readonly current: string;
  /** The key before the last rotation, accepted while cursors it signed are still about. */
  readonly previous?: string;
}

/**
 * Where the keys come from at run time (Secrets Manager: cursor-keys.ts). `load` answers the
 * keys, from its cache unless `refresh` asks for the newest.
 */
export interface CursorKeySource {
  load(options?: { refresh?: boolean }): Promise<CursorKeys>;
}

export class CursorCodec {
  #keys: { current: Buffer; all: Buffer[] } | undefined;
  readonly #source: CursorKeySource | undefined;

  /**
   * Fixed keys (a string is the current key alone; tests and tools), or a source read on
   * `ready()`: a function that never pages a list then never reads the key, and one that does
   * but lacks it fails that request, naming what is missing, instead of its init. Keys have at
   * least 16 characters.
   */
  constructor(keys: string | CursorKeys | CursorKeySource) {
    if (typeof keys === 'string') this.#keys = keyring({ current: keys });
    else if ('load' in keys) this.#source = keys;
    else this.#keys = keyring(keys);
  }

  /** Loads the keys (cached by the source); call before `encode` or `decode`. */
  async ready(): Promise<void> {
    if (this.#source) this.#keys = keyring(await this.#source.load());
  }

  /**
   * Reloads the keys past the source's cache, after a cursor failed to verify: another
   * container may have signed it with a key rotated in since this one last loaded. Answers
   * whether the keys changed (so a retry can succeed).
   */
  async refresh(): Promise<boolean> {
    if (!this.#source) return false;
    const before = this.#keys?.all.map((k) => k.toString('base64')).join();
    this.#keys = keyring(await this.#source.load({ refresh: true }));
    return this.#keys.all.map((k) => k.toString('base64')).join() !== before;
  }

  /** Signs with the current key. */
  encode(state: CursorState): string {
    const body = Buffer.from(JSON.stringify(state)).toString('base64url');
    return `${body}.${sign(this.#loaded().current, body)}`;
  }

  /** Throws a 422 naming `query.cursor` when the cursor is forged, corrupt or from another query. */
  decode(cursor: string, expectedQuery: string): CursorState {
    const [body, signature, extra] = cursor.split('.');
    if (!body || !signature || extra !== undefined || !this.#verify(body, signature)) throw invalidCursor();
    let state: CursorState;
    try {
      state = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as CursorState;
    } catch {
      throw invalidCursor();
    }
    if (state.q !== expectedQuery || typeof state.p !== 'object' || state.p === null) throw invalidCursor();
    return state;
  }

  #loaded(): { current: Buffer; all: Buffer[] } {
    if (!this.#keys) throw new Error('cursor keys are not loaded: await CursorCodec.ready() first');
    return this.#keys;
  }

  /** Signed by any key still accepted (the current one, or the one before a rotation). */
  #verify(body: string, signature: string): boolean {
    const given = Buffer.from(signature);
    return this.#loaded().all.some((key) => {
      const expected = Buffer.from(sign(key, body));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }
}

function sign(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}

function keyring(keys: CursorKeys): { current: Buffer; all: Buffer[] } {
  const current = keyOf(keys.current);
  return { current, all: keys.previous ? [current, keyOf(keys.previous)] : [current] };
}

function keyOf(secret: string): Buffer {
  if (secret.length < 16) throw new Error('cursor secret must be at least 16 characters');
  return Buffer.from(secret);
}

/** The 422 for a cursor this list did not make (field query.cursor, code invalid_cursor). */
export function invalidCursor(): ValidationError {
  return ValidationError.field('query.cursor', 'is not a cursor returned by this list with these filters', {
    code: 'invalid_cursor',
  });
}

/** A short, stable fingerprint of everything that shapes a list query. */
export function bindQuery(shape: unknown): string {
  return createHmac('sha256', 'crm-query').update(JSON.stringify(shape)).digest('base64url').slice(0, 22);
}
