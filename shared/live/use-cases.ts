import type { Call, Clock } from '#shared/kernel/ports.ts';
import type { LiveUpdates, NotificationStore } from '#shared/notifications/ports.ts';
import {
  CONNECTION_TTL_SECONDS,
  isTicketShaped,
  newTicket,
  ticketHash,
  TICKET_TTL_SECONDS,
  type LiveMessage,
  type LiveTicket,
} from './domain.ts';
import type { ConnectionPusher, LiveConnections, LiveTickets } from './ports.ts';

// Live delivery: tickets (HTTP), connections (the WebSocket routes) and pushes (after an inbox
// write or a read). See domain.ts for the protocol.

/**
 * POST /notifications/live_ticket: a new single-use ticket for the caller, good for
 * TICKET_TTL_SECONDS. The ticket itself is only ever in this answer; its hash is stored.
 */
export async function issueLiveTicket(deps: { tickets: LiveTickets; clock: Clock }, call: Call): Promise<LiveTicket> {
  const ticket = newTicket();
  const expires = new Date(deps.clock.now().getTime() + TICKET_TTL_SECONDS * 1000);
  await deps.tickets.issue(ticketHash(ticket), call.principal.user_id, expires);
  return { ticket, expires_at: expires.toISOString() };
}

/**
 * The $connect authorizer's decision: the ticket's user when the ticket is valid, unused and
 * unexpired (it is used up now), else undefined. Anything not shaped like a ticket is refused
 * without a table read.
 */
export async function redeemLiveTicket(
  deps: { tickets: LiveTickets; clock: Clock },
  ticket: unknown,
): Promise<string | undefined> {
  if (!isTicketShaped(ticket)) return undefined;
  return deps.tickets.consume(ticketHash(ticket), deps.clock.now());
}

/** $connect (after the authorizer): keeps the connection under its user for API Gateway's 2 h at most. */
export async function openLiveConnection(
  deps: { connections: LiveConnections; clock: Clock },
  userId: string,
  connectionId: string,
): Promise<void> {
  const expires = new Date(deps.clock.now().getTime() + CONNECTION_TTL_SECONDS * 1000);
  await deps.connections.add(userId, connectionId, expires);
}

/** $disconnect: forgets the connection. */
export async function closeLiveConnection(
  deps: { connections: LiveConnections },
  userId: string,
  connectionId: string,
): Promise<void> {
  await deps.connections.remove(userId, connectionId);
}

export interface LiveUpdateDeps {
  connections: LiveConnections;
  pusher: ConnectionPusher;
  /** Where the pushed item and count are read (after their commit). */
  inbox: Pick<NotificationStore, 'get' | 'unreadCount'>;
  clock: Clock;
  /** A push that failed for another reason than a closed connection (logged; nothing retries it). */
  onError: (error: unknown, context: { userId: string; connectionId?: string }) => void;
}

/**
 * The notifications' LiveUpdates over WebSocket connections. Best effort: nothing here throws,
 * because it runs after the inbox commit, which a retry would not redo (the delivery would be
 * a duplicate); a client that missed a push refetches the inbox when it reconnects.
 * Connections that answer GoneException are forgotten.
 */
export function liveUpdates(deps: LiveUpdateDeps): LiveUpdates {
  const push = async (userId: string, message: () => Promise<LiveMessage | undefined>): Promise<void> => {
    try {
      const connections = await deps.connections.of(userId, deps.clock.now());
      if (connections.length === 0) return;
      const body = await message();
      if (!body) return;
      await Promise.all(
        connections.map(async (connectionId) => {
          try {
            if ((await deps.pusher.post(connectionId, body)) === 'gone') await deps.connections.remove(userId, connectionId);
          } catch (error) {
            deps.onError(error, { userId, connectionId });
          }
        }),
      );
    } catch (error) {
      deps.onError(error, { userId });
    }
  };
  return {
    notificationWritten: (userId, id) =>
      push(userId, async () => {
        // Both read after the commit (consistent reads): the count includes the item.
        const [item, unreadCount] = await Promise.all([deps.inbox.get(userId, id), deps.inbox.unreadCount(userId)]);
        return item && { type: 'notification', item, unread_count: unreadCount };
      }),
    unreadCountChanged: (userId, unreadCount) => push(userId, async () => ({ type: 'unread_count', unread_count: unreadCount })),
  };
}
