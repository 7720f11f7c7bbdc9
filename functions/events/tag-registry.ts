import * as z from 'zod/mini';
import { eventHandler } from '#shared/platform/consumers/events.ts';
import { logger } from '#shared/platform/observability.ts';
import { tagRegistry } from '#shared/sell-facade/runtime.ts';
import { registerRecordTags } from '#shared/sell-facade/use-cases.ts';

// Bus rule target: lead, contact and deal creates and updates that carry tags → the /v2 tag
// registry, so GET /v2/tags lists tags written through the native API and the web app too.
// Idempotent by itself (a name is claimed once, conditionally; a redelivery finds it claimed),
// so the generic delivery marker is off: it cost two writes per event, every row of an import.
const registry = tagRegistry();

/** What it reads of the record (a tolerant reader: other fields pass unchecked). */
const taggedRecord = z.object({ owner_id: z.string(), tags: z.array(z.string()) });

export const handler = eventHandler({ name: 'tag-registry', data: taggedRecord, dedupe: false }, async (event) => {
  const registered = await registerRecordTags(registry, event);
  logger.debug('tags registered', { registered });
});
