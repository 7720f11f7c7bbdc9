import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { EventPublisher } from '#shared/kernel/ports.ts';
import { OUTBOX_TTL_SECONDS, indexAttributes } from './dynamodb/table-spec.ts';
import { outboxByDay, outboxKey, type Item } from './dynamodb/table.ts';

// Redrive: republishes outbox events from the table to the bus, by time window or by id, for
// an operator who found events in an on-failure queue or a consumer that mishandled a day's
// events. The table keeps outbox items OUTBOX_TTL_SECONDS (a week); the stream only 24 h.
// Consumers deduplicate on event_id, so replaying an event they already handled is safe.
// The same function serves `npm run redrive` (locally and against AWS) and functions/ops/redrive.ts.

/** At most this many days per redrive: the outbox keeps a week, so more is a typo. */
export const MAX_REDRIVE_DAYS = Math.ceil(OUTBOX_TTL_SECONDS / 86_400) + 1;
const DAY_MS = 86_400_000;
/** Events published per PutEvents round (the publisher splits them in tens). */
const PUBLISH_CHUNK = 100;

/** Which outbox events to republish. */
export type RedriveRequest =
  | { eventIds: readonly string[]; dryRun?: boolean }
  /** Events whose occurred_at is in [from, to] (both inclusive), optionally of some types only. */
  | { from: Date; to: Date; types?: readonly string[]; dryRun?: boolean };

export interface RedriveReport {
  /** Outbox events found for the request. */
  found: number;
  /** Events the bus accepted (0 on a dry run). */
  published: number;
  /** Events the bus refused after the publisher's retries: run the redrive again for them. */
  failed_event_ids: string[];
  /** Requested ids with no outbox item (never written, or expired through TTL). */
  missing_event_ids: string[];
  dry_run: boolean;
  /** On a dry run, what would be published. */
  events?: { event_id: string; event_type: string; occurred_at: string }[];
}

export class RedriveRequestError extends Error {
  override readonly name = 'RedriveRequestError';
}

/** The table as redrive reads it (a `Table` fits). */
export interface OutboxTable {
  client: DynamoDBDocumentClient;
  name: string;
}

/**
 * Republishes the outbox events `request` selects, in occurred_at order for a window.
 * @throws RedriveRequestError for a window that is empty, reversed or longer than MAX_REDRIVE_DAYS.
 */
export async function redriveOutbox(
  deps: { table: OutboxTable; publisher: EventPublisher },
  request: RedriveRequest,
): Promise<RedriveReport> {
  const report: RedriveReport = {
    found: 0,
    published: 0,
    failed_event_ids: [],
    missing_event_ids: [],
    dry_run: request.dryRun ?? false,
    ...(request.dryRun ? { events: [] } : {}),
  };
  let chunk: DomainEvent[] = [];
  const flush = async () => {
    const events = chunk;
    chunk = [];
    if (events.length === 0) return;
    if (report.dry_run) {
      report.events!.push(
        ...events.map((e) => ({
          event_id: e.metadata.event_id,
          event_type: e.metadata.event_type,
          occurred_at: e.metadata.occurred_at,
        })),
      );
      return;
    }
    const { failedEventIds } = await deps.publisher.publish(events);
    report.published += events.length - failedEventIds.length;
    report.failed_event_ids.push(...failedEventIds);
  };
  const source =
    'eventIds' in request ? byIds(deps.table, request.eventIds, report.missing_event_ids) : byWindow(deps.table, request);
  for await (const event of source) {
    report.found++;
    chunk.push(event);
    if (chunk.length >= PUBLISH_CHUNK) await flush();
  }
  await flush();
  return report;
}

async function* byIds(table: OutboxTable, ids: readonly string[], missing: string[]): AsyncGenerator<DomainEvent> {
  for (const id of new Set(ids)) {
    const out = await table.client.send(new GetCommand({ TableName: table.name, Key: outboxKey(id), ConsistentRead: true }));
    if (out.Item) yield eventOf(out.Item);
    else missing.push(id);
  }
}

