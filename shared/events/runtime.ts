import type { EventStreamDeps } from './use-cases.ts';
import { DynamoOutboxLog } from './dynamodb.ts';
import { crmTable } from '#shared/platform/runtime.ts';

// The event stream's adapters, built once per container.

let deps: EventStreamDeps | undefined;

export function eventStreamAdapters(): EventStreamDeps {
  deps ??= { outbox: new DynamoOutboxLog(crmTable()) };
  return deps;
}
