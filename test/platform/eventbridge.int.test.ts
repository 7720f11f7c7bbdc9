import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domainEvent, type DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { EventBridgePublisher } from '#shared/platform/eventbridge.ts';
import { outboxPublisherHandler } from '#shared/platform/dynamodb/outbox-stream.ts';
import { outboxItem } from '#shared/platform/dynamodb/table.ts';
import { LocalEventBus, serveLocalBus, type BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Server } from 'node:http';

// The publisher with the real EventBridge client, against the local bus on the wire.

/** A bus that refuses the first attempt of some entries, as EventBridge may under load. */
class FlakyBus extends LocalEventBus {
  readonly batches: number[] = [];
  readonly refuseOnce = new Set<string>();
  override put(entries: Parameters<LocalEventBus['put']>[0]) {
    this.batches.push(entries.length);
    const refused = entries.map((e) => {
      const id = (JSON.parse(e.Detail ?? '{}') as DomainEvent).metadata?.event_id;
      return id !== undefined && this.refuseOnce.delete(id);
    });
    const accepted = super.put(entries.filter((_, i) => !refused[i]));
    let next = 0;
    const results = refused.map((r) =>
      r ? { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' } : accepted.Entries[next++]!,
    );
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }
}

const received: BusEvent[] = [];
const bus = new FlakyBus({ rules: [{ name: 'all', pattern: { source: ['crm'] }, target: async (e) => void received.push(e) }] });
let server: Server;
let publisher: EventBridgePublisher;

beforeAll(async () => {
  const served = await serveLocalBus(bus);
  server = served.server;
  const client = new EventBridgeClient({
    endpoint: served.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  publisher = new EventBridgePublisher({ client, busName: 'crm', backoffMs: 1 });
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const ctx = () => ({ actor_id: 'u1', correlation_id: 'c1', now: new Date(), newId: () => newId() });
const event = (i: number) => domainEvent(ctx(), 'thing.created', { resource_type: 'thing', resource_id: `T${i}` }, { i });

const record = (item: Record<string, unknown>, sequence: string, eventName: 'INSERT' | 'MODIFY' = 'INSERT'): DynamoDBRecord => ({
  eventName,
  dynamodb: { SequenceNumber: sequence, NewImage: marshall(item) as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'] },
});

describe('outbox publisher', () => {
  it('puts 23 events in batches of at most 10, retries refused entries, and delivers each once', async () => {
    const events = Array.from({ length: 23 }, (_, i) => event(i));
    bus.refuseOnce.add(events[3]!.metadata.event_id);
    bus.refuseOnce.add(events[17]!.metadata.event_id);
    const { failedEventIds } = await publisher.publish(events);
    await bus.idle();
    expect(failedEventIds).toEqual([]);
    expect(Math.max(...bus.batches)).toBeLessThanOrEqual(10);
    const ids = received.map((e) => (e.detail as DomainEvent).metadata.event_id);
    expect(new Set(ids)).toEqual(new Set(events.map((e) => e.metadata.event_id)));
    expect(ids).toHaveLength(23);
    const first = received.find((e) => (e.detail as DomainEvent).metadata.event_id === events[0]!.metadata.event_id)!;
    expect(first).toMatchObject({ source: 'crm', 'detail-type': 'thing.created', detail: events[0] });
  });

  it('reads only new outbox items from a stream batch, publishes them together, and reports the records it could not publish', async () => {
    received.length = 0;
    const [a, b] = [event(100), event(101)];
    const calls: string[][] = [];
    const refusing = {
      publish: async (list: DomainEvent[]) => {
        calls.push(list.map((e) => e.metadata.event_id));
        return { failedEventIds: list.map((e) => e.metadata.event_id).filter((id) => id === b.metadata.event_id) };
      },
    };
    const now = Math.floor(Date.now() / 1000);
    const out = await outboxPublisherHandler(refusing)({
      Records: [
        record({ pk: 'deal#1', sk: 'deal', kind: 'deal' }, '1'),
        record(outboxItem(a, now), '2'),
        record(outboxItem(b, now), '3'),
        record(outboxItem(event(102), now), '4', 'MODIFY'),
      ],
    });
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: '3' }] });
    // One PutEvents for the batch's two outbox events, not one per record.
    expect(calls).toEqual([[a.metadata.event_id, b.metadata.event_id]]);
    const published = await outboxPublisherHandler(publisher)({ Records: [record(outboxItem(a, now), '5')] });
    await bus.idle();
    expect(published.batchItemFailures).toEqual([]);
    expect(received.map((e) => (e.detail as DomainEvent).metadata.event_id)).toEqual([a.metadata.event_id]);
  });
});
