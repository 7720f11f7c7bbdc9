import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { outboxPublisherHandler } from '#shared/platform/dynamodb/outbox-stream.ts';
import { EventBridgePublisher } from '#shared/platform/eventbridge.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';

// Table stream (filtered to new outbox items) → the EventBridge bus; partial batch responses.
const publisher = new EventBridgePublisher({
  client: new EventBridgeClient({}),
  busName: requireEnv(RUNTIME_ENV.eventBusName),
});

export const handler = outboxPublisherHandler(publisher);
