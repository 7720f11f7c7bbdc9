import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { EventBridgePublisher } from '#shared/platform/eventbridge.ts';
import { publishOutboxRecords } from '#shared/platform/dynamodb/outbox-stream.ts';

// Table stream (filtered to new outbox items) → EventBridge bus "crm".
const publisher = new EventBridgePublisher({
  client: new EventBridgeClient({}),
  busName: process.env.EVENT_BUS_NAME ?? 'crm',
});

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> =>
  publishOutboxRecords(event.Records, publisher);
