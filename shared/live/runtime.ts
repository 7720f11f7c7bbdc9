import { systemClock } from '#shared/kernel/ports.ts';
import type { LiveUpdates, NotificationStore } from '#shared/notifications/ports.ts';
import { logger } from '#shared/platform/observability.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { ApiGatewayConnectionPusher } from './apigateway.ts';
import { DynamoLiveConnections, DynamoLiveTickets } from './dynamodb.ts';
import { liveUpdates } from './use-cases.ts';

// Live delivery's wiring, built once per container.

/** The ticket store (the authorizer, the ticket route). */
export function liveTicketAdapters() {
  return { tickets: new DynamoLiveTickets(crmTable()), clock: systemClock };
}

/** The connection store (the $connect and $disconnect routes). */
export function liveConnectionAdapters() {
  return { connections: new DynamoLiveConnections(crmTable()), clock: systemClock };
}

/**
 * Pushes to the users' open connections through the WebSocket stage's management endpoint
 * (LIVE_CALLBACK_URL, given with the ManageConnections grant by the `live` need).
 */
export function liveUpdateAdapters(inbox: Pick<NotificationStore, 'get' | 'unreadCount'>): LiveUpdates {
  return liveUpdates({
    connections: new DynamoLiveConnections(crmTable()),
    pusher: new ApiGatewayConnectionPusher(requireEnv(RUNTIME_ENV.liveCallbackUrl)),
    inbox,
    clock: systemClock,
    onError: (error, context) => logger.warn('live push failed', { ...context, error: error as Error }),
  });
}
