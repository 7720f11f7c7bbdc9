import { notify } from '#shared/notifications/use-cases.ts';
import { notifyRuleOwners } from '#shared/notifications/rule-use-cases.ts';
import { notificationAdapters, notificationRuleAdapters } from '#shared/notifications/runtime.ts';
import { liveUpdateAdapters } from '#shared/live/runtime.ts';
import { eventHandler } from '#shared/platform/consumers/events.ts';
import { logger } from '#shared/platform/observability.ts';

// Bus rule target: assignments of leads, deals and tasks → the new owner's notifications; and
// every user's notification rules (F2.2) on lead, contact, deal and task events → the rules'
// owners who may see the record. No consumer markers: the store's own per-recipient marker
// (per event, and per rule for a rule's match), written in the item's transaction, dedupes
// exactly. Its rule refuses replayed events (notifying is a side effect). A written web item
// (of a predefined kind or a rule's match) is pushed to the recipient's open WebSocket
// connections (shared/live).
const inbox = notificationAdapters();
const deps = { ...inbox, live: liveUpdateAdapters(inbox.store) };
const ruleDeps = { ...notificationRuleAdapters(), live: deps.live };

export const handler = eventHandler({ name: 'notification-delivery', dedupe: false }, async (event) => {
  const outcome = await notify(deps, event);
  const rules = await notifyRuleOwners(ruleDeps, event);
  logger.debug('notification', { outcome, rules });
});
