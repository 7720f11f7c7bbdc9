import type { EventBridgeEvent } from 'aws-lambda';
import { contactStatusAdapters } from '#shared/contacts/runtime.ts';
import { refreshContactStatuses } from '#shared/contacts/status.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';

// Bus rule target: deal events → the prospect and customer statuses of the contacts involved.
const deps = contactStatusAdapters();

export const handler = async (event: EventBridgeEvent<string, DomainEvent>): Promise<void> => {
  await refreshContactStatuses(deps, event.detail);
};
