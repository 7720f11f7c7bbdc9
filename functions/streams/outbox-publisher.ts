import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { eventProblems } from '#shared/events/domain.ts';
import { outboxPublisherHandler } from '#shared/platform/dynamodb/outbox-stream.ts';
import { EventBridgePublisher } from '#shared/platform/eventbridge.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';

// Table stream (filtered to new outbox items) → the EventBridge bus; partial batch responses.
// Each event is checked against its schema first: an invalid one fails its record, never reaches the bus.
const publisher = new EventBridgePublisher({
  client: new EventBridgeClient({}),
  busName: requireEnv(RUNTIME_ENV.eventBusName),
});

export const handler = outboxPublisherHandler(publisher, eventProblems);
