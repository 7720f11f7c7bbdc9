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

export class CursorCodec {
  #key: Buffer | undefined;
  readonly #secret: () => string;

  /**
   * `secret` is the HMAC key (at least 16 characters), or a function that answers it on the
   * first encode or decode: a function that never pages a list then never needs the key, and
   * one that does but lacks it fails that request, naming what is missing, instead of its init.
   */
  constructor(secret: string | (() => string)) {
    if (typeof secret === 'string') {
      this.#key = keyOf(secret);
      this.#secret = () => secret;
    } else {
      this.#secret = secret;
    }
  }

  encode(state: CursorState): string {
    const body = Buffer.from(JSON.stringify(state)).toString('base64url');
    return `${body}.${this.#sign(body)}`;
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

  #sign(body: string): string {
    this.#key ??= keyOf(this.#secret());
    return createHmac('sha256', this.#key).update(body).digest('base64url');
  }

  #verify(body: string, signature: string): boolean {
    const expected = Buffer.from(this.#sign(body));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
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
