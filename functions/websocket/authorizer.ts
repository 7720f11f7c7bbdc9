import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { redeemLiveTicket } from '#shared/live/use-cases.ts';
import { liveTicketAdapters } from '#shared/live/runtime.ts';
import { logger } from '#shared/platform/observability.ts';

// The WebSocket API's REQUEST authorizer on $connect: redeems the `ticket` query parameter
// (single use, 30 s; POST /notifications/live_ticket issued it) and hands its user to the
// routes as the authorizer context `user_id`. A refused ticket throws "Unauthorized", which
// API Gateway answers with 401 before any route runs. API Gateway itself answers 401 when the
// parameter is missing (it is the identity source).

const deps = liveTicketAdapters();

export const handler = async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const userId = await redeemLiveTicket(deps, event.queryStringParameters?.ticket);
  if (!userId) {
    logger.info('live ticket refused', { connectionId: event.requestContext.connectionId });
    throw new Error('Unauthorized');
  }
  return {
    principalId: userId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
    },
    context: { user_id: userId },
  };
};
