import { setImmediate } from 'node:timers';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent, Context } from 'aws-lambda';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { EventPublisher } from '#shared/kernel/ports.ts';
import { streamHandler } from '#shared/platform/consumers/batches.ts';
import { OUTBOX_KIND, tableSpec } from './table-spec.ts';

// The outbox publisher: table stream (new outbox items) → the bus. Each record is published on
// its own outcome, so a stream batch answers exactly the records whose event could not be put;
// Lambda retries from the earliest of them, so later ones may be delivered again, which
// consumers absorb by deduplicating on event_id.

/**
 * The domain event a stream record carries when it is a new outbox item; undefined for any
 * other record (the stream filter lets few through, but the image decides).
 * @throws SyntaxError when an outbox item's envelope is not JSON (a bug: the record fails).
 */
export function outboxEventOf(record: DynamoDBRecord): DomainEvent | undefined {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || !image) return undefined;
  // Only the kind and the envelope's JSON text are read: nothing else of the image matters.
  if (image[tableSpec.kindAttribute]?.S !== OUTBOX_KIND || image.event?.S === undefined) return undefined;
  return JSON.parse(image.event.S) as DomainEvent;
}

/** The event's id, type and correlation id, to name a record in the logs. */
export function outboxLogKeys(record: DynamoDBRecord): Record<string, unknown> {
  const metadata = outboxEventOf(record)?.metadata;
  return metadata
    ? { event_id: metadata.event_id, event_type: metadata.event_type, correlation_id: metadata.correlation_id }
    : {};
}

/**
 * An outbox event its schema rejects (shared/events/domain.ts): never put on the bus. The
 * record fails, so the stream's retries and then its on-failure queue keep it, and each
 * attempt logs the problems; the outbox item stays in the table for `npm run redrive` once fixed.
 */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
  readonly problems: readonly string[];
  constructor(event: DomainEvent, problems: readonly string[]) {
    super(
      `event ${event.metadata?.event_id} (${event.metadata?.event_type} v${event.metadata?.event_version}) breaks its schema: ${problems.join('; ')}`,
    );
    this.problems = problems;
  }
}

/** What an event breaks of its schema, one line per problem; empty when valid. */
export type EventCheck = (event: DomainEvent) => readonly string[];

/** An outbox event the bus refused, after the publisher's own retries. */
export class EventNotPublishedError extends Error {
  override readonly name = 'EventNotPublishedError';
}

/**
 * A record handler publishing the record's outbox event. Records handed over together (a
 * stream batch run in parallel) share PutEvents calls: events are gathered until the current
 * turn of the event loop ends, then published at once (the publisher splits them by 10), and
 * each record settles with its own event's outcome.
 */
export function outboxRecordPublisher(publisher: EventPublisher, check?: EventCheck): (record: DynamoDBRecord) => Promise<void> {
  let gathered: { event: DomainEvent; settle: (error?: Error) => void }[] = [];
  const flush = (): void => {
    const batch = gathered;
    gathered = [];
    publisher.publish(batch.map((g) => g.event)).then(
      ({ failedEventIds }) => {
        const failed = new Set(failedEventIds);
        for (const { event, settle } of batch) {
          const id = event.metadata.event_id;
          settle(failed.has(id) ? new EventNotPublishedError(`the bus refused event ${id}`) : undefined);
        }
      },
      (error: Error) => batch.forEach(({ settle }) => settle(error)),
    );
  };
  return async (record) => {
    const event = outboxEventOf(record);
    if (!event) return;
    const problems = check?.(event) ?? [];
    if (problems.length > 0) throw new InvalidEventError(event, problems);
    await new Promise<void>((resolve, reject) => {
      gathered.push({ event, settle: (error) => (error ? reject(error) : resolve()) });
      if (gathered.length === 1) setImmediate(flush);
    });
  };
}

/**
 * The Lambda handler of the table stream, publishing through `publisher` the events `check`
 * finds valid (all, without a check); an invalid event fails its record (InvalidEventError).
 */
export function outboxPublisherHandler(
  publisher: EventPublisher,
  check?: EventCheck,
): (event: DynamoDBStreamEvent, context?: Context) => Promise<DynamoDBBatchResponse> {
  return streamHandler(
    { name: 'outbox-publisher', parallel: true, logKeys: outboxLogKeys },
    outboxRecordPublisher(publisher, check),
  );
}
