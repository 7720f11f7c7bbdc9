import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoOutboxLog } from '#shared/events/dynamodb.ts';
import {
  decodePosition,
  readEventStream,
  STREAM_MAX_REQUESTS,
  STREAM_SETTLE_SECONDS,
  type EventStreamDeps,
  type StreamItem,
} from '#shared/events/use-cases.ts';
import { ForbiddenError, GoneError, ValidationError } from '#shared/kernel/errors.ts';
import { domainEvent, type DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { callsAs, rejection } from '#test/helpers/fakes.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';

// GET /events/stream's use case on DynamoDB Local: the outbox read by day partitions, oldest
// first, positions that neither skip nor repeat (also across empty days and a late commit
// inside the settle time), 410 past retention, and a bounded number of requests per call.

let table: Table;
let requests = 0;
let deps: EventStreamDeps;

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName);
  // Counts the Queries the stream makes (the adapter sends through table.client).
  const counted = {
    name: table.name,
    client: { send: (command: never) => (requests++, table.client.send(command)) },
  } as unknown as Table;
  deps = { outbox: new DynamoOutboxLog(counted) };
});

const at = (iso: string): DomainEvent =>
  domainEvent(
    { actor_id: 'U1', correlation_id: 'c1', now: new Date(iso), newId: () => newId() },
    'thing.updated',
    { resource_type: 'thing', resource_id: newId() },
    { at: iso },
    { previous: { at: 'before' } },
  );
const write = async (...events: DomainEvent[]) => {
  for (const event of events) await table.write([], [event]);
};
const read = (now: string, position?: string, limit = 100) =>
  readEventStream(deps, callsAs(now).admin(), { limit, ...(position ? { position } : {}) });

/** Every item from `position` on, following next_position page by page. */
async function walk(
  now: string,
  position: string | undefined,
  limit: number,
): Promise<{ items: StreamItem[]; position: string }> {
  const items: StreamItem[] = [];
  let at = position;
  for (let pages = 0; pages < 50; pages++) {
    const page = await read(now, at, limit);
    items.push(...page.items);
    if (page.items.length === 0 && page.next_position === at) return { items, position: at! };
    at = page.next_position;
  }
  throw new Error('the walk did not end');
}

const plus = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000).toISOString();

describe('the event stream', () => {
  // Each test has its own week, far from the others.
  it('serves every event once, oldest first, across days (an empty one too) and pages', async () => {
    const events = [
      at('2030-01-01T10:00:00.000Z'),
      at('2030-01-01T23:59:59.999Z'),
      at('2030-01-03T00:00:00.000Z'),
      at('2030-01-03T00:00:00.000Z'),
      at('2030-01-03T08:00:00.000Z'),
      at('2030-01-04T12:00:00.000Z'),
    ];
    await write(...[...events].reverse());
    const now = plus('2030-01-04T12:00:00.000Z', STREAM_SETTLE_SECONDS + 1);
    const expected = [...events]
      .sort((a, b) =>
        `${a.metadata.occurred_at}#${a.metadata.event_id}`.localeCompare(`${b.metadata.occurred_at}#${b.metadata.event_id}`),
      )
      .map((e) => e.metadata.event_id);
    for (const limit of [1, 2, 5, 100]) {
      const { items } = await walk(now, undefined, limit);
      expect(
        items.map((i) => i.event_id),
        `limit ${limit}`,
      ).toEqual(expected);
    }
    const first = (await read(now, undefined, 1)).items[0]!;
    expect(first).toEqual({
      event_id: events[0]!.metadata.event_id,
      event_type: 'thing.updated',
      event_version: 1,
      occurred_at: '2030-01-01T10:00:00.000Z',
      actor_id: 'U1',
      resource_type: 'thing',
      resource_id: events[0]!.metadata.resource_id,
      data: { at: '2030-01-01T10:00:00.000Z' },
      previous: { at: 'before' },
      caused_by: null,
    });
  });

  it('holds back events younger than the settle time, so one that commits late is not skipped', async () => {
    const T = '2030-02-10T12:00:00.000Z';
    const old = at(plus(T, -600));
    const recent = at(plus(T, -30)); // committed, but younger than the settle time at T
    await write(old, recent);
    const first = await walk(T, undefined, 100);
    expect(first.items.map((i) => i.event_id)).toEqual([old.metadata.event_id]);
    // A request that started at T-60s commits only now: its occurred_at is before `recent`.
    const late = at(plus(T, -60));
    await write(late);
    const next = await walk(plus(T, STREAM_SETTLE_SECONDS), first.position, 100);
    expect(next.items.map((i) => i.event_id)).toEqual([late.metadata.event_id, recent.metadata.event_id]);
    // Nothing new: the same position answers an empty page and no more.
    const again = await read(plus(T, STREAM_SETTLE_SECONDS + 5), next.position);
    expect(again.items).toEqual([]);
  });

  it('answers 410 (events.position_expired) for a position older than the retention, and starts again without one', async () => {
    const T = '2030-03-10T12:00:00.000Z';
    await write(at(plus(T, -3600)));
    const { position } = await walk(T, undefined, 100);
    const error = await rejection(read(plus(T, 8 * 86_400), position));
    expect(error).toBeInstanceOf(GoneError);
    expect((error as GoneError).code).toBe('events.position_expired');
    await expect(read(plus(T, 8 * 86_400))).resolves.toMatchObject({ items: [] });
  });

  it('makes a bounded number of requests per call, even across a week of empty days', async () => {
    const T = '2030-04-20T12:00:00.000Z';
    const { position } = await walk(plus(T, -(6.9 * 86_400)), undefined, 100);
    await write(at(plus(T, -300)));
    requests = 0;
    const page = await read(T, position, 100);
    expect(requests).toBeLessThanOrEqual(STREAM_MAX_REQUESTS);
    expect(page.items).toHaveLength(1);
    expect(decodePosition(page.next_position) > decodePosition(position)).toBe(true);
  });

  it('is for admins only, and refuses a position it did not give out', async () => {
    const calls = callsAs('2030-05-01T00:00:00.000Z');
    for (const who of ['manager', 'rep'] as const) {
      await expect(readEventStream(deps, calls[who](), { limit: 10 })).rejects.toBeInstanceOf(ForbiddenError);
    }
    for (const position of ['nonsense', Buffer.from('v1.2030-05-01').toString('base64url')]) {
      const error = await rejection(readEventStream(deps, calls.admin(), { limit: 10, position }));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).problems.map((p) => p.field)).toEqual(['query.position']);
    }
  });
});
