import { notify } from '#shared/notifications/use-cases.ts';
import { notificationAdapters } from '#shared/notifications/runtime.ts';
import { liveUpdateAdapters } from '#shared/live/runtime.ts';
import { eventHandler } from '#shared/platform/consumers/events.ts';
import { logger } from '#shared/platform/observability.ts';

// Bus rule target: assignments of leads, deals and tasks → the new owner's notifications. No
// consumer markers: the store's own per-recipient marker, written in the item's transaction,
// dedupes exactly. Its rule refuses replayed events (notifying is a side effect). A written
// web item is pushed to the recipient's open WebSocket connections (shared/live).
const inbox = notificationAdapters();
const deps = { ...inbox, live: liveUpdateAdapters(inbox.store) };

export const handler = eventHandler({ name: 'notification-delivery', dedupe: false }, async (event) => {
  const outcome = await notify(deps, event);
  logger.debug('notification', { outcome });
});
