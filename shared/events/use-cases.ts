import { ForbiddenError, GoneError, ValidationError } from '#shared/kernel/errors.ts';
import type { CausedBy } from '#shared/kernel/events.ts';
import type { Call } from '#shared/kernel/ports.ts';
import type { OutboxLog } from './ports.ts';

// The pull stream for integrations (Sell Firehose-like): every domain event from the outbox,
// oldest first, from a position the client keeps. The outbox keeps each event at least
// STREAM_RETENTION_DAYS after it occurred (TTL counts from the write, which comes after
// occurred_at), so a position younger than that misses nothing.
//
// Guarantee: a client that follows next_position sees every event exactly once, in
// (occurred_at, event_id) order, including an event that committed late with an earlier
// occurred_at, provided it committed within STREAM_SETTLE_SECONDS of its occurred_at. The
// stream serves only events older than that (now - settle): every writer's occurred_at is taken
// when its request starts and it commits before its function times out (a test holds every
// writing function's timeout under the settle time), and the index the stream reads catches up
// in well under a second. The price: the stream lags real time by STREAM_SETTLE_SECONDS.

/** How many days of events the stream serves (the outbox's TTL). */
export const STREAM_RETENTION_DAYS = 7;
/** Events younger than this are not served yet (seconds): see the header. */
export const STREAM_SETTLE_SECONDS = 90;
/** DynamoDB requests per call at most: one per UTC day of the retention window, and a few more. */
export const STREAM_MAX_REQUESTS = STREAM_RETENTION_DAYS + 3;
const DAY_MS = 86_400_000;

export interface EventStreamDeps {
  outbox: OutboxLog;
  /** STREAM_SETTLE_SECONDS but in tests of the local cloud (shorter: nothing local runs long). */
  settleSeconds?: number;
}

export interface EventStreamQuery {
  position?: string | undefined;
  limit: number;
}

/** One event as the stream serves it. */
export interface StreamItem {
  event_id: string;
  event_type: string;
  event_version: number;
  occurred_at: string;
  actor_id: string;
  resource_type: string;
  resource_id: string;
  data: Record<string, unknown>;
  /** For updates, the changed fields as they were; null otherwise. */
  previous: Record<string, unknown> | null;
  /** The event an automation wrote this one for (metadata.caused_by); null for a user's change. */
  caused_by: CausedBy | null;
}

export interface EventStreamPage {
  items: StreamItem[];
  /** Where to continue: pass it as `position` next time (never null; it stays put while nothing is new). */
  next_position: string;
}

const KEY = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z(#[0-9A-Za-z]+)?$/;
const PREFIX = 'v1.';

/** The opaque position of a stream key. */
export const encodePosition = (key: string): string => Buffer.from(`${PREFIX}${key}`, 'utf8').toString('base64url');

/**
 * The stream key a position stands for.
 * @throws ValidationError (query.position) when it is not a position this stream gave out.
 */
export function decodePosition(position: string): string {
  const text = Buffer.from(position, 'base64url').toString('utf8');
  const key = text.startsWith(PREFIX) ? text.slice(PREFIX.length) : '';
  if (!KEY.test(key) || Number.isNaN(Date.parse(key.slice(0, 24)))) {
    throw ValidationError.field('query.position', 'is not a position of this stream (use next_position as given)');
  }
  return key;
}

/**
 * A page of the event stream after `position` (from the oldest kept event without one).
 * @throws ForbiddenError for anyone but an admin; GoneError `events.position_expired` when the
 *   position is older than STREAM_RETENTION_DAYS; ValidationError for a malformed position.
 */
export async function readEventStream(deps: EventStreamDeps, call: Call, query: EventStreamQuery): Promise<EventStreamPage> {
  if (call.principal.role !== 'admin') throw new ForbiddenError('Only admins read the event stream');
  const now = call.events.now.getTime();
  const oldest = new Date(now - STREAM_RETENTION_DAYS * DAY_MS).toISOString();
  const horizon = new Date(now - (deps.settleSeconds ?? STREAM_SETTLE_SECONDS) * 1000).toISOString();
  // A bare time sorts before every key of that millisecond ("<time>#<id>"): "after it" includes them.
  const after = query.position === undefined ? oldest : decodePosition(query.position);
  if (after.slice(0, 24) < oldest) {
    throw new GoneError(`The position ${after.slice(0, 24)} is older than the ${STREAM_RETENTION_DAYS} days the stream keeps`, {
      code: 'events.position_expired',
    });
  }
  if (after >= horizon) return { items: [], next_position: encodePosition(after) };
  const read = await deps.outbox.read(after, horizon, query.limit, STREAM_MAX_REQUESTS);
  const items = read.events.map(({ event }) => ({
    event_id: event.metadata.event_id,
    event_type: event.metadata.event_type,
    event_version: event.metadata.event_version,
    occurred_at: event.metadata.occurred_at,
    actor_id: event.metadata.actor_id,
    resource_type: event.metadata.resource_type,
    resource_id: event.metadata.resource_id,
    data: event.data as Record<string, unknown>,
    previous: (event.previous ?? null) as Record<string, unknown> | null,
    caused_by: event.metadata.caused_by ?? null,
  }));
  return { items, next_position: encodePosition(read.readTo ?? after) };
}
