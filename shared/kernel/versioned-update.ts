import { VersionMismatchError } from './errors.ts';

// Optimistic concurrency, once for every family: records carry a `version`, writes are
// conditional on it, and a write that lost a race is recomputed from a fresh read.

/** How many times a change is recomputed after losing a race before the caller gets 412. */
export const WRITE_ATTEMPTS = 8;

/** Jittered linear backoff between attempts: up to 15 ms times the attempt number. */
const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 15 * attempt));

/**
 * Runs `run` again while it fails with VersionMismatchError (a conditional write lost a race),
 * at most `attempts` times with jittered backoff; rethrows the last error, and any other error
 * at once. For changes that recompute themselves from a fresh read on each run.
 */
export async function retryOnVersionMismatch<R>(run: (attempt: number) => Promise<R>, attempts = WRITE_ATTEMPTS): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(attempt);
    } catch (error) {
      if (!(error instanceof VersionMismatchError) || attempt >= attempts) throw error;
      await backoff(attempt);
    }
  }
}

/**
 * If-Match on a change that is not retried (deletes, status flips): VersionMismatchError with the
 * record as the API shows it when the caller named another version; nothing when it named none.
 */
export async function checkIfMatch<T extends { version: number }>(
  resource: string,
  id: string,
  record: T,
  ifMatch: number | undefined,
  present: (record: T) => unknown = (r) => r,
): Promise<void> {
  if (ifMatch !== undefined && ifMatch !== record.version) throw new VersionMismatchError(resource, id, await present(record));
}

/** One versioned change: how to read the record, how to change it, and how to show it in a 412. */
export interface VersionedUpdate<T extends { version: number }, R> {
  /** The resource's name in errors, e.g. "deal". */
  resource: string;
  id: string;
  /** Reads the record as the caller may change it (visibility checks included: NotFoundError, ForbiddenError). */
  load(): Promise<T>;
  /**
   * Computes the change from `before` and writes it conditionally on `before.version`; throws
   * VersionMismatchError when the record changed meanwhile. May return without writing.
   */
  apply(before: T): Promise<R>;
  /** The version named by If-Match: a mismatch is 412 at once, and a lost race is not retried. */
  ifMatch?: number | undefined;
  /** Reads the record as it is now, without checks, for the 412's `current` once retries run out. */
  reload(): Promise<T | undefined>;
  /** The record as the API shows it in a 412's `current` (the record itself by default). */
  present?(record: T): unknown;
  attempts?: number;
}

/**
 * The one optimistic-concurrency loop (RFC 9110 §13.1.1 If-Match): without If-Match a
 * concurrent change is merged by replaying the change on the new state, up to `attempts`
 * times; with If-Match the caller asked to fail instead. Either way a failure is
 * VersionMismatchError carrying the current record (412 with `current`).
 */
export async function updateVersioned<T extends { version: number }, R>(update: VersionedUpdate<T, R>): Promise<R> {
  const { resource, id, ifMatch, attempts = WRITE_ATTEMPTS } = update;
  const present = async (record: T | undefined) =>
    record === undefined ? null : update.present ? await update.present(record) : record;
  for (let attempt = 1; ; attempt++) {
    const before = await update.load();
    await checkIfMatch(resource, id, before, ifMatch, present);
    try {
      return await update.apply(before);
    } catch (error) {
      if (!(error instanceof VersionMismatchError)) throw error;
      if (ifMatch !== undefined || attempt >= attempts) {
        throw new VersionMismatchError(resource, id, await present(await update.reload()));
      }
      await backoff(attempt);
    }
  }
}
