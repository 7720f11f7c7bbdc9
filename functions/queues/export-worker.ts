import { newId } from '#shared/kernel/ids.ts';
import { EXPORT_QUEUE_MAX_RECEIVES, exportMessageSchema } from '#shared/exports/domain.ts';
import { exportAdapters } from '#shared/exports/runtime.ts';
import { exportListQueries } from '#shared/families.ts';
import { failExport, runExportSlice } from '#shared/exports/use-cases.ts';
import { sqsHandler } from '#shared/platform/consumers/batches.ts';
import { logger } from '#shared/platform/observability.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';

// The export queue's consumer: each message writes the next slice of an export (from its
// checkpoint) and queues the rest, or joins the parts and finishes it. A message that fails
// is reported as a batch item failure: SQS hands it out again after the visibility timeout;
// on its last receive the export is marked failed (with the error) before the message moves
// to the DLQ, so the requester is never left waiting on an export nothing works on.
const deps = exportAdapters(exportListQueries);
// Lists page with signed cursors; missing, the function fails at cold start, not mid-export.
requireEnv(RUNTIME_ENV.cursorSecret);

export const handler = sqsHandler({ name: 'export-worker', body: exportMessageSchema }, async (message, record) => {
  const events = { actor_id: 'system', correlation_id: message.export_id, now: deps.clock.now(), newId };
  try {
    const outcome = await runExportSlice(deps, events, message.export_id);
    logger.info('export slice', { export_id: message.export_id, outcome });
  } catch (error) {
    if (Number(record.attributes.ApproximateReceiveCount) >= EXPORT_QUEUE_MAX_RECEIVES) {
      await failExport(deps, events, message.export_id, `the export could not be written: ${(error as Error).message}`);
    }
    throw error;
  }
});
