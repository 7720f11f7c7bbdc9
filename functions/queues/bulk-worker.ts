import { listContactsRoute } from '#shared/contacts/routes.ts';
import { listDealsRoute } from '#shared/deals/routes.ts';
import { listLeadsRoute } from '#shared/leads/routes.ts';
import { newId } from '#shared/kernel/ids.ts';
import { bulkMessageSchema } from '#shared/bulk-operations/domain.ts';
import { bulkOperationAdapters } from '#shared/bulk-operations/runtime.ts';
import { planBulkOperation, runBulkBatch } from '#shared/bulk-operations/use-cases.ts';
import { sqsHandler } from '#shared/platform/consumers/batches.ts';
import { logger } from '#shared/platform/observability.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';

// The bulk queue's consumer: a plan message selects an operation's records (its ids, or its
// filter through the list use case) and queues them in batches; a batch message acts on each
// record once, whatever the redeliveries, and records its counters once. A message that fails
// is reported as a batch item failure: SQS hands it out again and, past maxReceiveCount,
// parks it in the DLQ.
const deps = bulkOperationAdapters({
  leads: listLeadsRoute.query!,
  contacts: listContactsRoute.query!,
  deals: listDealsRoute.query!,
});
// Lists sign their cursors (a filter's pages): missing, it fails at cold start, not midway.
requireEnv(RUNTIME_ENV.cursorSecret);

export const handler = sqsHandler({ name: 'bulk-worker', body: bulkMessageSchema }, async (message) => {
  const events = { actor_id: 'system', correlation_id: message.operation_id, now: deps.clock.now(), newId };
  if (message.type === 'plan') {
    await planBulkOperation(deps, events, message.operation_id);
    logger.info('bulk operation planned', { operation_id: message.operation_id });
    return;
  }
  const counts = await runBulkBatch(deps, events, message);
  logger.info('bulk operation batch', { operation_id: message.operation_id, batch: message.batch, ...counts });
});
