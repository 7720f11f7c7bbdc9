import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { EventBridgePublisher } from '#shared/platform/eventbridge.ts';
import { logger } from '#shared/platform/observability.ts';
import { parseRedrivePayload, redriveOutbox, type RedriveReport } from '#shared/platform/redrive.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';

// Invoked by an operator (README "Operating"), never by an event source: republishes outbox
// events from the table to the bus. Payload (shared/platform/redrive.ts, redrivePayload):
//   {"from": "2026-12-01T00:00:00Z", "to": "2026-12-01T12:00:00Z", "types"?: ["deal.updated"], "dry_run"?: true}
//   {"event_ids": ["01JF..."], "dry_run"?: true}
// e.g. aws lambda invoke --function-name crm-<stage>-redrive --cli-binary-format raw-in-base64-out \
//        --payload '{"event_ids":["01JF..."]}' report.json
// The answer is the RedriveReport; a bad payload fails the invocation with RedriveRequestError.
const table = { client: dynamoDocumentClient(), name: requireEnv(RUNTIME_ENV.tableName) };
const publisher = new EventBridgePublisher({
  client: new EventBridgeClient({}),
  busName: requireEnv(RUNTIME_ENV.eventBusName),
});

export const handler = async (payload: unknown): Promise<RedriveReport> => {
  const request = parseRedrivePayload(payload);
  const report = await redriveOutbox({ table, publisher }, request);
  const { events: _listed, ...summary } = report;
  logger.info('redrive finished', { request: payload as Record<string, unknown>, ...summary });
  return report;
};
