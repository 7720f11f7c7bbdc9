import { activityWriterAdapters } from '#shared/activities/runtime.ts';
import { recordActivity } from '#shared/activities/use-cases.ts';
import { eventHandler } from '#shared/platform/consumers/events.ts';
import { logger } from '#shared/platform/observability.ts';

// Bus rule target: lead, contact, deal, note and task events → the activity feed (a read
// model). No event-id markers: the entry's own conditional put is the dedupe, so replaying the
// archive after the feed was deleted rebuilds it (markers would skip every replayed event).
const deps = activityWriterAdapters();

export const handler = eventHandler({ name: 'activity-feed', dedupe: false }, async (event) => {
  const outcome = await recordActivity(deps, event);
  logger.debug('activity recorded', { ...outcome });
});
