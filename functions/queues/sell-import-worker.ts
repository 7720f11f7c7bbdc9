import { newId } from '#shared/kernel/ids.ts';
import { SELL_IMPORT_QUEUE_MAX_RECEIVES, sellImportMessageSchema } from '#shared/sell-import/domain.ts';
import { failSellImport, runSellImportSlice } from '#shared/sell-import/jobs.ts';
import { sellImportJobsAdapters } from '#shared/sell-import/runtime.ts';
import { sqsHandler } from '#shared/platform/consumers/batches.ts';
import { logger } from '#shared/platform/observability.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';

// The Sell import queue's consumer: each message runs the next slice of an import under its
// lease (a duplicate finds the lease held and leaves) and queues the rest, or finishes it. A
// message that fails is reported as a batch item failure: SQS hands it out again after the
// visibility timeout (the slice resumes at its last checkpoint); on its last receive the import
// is marked failed (with the error) before the message moves to the DLQ.
// The token opens with the credentials key (KMS; required by the adapters at once); users and
// lists are paged with the cursor key: without either, fail at cold start.
const deps = sellImportJobsAdapters();
requireEnv(RUNTIME_ENV.cursorSecret);

export const handler = sqsHandler({ name: 'sell-import-worker', body: sellImportMessageSchema }, async (message, record) => {
  const events = { actor_id: 'system', correlation_id: message.import_id, now: deps.clock.now(), newId };
  try {
    // The delivery names the lease: a redelivery of this message is another holder.
    const holder = `${record.messageId}:${record.attributes.ApproximateReceiveCount}`;
    const outcome = await runSellImportSlice(deps, events, message.import_id, holder);
    logger.info('sell import slice', { import_id: message.import_id, outcome });
  } catch (error) {
    if (Number(record.attributes.ApproximateReceiveCount) >= SELL_IMPORT_QUEUE_MAX_RECEIVES) {
      await failSellImport(deps, events, message.import_id, `the import could not go on: ${(error as Error).message}`);
    }
    throw error;
  }
});
