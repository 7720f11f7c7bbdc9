import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { isPing } from '#shared/live/domain.ts';
import { closeLiveConnection, openLiveConnection } from '#shared/live/use-cases.ts';
import { liveConnectionAdapters } from '#shared/live/runtime.ts';

// The WebSocket API's routes: $connect keeps the connection under the user the authorizer
// found, $disconnect forgets it, and $default answers the heartbeat `{"action":"ping"}` with
// `{"type":"pong"}` (its route response sends the body back). API Gateway passes the
// authorizer's context to every route of the connection.

/** A WebSocket route's event, with the authorizer context $connect's authorizer returned. */
export type LiveRouteEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: APIGatewayProxyWebsocketEventV2['requestContext'] & { authorizer?: { user_id?: string } };
};

const deps = liveConnectionAdapters();

export const handler = async (event: LiveRouteEvent): Promise<APIGatewayProxyResultV2> => {
  const { routeKey, connectionId, authorizer } = event.requestContext;
  const userId = authorizer?.user_id;
  switch (routeKey) {
    case '$connect':
      // Only reachable through the authorizer; a missing user is a misconfigured route.
      if (!userId) return { statusCode: 403 };
      await openLiveConnection(deps, userId, connectionId);
      return { statusCode: 200 };
    case '$disconnect':
      // Without a user (never seen: API Gateway passes the context), the item expires with its
      // TTL, and a push before then gets GoneException and deletes it.
      if (userId) await closeLiveConnection(deps, userId, connectionId);
      return { statusCode: 200 };
    default:
      return isPing(event.body)
        ? { statusCode: 200, body: JSON.stringify({ type: 'pong' }) }
        : { statusCode: 400, body: JSON.stringify({ type: 'error', message: 'send {"action":"ping"} only' }) };
  }
};
