import type { LiveMessage } from './domain.ts';

/** Issued tickets, by hash, each good for one connection until it expires. */
export interface LiveTickets {
  /** Stores the ticket's hash for `userId` until `expiresAt`. */
  issue(hash: string, userId: string, expiresAt: Date): Promise<void>;
  /**
   * Takes the ticket: deleted on the condition that it exists and `now` is before its expiry, so
   * of two concurrent uses at most one gets the user.
   * @returns its user, or undefined when unknown, used already or expired
   */
  consume(hash: string, now: Date): Promise<string | undefined>;
}

/** Each user's open WebSocket connections (ids API Gateway gave them). */
export interface LiveConnections {
  /** Keeps the connection under its user until `expiresAt` (API Gateway closes it by then). */
  add(userId: string, connectionId: string, expiresAt: Date): Promise<void>;
  /** Forgets the connection (idempotent). */
  remove(userId: string, connectionId: string): Promise<void>;
  /** The user's connections not expired at `now`. */
  of(userId: string, now: Date): Promise<string[]>;
}

/** Sends to one connection (API Gateway's PostToConnection). */
export interface ConnectionPusher {
  /**
   * @returns 'gone' when the connection no longer exists (410 GoneException)
   * @throws on any other failure (throttling, access denied...)
   */
  post(connectionId: string, message: LiveMessage): Promise<'sent' | 'gone'>;
}
