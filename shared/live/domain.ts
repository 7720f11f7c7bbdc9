import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod/mini';
import type { Notification } from '#shared/notifications/domain.ts';

// Live delivery of notifications (F2.3) over a WebSocket API. A browser cannot send headers on
// a WebSocket, so it first asks the authenticated HTTP API for a ticket: a random secret, good
// for one connection within TICKET_TTL_SECONDS, passed as `?ticket=` (never the Cognito token
// in a URL, where proxies and access logs keep it). Only the ticket's hash is stored, so a
// table read leaks no usable ticket. A connection is kept under its user for at most
// CONNECTION_TTL_SECONDS, API Gateway's own limit; clients ping (`{"action":"ping"}`) at least
// every PING_INTERVAL_MAX_SECONDS to stay under its idle limit, and reconnect (with a new
// ticket) when closed, refetching the inbox: a push is a hint, the inbox is the truth.

/** The query parameter a ticket is passed in (the authorizer's identity source). */
export const LIVE_TICKET_PARAMETER = 'ticket';
/** Seconds a ticket stays usable after it was issued. */
export const TICKET_TTL_SECONDS = 30;
/** Random bytes in a ticket (256 bits: guessing one is hopeless within its 30 s). */
export const TICKET_BYTES = 32;
/** API Gateway closes a WebSocket connection after 2 hours, whatever happens on it. */
export const CONNECTION_TTL_SECONDS = 2 * 3600;
/** API Gateway closes a connection idle for 10 minutes: clients ping at least this often. */
export const PING_INTERVAL_MAX_SECONDS = 9 * 60;

/** A new ticket: TICKET_BYTES random bytes, base64url (43 characters). */
export function newTicket(): string {
  return randomBytes(TICKET_BYTES).toString('base64url');
}

/** What a ticket is stored and looked up by: its SHA-256, hex (a hash, so the table holds no usable ticket). */
export function ticketHash(ticket: string): string {
  return createHash('sha256').update(ticket, 'utf8').digest('hex');
}

/** A string that may be a ticket (anything else is refused before any table read). */
export function isTicketShaped(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);
}

/** POST /notifications/live_ticket's answer. */
export const liveTicketSchema = z.object({
  ticket: z.string().check(z.describe('Pass as ?ticket= when opening the WebSocket; good for one connection')),
  expires_at: z.string().check(z.describe('ISO 8601: the ticket is refused after this instant')),
});
export type LiveTicket = z.output<typeof liveTicketSchema>;

/** What the server pushes to a user's open connections (JSON text frames). */
export type LiveMessage =
  /** A notification was written or grouped into an item: the item as it now is, and the unread count. */
  | { type: 'notification'; item: Notification; unread_count: number }
  /** The unread count changed (read, read all, archive, perhaps in another tab). */
  | { type: 'unread_count'; unread_count: number }
  /** The answer to a client's `{"action":"ping"}`. */
  | { type: 'pong' };

/** What a client may send: only the heartbeat. */
export function isPing(body: string | undefined | null): boolean {
  if (!body) return false;
  try {
    const parsed = JSON.parse(body) as { action?: unknown };
    return parsed !== null && typeof parsed === 'object' && parsed.action === 'ping';
  } catch {
    return false;
  }
}
