import type { EventStreamDeps } from './use-cases.ts';
import { DynamoOutboxLog } from './dynamodb.ts';
import { crmTable } from '#shared/platform/runtime.ts';

// The event stream's adapters, built once per container.

let deps: EventStreamDeps | undefined;

export function eventStreamAdapters(): EventStreamDeps {
  // Set only by the local cloud's test settings (infra/local/environment.ts); AWS uses the default.
  const settle = process.env.CRM_EVENT_STREAM_SETTLE_SECONDS;
  deps ??= { outbox: new DynamoOutboxLog(crmTable()), ...(settle ? { settleSeconds: Number(settle) } : {}) };
  return deps;
}
