import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { EventPublisher } from '#shared/kernel/ports.ts';
import { OUTBOX_KIND, tableSpec } from './table-spec.ts';

/**
 * Publishes the outbox items of a stream batch. A record whose event could not be put is
 * reported as a batch item failure: Lambda retries from the earliest failed record, so later
 * ones may be delivered again, which consumers absorb by deduplicating on event_id.
 */
export async function publishOutboxRecords(records: DynamoDBRecord[], publisher: EventPublisher): Promise<DynamoDBBatchResponse> {
  const events: { event: DomainEvent; sequence: string }[] = [];
  for (const record of records) {
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== 'INSERT' || !image) continue;
    // Only the kind and the envelope's JSON text are read: nothing else of the image matters.
    if (image[tableSpec.kindAttribute]?.S !== OUTBOX_KIND || image.event?.S === undefined) continue;
    events.push({ event: JSON.parse(image.event.S) as DomainEvent, sequence: record.dynamodb?.SequenceNumber ?? '' });
  }
  if (events.length === 0) return { batchItemFailures: [] };
  const { failedEventIds } = await publisher.publish(events.map((e) => e.event));
  const failed = new Set(failedEventIds);
  return {
    batchItemFailures: events.filter((e) => failed.has(e.event.metadata.event_id)).map((e) => ({ itemIdentifier: e.sequence })),
  };
}
