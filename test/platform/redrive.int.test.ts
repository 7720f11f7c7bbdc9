import type { Server } from 'node:http';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEventBus, serveLocalBus, type BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { domainEvent, type DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { EventBridgePublisher } from '#shared/platform/eventbridge.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import {
  failureRecordTarget,
  MAX_REDRIVE_DAYS,
  parseRedrivePayload,
  redriveOutbox,
  RedriveRequestError,
  type RedriveReport,
} from '#shared/platform/redrive.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';

// Redrive republishes outbox events from the table: by occurred_at window (the outbox's
// per-day partitions in gsi2) or by id, through the real EventBridge client to the local bus.

const received: BusEvent[] = [];
const bus = new LocalEventBus({
  rules: [{ name: 'all', pattern: { source: ['crm'] }, target: async (e) => void received.push(e) }],
});
let server: Server;
let busEndpoint: string;
let table: Table;
let publisher: EventBridgePublisher;

const at = (iso: string, type = 'thing.updated'): DomainEvent =>
  domainEvent(
    { actor_id: 'u1', correlation_id: 'c1', now: new Date(iso), newId: () => newId() },
    type,
    { resource_type: 'thing', resource_id: newId() },
    { at: iso },
  );
// Around midnight of 2026-03-01/02 (UTC), so a window spans two day partitions.
const events = [
  at('2026-03-01T10:00:00.000Z'),
  at('2026-03-01T23:59:59.999Z'),
  at('2026-03-02T00:00:00.000Z', 'deal.updated'),
  at('2026-03-02T08:30:00.000Z'),
  at('2026-03-03T00:00:00.000Z'),
];
const ids = (list: DomainEvent[]) => list.map((e) => e.metadata.event_id);
const receivedIds = () => received.map((e) => (e.detail as DomainEvent).metadata.event_id);

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName);
  for (const event of events) await table.write([], [event]);
  const served = await serveLocalBus(bus);
  server = served.server;
  busEndpoint = served.endpoint;
  publisher = new EventBridgePublisher({
    client: new EventBridgeClient({
      endpoint: busEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    }),
    busName: 'crm',
    backoffMs: 1,
  });
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function redrive(request: Parameters<typeof redriveOutbox>[1]): Promise<RedriveReport> {
  received.length = 0;
  const report = await redriveOutbox({ table, publisher }, request);
  await bus.idle();
  return report;
}

