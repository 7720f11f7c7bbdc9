import type { EventBridgeEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { documentAdapters } from '#shared/documents/runtime.ts';
import { checkDocumentUpload } from '#shared/documents/use-cases.ts';
import { logger } from '#shared/platform/observability.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { runtimeClock, runtimeIds } from '#shared/platform/runtime.ts';

// Rule target on the default bus: S3's Object Created for a key under uploads/ of the files
// bucket → the upload check (size, sniffed type), which makes the document available or
// deletes the file and rejects it. Redeliveries find the upload gone and do nothing.

const deps = documentAdapters();
const bucket = requireEnv(RUNTIME_ENV.filesBucket);

/** What the check reads of S3's event (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html). */
const objectCreatedDetail = z.looseObject({
  bucket: z.looseObject({ name: z.string() }),
  object: z.looseObject({ key: z.string() }),
});

export const handler = async (event: EventBridgeEvent<string, unknown>): Promise<string> => {
  const detail = objectCreatedDetail.parse(event.detail);
  logger.appendKeys({ consumer: 'document-check', bus_event_id: event.id, key: detail.object.key });
  try {
    if (detail.bucket.name !== bucket) {
      logger.warn('an event of another bucket', { bucket: detail.bucket.name });
      return 'not_an_upload';
    }
    // S3 URL-encodes keys in events (a space as "+"); ours are plain ids.
    const key = decodeURIComponent(detail.object.key.replace(/\+/g, ' '));
    const outcome = await checkDocumentUpload(
      deps,
      { actor_id: 'system', correlation_id: event.id, now: runtimeClock.now(), newId: runtimeIds },
      key,
    );
    logger.info('upload checked', { outcome });
    return outcome;
  } finally {
    logger.resetKeys();
  }
};