async function* byWindow(
  table: OutboxTable,
  request: { from: Date; to: Date; types?: readonly string[] },
): AsyncGenerator<DomainEvent> {
  const { from, to } = request;
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new RedriveRequestError('from and to must be dates');
  if (to < from) throw new RedriveRequestError(`to (${to.toISOString()}) is before from (${from.toISOString()})`);
  if (to.getTime() - from.getTime() > MAX_REDRIVE_DAYS * DAY_MS) {
    throw new RedriveRequestError(`a redrive covers at most ${MAX_REDRIVE_DAYS} days; split the window`);
  }
  const types = request.types ?? [];
  const [lo, hi] = [from.toISOString(), `${to.toISOString()}#\uffff`];
  for (let day = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()); day <= to.getTime(); day += DAY_MS) {
    const partition = outboxByDay(new Date(day).toISOString().slice(0, 10));
    const { partitionKey, sortKey } = indexAttributes(partition.index);
    let start: Record<string, unknown> | undefined;
    do {
      const out = await table.client.send(
        new QueryCommand({
          TableName: table.name,
          IndexName: partition.index,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
          ...(types.length > 0 ? { FilterExpression: `#type IN (${types.map((_, i) => `:t${i}`).join(', ')})` } : {}),
          ExpressionAttributeNames: {
            '#pk': partitionKey,
            '#sk': sortKey,
            ...(types.length > 0 ? { '#type': 'event_type' } : {}),
          },
          ExpressionAttributeValues: {
            ':pk': partition.pk,
            ':lo': lo,
            ':hi': hi,
            ...Object.fromEntries(types.map((t, i) => [`:t${i}`, t])),
          },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) yield eventOf(item);
      start = out.LastEvaluatedKey;
    } while (start);
  }
}

function eventOf(item: Item): DomainEvent {
  return JSON.parse(item.event as string) as DomainEvent;
}

/** How far before a stream batch's first arrival its events may have occurred (the request's own time). */
const STREAM_MARGIN_MS = 5 * 60_000;

/**
 * What a message of an on-failure queue or DLQ points at: the event of a Lambda asynchronous
 * invocation record (`requestPayload` is the bus event) or of an EventBridge rule DLQ message
 * (the bus event itself); or, for an event source mapping's stream batch record
 * (`DDBStreamBatchInfo`), the window its events occurred in. Undefined for anything else.
 */
export function failureRecordTarget(body: string): { eventId: string } | { from: Date; to: Date } | undefined {
  let record: {
    requestPayload?: { detail?: { metadata?: { event_id?: unknown } } };
    detail?: { metadata?: { event_id?: unknown } };
    DDBStreamBatchInfo?: { approximateArrivalOfFirstRecord?: string; approximateArrivalOfLastRecord?: string };
  };
  try {
    record = JSON.parse(body) as typeof record;
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null) return undefined;
  const eventId = (record.requestPayload?.detail ?? record.detail)?.metadata?.event_id;
  if (typeof eventId === 'string' && eventId !== '') return { eventId };
  const batch = record.DDBStreamBatchInfo;
  const first = Date.parse(batch?.approximateArrivalOfFirstRecord ?? '');
  const last = Date.parse(batch?.approximateArrivalOfLastRecord ?? '');
  if (Number.isNaN(first) || Number.isNaN(last)) return undefined;
  return { from: new Date(first - STREAM_MARGIN_MS), to: new Date(last) };
}

const isoDate = z
  .string()
  .check(z.refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 date-time, e.g. 2026-12-01T00:00:00Z'));

/**
 * The payload of functions/ops/redrive.ts (and the CLI's options): either
 * `{ "event_ids": ["01J..."] }` or `{ "from": "<ISO>", "to": "<ISO>", "types": ["deal.updated"] }`,
 * with `"dry_run": true` to list instead of publish.
 */
export const redrivePayload = z.union([
  z.strictObject({
    event_ids: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
    dry_run: z.optional(z.boolean()),
  }),
  z.strictObject({
    from: isoDate,
    to: isoDate,
    types: z.optional(z.array(z.string().check(z.minLength(1)))),
    dry_run: z.optional(z.boolean()),
  }),
]);
export type RedrivePayload = z.infer<typeof redrivePayload>;

/**
 * A validated payload as a request.
 * @throws RedriveRequestError naming what is wrong.
 */
export function parseRedrivePayload(payload: unknown): RedriveRequest {
  const parsed = redrivePayload.safeParse(payload);
  if (!parsed.success) {
    throw new RedriveRequestError(
      `expected {"event_ids": [...]} or {"from": "<ISO>", "to": "<ISO>", "types"?: [...]}, plus "dry_run"?: ${z.prettifyError(parsed.error)}`,
    );
  }
  const p = parsed.data;
  const dryRun = p.dry_run ?? false;
  if ('event_ids' in p) return { eventIds: p.event_ids, dryRun };
  return { from: new Date(p.from), to: new Date(p.to), ...(p.types ? { types: p.types } : {}), dryRun };
}