describe('redrive', () => {
  it('republishes the events that occurred in a window, bounds included, across day partitions, in time order', async () => {
    const report = await redrive({ from: new Date('2026-03-01T23:59:59.999Z'), to: new Date('2026-03-02T08:30:00Z') });
    expect(report).toEqual({ found: 3, published: 3, failed_event_ids: [], missing_event_ids: [], dry_run: false });
    expect(receivedIds()).toEqual(ids(events.slice(1, 4)));
    expect(received[0]).toMatchObject({ source: 'crm', 'detail-type': 'thing.updated', detail: events[1] });
  });

  it('narrows a window to some event types', async () => {
    const report = await redrive({
      from: new Date('2026-03-01T00:00:00Z'),
      to: new Date('2026-03-03T23:00:00Z'),
      types: ['deal.updated'],
    });
    expect(report.found).toBe(1);
    expect(receivedIds()).toEqual([events[2]!.metadata.event_id]);
  });

  it('republishes events by id and names the ids it did not find', async () => {
    const report = await redrive({ eventIds: [events[4]!.metadata.event_id, 'NO-SUCH-EVENT', events[0]!.metadata.event_id] });
    expect(report).toMatchObject({ found: 2, published: 2, missing_event_ids: ['NO-SUCH-EVENT'] });
    expect(receivedIds()).toEqual([events[4]!.metadata.event_id, events[0]!.metadata.event_id]);
  });

  it('lists without publishing on a dry run', async () => {
    const report = await redrive({
      from: new Date('2026-03-01T00:00:00Z'),
      to: new Date('2026-03-01T23:59:59.999Z'),
      dryRun: true,
    });
    expect(report).toMatchObject({ found: 2, published: 0, dry_run: true });
    expect(report.events).toEqual(
      events
        .slice(0, 2)
        .map((e) => ({ event_id: e.metadata.event_id, event_type: 'thing.updated', occurred_at: e.metadata.occurred_at })),
    );
    expect(received).toEqual([]);
  });

  it('reports the events the bus refused, so they can be redriven again', async () => {
    const refusing = { publish: async (list: DomainEvent[]) => ({ failedEventIds: [list[0]!.metadata.event_id] }) };
    const report = await redriveOutbox({ table, publisher: refusing }, { eventIds: ids(events.slice(0, 2)) });
    expect(report).toMatchObject({ found: 2, published: 1, failed_event_ids: [events[0]!.metadata.event_id] });
  });

  it('refuses reversed and overlong windows, and payloads that are neither ids nor a window', async () => {
    await expect(redrive({ from: new Date('2026-03-02T00:00:00Z'), to: new Date('2026-03-01T00:00:00Z') })).rejects.toThrow(
      RedriveRequestError,
    );
    const long = {
      from: new Date('2026-03-01T00:00:00Z'),
      to: new Date(Date.parse('2026-03-01T00:00:00Z') + (MAX_REDRIVE_DAYS + 1) * 86_400_000),
    };
    await expect(redrive(long)).rejects.toThrow(/at most/);
    expect(() => parseRedrivePayload({ from: 'yesterday', to: '2026-03-01T00:00:00Z' })).toThrow(RedriveRequestError);
    expect(() => parseRedrivePayload({ event_ids: [] })).toThrow(RedriveRequestError);
    expect(() => parseRedrivePayload({ event_ids: ['a'], from: '2026-03-01T00:00:00Z' })).toThrow(RedriveRequestError);
    expect(
      parseRedrivePayload({ from: '2026-03-01T00:00:00Z', to: '2026-03-02T00:00:00Z', types: ['a.b'], dry_run: true }),
    ).toEqual({
      from: new Date('2026-03-01T00:00:00Z'),
      to: new Date('2026-03-02T00:00:00Z'),
      types: ['a.b'],
      dryRun: true,
    });
  });

  it('runs as the operator Lambda (functions/ops/redrive.ts) with its payload', async () => {
    Object.assign(process.env, { EVENT_BUS_NAME: 'crm', AWS_ENDPOINT_URL_EVENTBRIDGE: busEndpoint });
    const { handler } = await import('#functions/ops/redrive.ts');
    received.length = 0;
    const report = await handler({ event_ids: [events[3]!.metadata.event_id] });
    await bus.idle();
    expect(report).toMatchObject({ found: 1, published: 1 });
    expect(receivedIds()).toEqual([events[3]!.metadata.event_id]);
    await expect(handler({ from: '2026-03-01' })).rejects.toThrow(RedriveRequestError);
  });

  it('reads what an on-failure or DLQ message points at: an event, or the window of a stream batch', () => {
    const event = { id: 'bus-id', detail: events[0] };
    expect(failureRecordTarget(JSON.stringify({ version: '1.0', requestPayload: event }))).toEqual({
      eventId: events[0]!.metadata.event_id,
    });
    expect(failureRecordTarget(JSON.stringify(event))).toEqual({ eventId: events[0]!.metadata.event_id });
    expect(
      failureRecordTarget(
        JSON.stringify({
          DDBStreamBatchInfo: {
            approximateArrivalOfFirstRecord: '2026-03-01T10:05:00.000Z',
            approximateArrivalOfLastRecord: '2026-03-01T10:06:00.000Z',
          },
        }),
      ),
    ).toEqual({ from: new Date('2026-03-01T10:00:00.000Z'), to: new Date('2026-03-01T10:06:00.000Z') });
    for (const body of ['not json', 'null', '{}', JSON.stringify({ requestPayload: { detail: {} } })])
      expect(failureRecordTarget(body)).toBeUndefined();
  });
});
