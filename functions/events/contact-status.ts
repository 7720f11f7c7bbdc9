import type { EventBridgeEvent } from 'aws-lambda';
import { contactStatusAdapters } from '#shared/adapters/runtime-contacts.ts';
import { refreshContactStatuses } from '#shared/application/contact-status.ts';
import type { DomainEvent } from '#shared/domain/events.ts';

// Bus rule target: deal events → the prospect and customer statuses of the contacts involved.
const deps = contactStatusAdapters();

export const handler = async (event: EventBridgeEvent<string, DomainEvent>): Promise<void> => {
  await refreshContactStatuses(deps, event.detail);
};
