import type { EventBridgeEvent } from 'aws-lambda';
import { connectAdapters } from '#shared/calls/runtime.ts';
import { receiveConnectContactEvent } from '#shared/calls/connect.ts';
import { connectContactEventSchema } from '#shared/calls/domain.ts';
import { logger } from '#shared/platform/observability.ts';
import { runtimeClock, runtimeIds } from '#shared/platform/runtime.ts';

// Rule target on the default bus: Amazon Connect's contact events of the configured instance
// (the rule matches DISCONNECTED ones) → DescribeContact → a call on the lead or contact with
// that number, once per ContactId. Built at cold start: without the instance id it fails there.

const deps = connectAdapters();

export const handler = async (event: EventBridgeEvent<string, unknown>): Promise<string> => {
  const contact = connectContactEventSchema.parse(event);
  logger.appendKeys({ consumer: 'connect-calls', bus_event_id: event.id, contact_id: contact.detail.contactId });
  try {
    const result = await receiveConnectContactEvent(
      deps,
      { correlation_id: event.id, now: runtimeClock.now(), newId: runtimeIds },
      contact,
    );
    logger.info('contact event handled', { ...result });
    return result.outcome === 'logged' ? (result.created ? 'logged' : 'already_logged') : `ignored:${result.reason}`;
  } finally {
    logger.resetKeys();
  }
};
