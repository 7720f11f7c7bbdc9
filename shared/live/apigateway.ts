import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import type { LiveMessage } from './domain.ts';
import type { ConnectionPusher } from './ports.ts';

/**
 * PostToConnection through API Gateway's management API: `endpoint` is the WebSocket stage's
 * callback URL (https://<api>.execute-api.<region>.amazonaws.com/<stage>), which the SDK signs
 * for execute-api (execute-api:ManageConnections on the stage's connections).
 */
export class ApiGatewayConnectionPusher implements ConnectionPusher {
  readonly #client: ApiGatewayManagementApiClient;
  constructor(endpoint: string) {
    // One attempt: a push is best effort, and a slow retry would delay the other connections.
    this.#client = new ApiGatewayManagementApiClient({ endpoint, maxAttempts: 1 });
  }

  async post(connectionId: string, message: LiveMessage): Promise<'sent' | 'gone'> {
    try {
      await this.#client.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: new TextEncoder().encode(JSON.stringify(message)) }),
      );
      return 'sent';
    } catch (error) {
      if (error instanceof GoneException) return 'gone';
      throw error;
    }
  }
}
