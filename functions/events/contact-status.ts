import { contactStatusAdapters } from '#shared/contacts/runtime.ts';
import { refreshContactStatuses } from '#shared/contacts/status.ts';
import { eventHandler } from '#shared/platform/consumers/events.ts';
import { logger } from '#shared/platform/observability.ts';

// Bus rule target: deal events → the prospect and customer statuses of the contacts involved.
const deps = contactStatusAdapters();

export const handler = eventHandler({ name: 'contact-status' }, async (event) => {
  const outcomes = await refreshContactStatuses(deps, event);
  logger.debug('contact statuses refreshed', { outcomes });
});
