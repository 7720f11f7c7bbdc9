import { newId } from '#shared/kernel/ids.ts';
import { importMessageSchema } from '#shared/imports/domain.ts';
import { importAdapters } from '#shared/imports/runtime.ts';
import { importBatch, planImport } from '#shared/imports/use-cases.ts';
import { sqsHandler } from '#shared/platform/consumers/batches.ts';
import { logger } from '#shared/platform/observability.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';

// The import queue's consumer: a plan message splits a started import's file into batch
// messages; a batch message writes its rows (each at most once, whatever the redeliveries) and
// records its counters. A message that fails is reported as a batch item failure: SQS hands it
// out again after the visibility timeout and, past maxReceiveCount, parks it in the DLQ.
const deps = importAdapters();
// What only some rows need (matching by e-mail searches, and Table.page loads the cursor key; a
// deal takes the account's currency): missing, it fails the function at cold start, not an
// import halfway through.
requireEnv(RUNTIME_ENV.cursorSecret);
requireEnv(RUNTIME_ENV.accountDefaults);

export const handler = sqsHandler({ name: 'import-worker', body: importMessageSchema }, async (message) => {
  const events = { actor_id: 'system', correlation_id: message.import_id, now: deps.clock.now(), newId };
  if (message.type === 'plan') {
    await planImport(deps, events, message.import_id);
    logger.info('import planned', { import_id: message.import_id });
    return;
  }
  const started = performance.now();
  const result = await importBatch(deps, events, message);
  logger.info('import batch', {
    import_id: message.import_id,
    batch: message.batch,
    rows: message.rows.length,
    created: result?.created,
    failed: result?.failed,
    // Rows per second of this batch alone (the import's own rate also waits on the queue).
    duration_ms: Math.round(performance.now() - started),
  });
});
