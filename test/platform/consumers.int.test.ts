import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { domainEvent, type DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { MalformedEventError } from '#shared/platform/consumers/errors.ts';
import { eventHandler, scheduledHandler, type BusEvent } from '#shared/platform/consumers/events.ts';
import {
  consumedMarkerKey,
  DeliveryInProgressError,
  MARKER_TTL_SECONDS,
  MarkerStore,
} from '#shared/platform/consumers/markers.ts';
import { logger } from '#shared/platform/observability.ts';
import { capturingOutput, logged, metricSum, rejection } from '#test/helpers/captured-output.ts';
import { useTestTable } from '#test/helpers/table.ts';

// The consumer stack's dedupe on DynamoDB Local: markers are real conditional writes on the
// test's own table. The logger and metrics singletons are built when this file's imports load,
// before useTestTable sets its quiet environment, so they log at INFO and emit metrics here;
// capturingOutput reads both from stdout.

let tableName: string;
let markers: MarkerStore;

beforeAll(async () => {
  ({ tableName } = await useTestTable());
  markers = new MarkerStore({ client: dynamoDocumentClient(), tableName });
});

const ctx = () => ({ actor_id: 'u1', correlation_id: `corr-${newId()}`, now: new Date(), newId: () => newId() });
const dealEvent = (data: object = { contact_id: 'C1' }) =>
  domainEvent(ctx(), 'deal.created', { resource_type: 'deal', resource_id: 'D1' }, data);

/** What EventBridge hands the target: detail is the envelope, unchanged. */
const delivered = (detail: unknown, type = 'deal.created'): BusEvent => ({
  version: '0',
  id: newId(),
  'detail-type': type,
  source: 'crm',
  account: '123456789012',
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: [],
  detail,
});

const markerOf = async (consumer: string, id: string) =>
  (await dynamoDocumentClient().send(new GetCommand({ TableName: tableName, Key: consumedMarkerKey(consumer, id) }))).Item;

const lambdaContext = (remainingMs: number): Context =>
  ({
    functionName: 'crm-test-consumer',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:crm-test-consumer',
    memoryLimitInMB: '1024',
    awsRequestId: newId(),
    logGroupName: '/aws/lambda/crm-test-consumer',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => remainingMs,
  }) as Context;

describe('eventHandler dedupe on event_id', () => {
  it('runs an event once: the second delivery of the same event_id does nothing', async () => {
    const seen: string[] = [];
    const handler = eventHandler({ name: 'dedupe-test', markers }, async (event) => void seen.push(event.metadata.event_id));
    const event = dealEvent();
    const { result, lines } = await capturingOutput(async () => [
      await handler(delivered(event)),
      await handler(delivered(event)),
      await handler(delivered(structuredClone(event))),
    ]);
    expect(result).toEqual(['processed', 'duplicate', 'duplicate']);
    expect(seen).toEqual([event.metadata.event_id]);
    expect(metricSum(lines, 'Processed')).toBe(1);
    expect(metricSum(lines, 'Duplicates')).toBe(2);
    const marker = await markerOf('dedupe-test', event.metadata.event_id);
    expect(marker).toMatchObject({ kind: 'consumed', status: 'done', event_type: 'deal.created' });
    expect(marker!.lease_until).toBeUndefined();
    const ttl = Number(marker!.expires_at) - Date.now() / 1000;
    expect(ttl).toBeGreaterThan(MARKER_TTL_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(MARKER_TTL_SECONDS);
  });

  it('leaves no marker when the consumer throws, so the redelivery runs', async () => {
    let attempts = 0;
    const handler = eventHandler({ name: 'throwing-test', markers }, async () => {
      attempts++;
      if (attempts === 1) throw new Error('Cognito is down');
    });
    const event = dealEvent();
    const { result: error, lines } = await capturingOutput(() => rejection(handler(delivered(event))));
    expect(error?.message).toBe('Cognito is down');
    expect(await markerOf('throwing-test', event.metadata.event_id)).toBeUndefined();
    expect(metricSum(lines, 'Failures')).toBe(1);
    expect(logged(lines, 'delivery failed')[0]).toMatchObject({ event_id: event.metadata.event_id, consumer: 'throwing-test' });

    const again = await capturingOutput(() => handler(delivered(event)));
    expect(again.result).toBe('processed');
    expect(attempts).toBe(2);
    expect(await markerOf('throwing-test', event.metadata.event_id)).toMatchObject({ status: 'done' });
  });

  it('keeps a marker per consumer: two consumers of one event each run it', async () => {
    const runs: string[] = [];
    const a = eventHandler({ name: 'consumer-a', markers }, async () => void runs.push('a'));
    const b = eventHandler({ name: 'consumer-b', markers }, async () => void runs.push('b'));
    const event = dealEvent();
    await capturingOutput(async () => {
      expect(await a(delivered(event))).toBe('processed');
      expect(await b(delivered(event))).toBe('processed');
      expect(await a(delivered(event))).toBe('duplicate');
    });
    expect(runs).toEqual(['a', 'b']);
  });

  it('runs concurrent deliveries of one event once: the second waits for the first and skips', async () => {
    let running = 0;
    let runs = 0;
    const handler = eventHandler({ name: 'concurrent-test', markers }, async () => {
      runs++;
      running++;
      await new Promise((r) => setTimeout(r, 150));
      running--;
    });
    const event = dealEvent();
    const { result } = await capturingOutput(() =>
      Promise.all([handler(delivered(event), lambdaContext(5_000)), handler(delivered(event), lambdaContext(5_000))]),
    );
    expect(result.sort()).toEqual(['duplicate', 'processed']);
    expect(runs).toBe(1);
    expect(running).toBe(0);
  });

  it('takes over the marker of an attempt that died once its lease ends', async () => {
    const event = dealEvent();
    // An attempt claimed the event with a 300 ms lease and was never heard of again.
    const dead = await markers.claim('takeover-test', event.metadata.event_id, 300);
    expect(dead.state).toBe('claimed');
    let runs = 0;
    const handler = eventHandler({ name: 'takeover-test', markers }, async () => void runs++);
    const started = Date.now();
    const { result } = await capturingOutput(() => handler(delivered(event)));
    expect(result).toBe('processed');
    expect(runs).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await markerOf('takeover-test', event.metadata.event_id)).toMatchObject({ status: 'done' });
  });

  it('gives up with DeliveryInProgressError when the holder outlives the wait, and leaves its marker alone', async () => {
    const event = dealEvent();
    const holder = await markers.claim('busy-test', event.metadata.event_id, 60_000);
    let runs = 0;
    const handler = eventHandler({ name: 'busy-test', markers, waitMs: 200 }, async () => void runs++);
    const { result: error } = await capturingOutput(() => rejection(handler(delivered(event))));
    expect(error).toBeInstanceOf(DeliveryInProgressError);
    expect(runs).toBe(0);
    expect(await markerOf('busy-test', event.metadata.event_id)).toMatchObject({
      status: 'in_progress',
      token: holder.state === 'claimed' ? holder.token : 'none',
    });
  });

  it('takes the lease from the Lambda context: what remains of the invocation', async () => {
    const event = dealEvent();
    let marker: Record<string, unknown> | undefined;
    const handler = eventHandler({ name: 'lease-test', markers }, async (e) => {
      marker = await markerOf('lease-test', e.metadata.event_id);
    });
    const before = Date.now();
    await capturingOutput(() => handler(delivered(event), lambdaContext(20_000)));
    expect(marker).toMatchObject({ status: 'in_progress' });
    expect(Number(marker!.lease_until) - before).toBeGreaterThanOrEqual(20_000);
    expect(Number(marker!.lease_until) - before).toBeLessThan(21_000);
  });

  it('refuses, when it is made, a consumer name that cannot sit in a marker key', () => {
    expect(() => eventHandler({ name: 'Contact Status', markers }, async () => undefined)).toThrow(/kebab-case/);
  });

  it('runs every delivery when dedupe is off', async () => {
    let runs = 0;
    const handler = eventHandler({ name: 'no-dedupe', dedupe: false }, async () => void runs++);
    const event = dealEvent();
    await capturingOutput(async () => {
      await handler(delivered(event));
      await handler(delivered(event));
    });
    expect(runs).toBe(2);
    expect(await markerOf('no-dedupe', event.metadata.event_id)).toBeUndefined();
  });
});

describe('eventHandler envelope', () => {
  const userData = z.object({ id: z.string(), email: z.string(), role: z.enum(['admin', 'manager', 'user']) });

  it('hands the consumer the typed event, with its keys on every log line while it runs', async () => {
    let got: DomainEvent<{ id: string; email: string; role: string }> | undefined;
    const handler = eventHandler({ name: 'typed-test', data: userData, markers }, async (event) => {
      got = event;
      logger.info('inside the consumer');
    });
    const event = domainEvent(
      ctx(),
      'user.role_changed',
      { resource_type: 'user', resource_id: 'U1' },
      { id: 'U1', email: 'a@example.com', role: 'manager', name: 'Ann' },
      { previous: { role: 'user' } },
    );
    const { lines } = await capturingOutput(async () => {
      await handler(delivered(event, 'user.role_changed'));
      logger.info('after the invocation');
    });
    // The tolerant reader keeps what it names; `previous` is checked against the same fields.
    expect(got).toEqual({ ...event, data: { id: 'U1', email: 'a@example.com', role: 'manager' } });
    expect(logged(lines, 'inside the consumer')[0]).toMatchObject({
      consumer: 'typed-test',
      event_id: event.metadata.event_id,
      event_type: 'user.role_changed',
      correlation_id: event.metadata.correlation_id,
    });
    expect(logged(lines, 'delivery consumed')[0]).toMatchObject({ event_id: event.metadata.event_id });
    expect(logged(lines, 'after the invocation')[0]).not.toHaveProperty('event_id');
    expect(logged(lines, 'after the invocation')[0]).not.toHaveProperty('consumer');
  });

  it.each([
    ['no detail', undefined, '(root)'],
    ['no metadata', { data: {} }, 'metadata'],
    ['an empty event_id', { ...dealEvent(), metadata: { ...dealEvent().metadata, event_id: '' } }, 'metadata.event_id'],
    [
      'a text event_version',
      { ...dealEvent(), metadata: { ...dealEvent().metadata, event_version: '1' } },
      'metadata.event_version',
    ],
    ['data not an object', { ...dealEvent(), data: 'x' }, 'data'],
    ['data the consumer cannot read', { ...dealEvent(), data: { id: 'U1', email: 'a@example.com', role: 'owner' } }, 'data.role'],
    [
      'a previous it cannot read',
      { ...dealEvent({ id: 'U1', email: 'e', role: 'user' }), previous: { role: 7 } },
      'previous.role',
    ],
  ])('refuses an envelope with %s: logged, counted, thrown, no marker', async (_what, detail, path) => {
    let runs = 0;
    const handler = eventHandler({ name: 'malformed-test', data: userData, markers }, async () => void runs++);
    const busEvent = delivered(detail);
    const { result: error, lines } = await capturingOutput(() => rejection(handler(busEvent)));
    expect(error).toBeInstanceOf(MalformedEventError);
    expect((error as MalformedEventError).issues.some((issue) => issue.startsWith(`${path}:`))).toBe(true);
    expect(runs).toBe(0);
    expect(metricSum(lines, 'Failures')).toBe(1);
    expect(logged(lines, 'malformed delivery')[0]).toMatchObject({
      consumer: 'malformed-test',
      bus_event_id: busEvent.id,
      detail_type: 'deal.created',
    });
    const eventId = (detail as DomainEvent | undefined)?.metadata?.event_id;
    if (eventId) expect(await markerOf('malformed-test', eventId)).toBeUndefined();
  });
});

describe('scheduledHandler', () => {
  const reminder = z.object({ schedule: z.string(), task_id: z.string() });

  it('parses the input, dedupes on the delivery id it names, and refuses a bad input', async () => {
    const fired: string[] = [];
    const handler = scheduledHandler(
      {
        name: 'reminder-test',
        payload: reminder,
        deliveryId: (p) => p.schedule,
        logKeys: (p) => ({ task_id: p.task_id }),
        markers,
      },
      async (payload) => {
        fired.push(payload.task_id);
        logger.info('reminding');
      },
    );
    const schedule = `task-${newId()}`;
    const { result, lines } = await capturingOutput(async () => [
      await handler({ schedule, task_id: 'T1' }),
      await handler({ schedule, task_id: 'T1' }),
      await rejection(handler({ schedule })),
    ]);
    expect(result.slice(0, 2)).toEqual(['processed', 'duplicate']);
    expect(result[2]).toBeInstanceOf(MalformedEventError);
    expect(fired).toEqual(['T1']);
    expect(logged(lines, 'reminding')[0]).toMatchObject({ consumer: 'reminder-test', task_id: 'T1', delivery_id: schedule });
    expect(logged(lines, 'malformed delivery')).toHaveLength(1);
    expect(await markerOf('reminder-test', schedule)).toMatchObject({ status: 'done' });
  });

  it('runs every firing when no delivery id is named', async () => {
    let runs = 0;
    const handler = scheduledHandler({ name: 'tick-test', payload: z.object({}) }, async () => void runs++);
    await capturingOutput(async () => {
      await handler({});
      await handler({});
    });
    expect(runs).toBe(2);
  });
});
