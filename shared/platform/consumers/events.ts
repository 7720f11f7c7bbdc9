import type { Context, EventBridgeEvent } from 'aws-lambda';
import type * as z from 'zod/mini';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { logger } from '#shared/platform/observability.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { envelopeSchema, parseEnvelope, type DataOf, type DataSchema } from './envelope.ts';
import { issuesOf, MalformedEventError } from './errors.ts';
import { endInvocation, startInvocation, type Counts } from './invocation.ts';
import { checkConsumerName, MarkerStore, runOnce, type OnceOutcome } from './markers.ts';

// The entry shape of consumers that get one delivery per invocation, as httpHandler is for
// HTTP: EventBridge rule targets (eventHandler) and EventBridge Scheduler targets
// (scheduledHandler). Each invocation gets logger keys naming the delivery, a typed parse
// (a malformed delivery is logged, counted and thrown, so Lambda's retries and then the
// on-failure destination keep it), dedupe on the delivery's id (markers.ts), and the
// Processed / Duplicates / Failures metrics. A consumer that throws fails the invocation.

/** What EventBridge hands a rule target. */
export type BusEvent = EventBridgeEvent<string, unknown>;

/** 'duplicate': this consumer had handled the delivery's id before, and did nothing. */
export type ConsumerOutcome = OnceOutcome;

/** Without a Lambda context (the local cloud, tests), a claim holds this long (ms). */
export const LOCAL_LEASE_MS = 10_000;

interface DedupeOptions {
  /** The marker store; default: the CRM table named by TABLE_NAME, read at creation. */
  readonly markers?: MarkerStore;
  /**
   * How long a claim holds if the attempt dies (ms). Default: the invocation's remaining time,
   * or LOCAL_LEASE_MS without a Lambda context.
   */
  readonly leaseMs?: number;
  /**
   * How long to wait for another attempt holding the claim (ms). Default: half the remaining
   * time, or a little over LOCAL_LEASE_MS without a context (a dead holder's lease always ends).
   */
  readonly waitMs?: number;
}

export interface EventHandlerOptions<S extends DataSchema | undefined> extends DedupeOptions {
  /** The consumer's name, kebab-case (its function's name): the `consumer` log key, the markers' scope. */
  readonly name: string;
  /** The schema of `data` (a tolerant reader: only what the consumer reads); `previous` is checked against its partial. */
  readonly data?: S;
  /** Skip an event_id this consumer handled before (default true; needs the table, see markers.ts). */
  readonly dedupe?: boolean;
}

/** The delivery an event came in, beside the parsed event. */
export interface EventDelivery {
  readonly busEvent: BusEvent;
  readonly context: Context | undefined;
}

/**
 * An EventBridge rule target running `run` once per domain event. Log keys: consumer,
 * event_id, event_type, correlation_id (from the envelope's metadata).
 * @returns the Lambda handler; it answers the outcome, and throws MalformedEventError, what
 *   `run` throws, or DeliveryInProgressError (another attempt at the same event outlived the wait).
 */
export function eventHandler<S extends DataSchema | undefined = undefined>(
  options: EventHandlerOptions<S>,
  run: (event: DomainEvent<DataOf<S>>, delivery: EventDelivery) => Promise<unknown>,
): (busEvent: BusEvent, context?: Context) => Promise<ConsumerOutcome> {
  checkConsumerName(options.name);
  const schema = envelopeSchema(options.data);
  const markers = options.dedupe === false ? undefined : (options.markers ?? tableMarkers());
  return async (busEvent, context) => {
    const counts = startInvocation(options.name, context);
    try {
      let event: DomainEvent<DataOf<S>>;
      try {
        event = parseEnvelope<S>((busEvent as Partial<BusEvent> | undefined)?.detail, schema);
      } catch (error) {
        logMalformed(error, { bus_event_id: busEvent?.id, detail_type: busEvent?.['detail-type'] });
        throw error;
      }
      const { event_id, event_type, correlation_id } = event.metadata;
      logger.appendKeys({ event_id, event_type, correlation_id });
      return await consume(counts, {
        consumer: options.name,
        deliveryId: markers ? event_id : undefined,
        note: { event_type },
        markers,
        policy: options,
        context,
        run: () => run(event, { busEvent, context }),
      });
    } catch (error) {
      failed(counts, error);
      throw error;
    } finally {
      endInvocation(counts);
    }
  };
}

export interface ScheduledHandlerOptions<S extends z.ZodMiniType> extends DedupeOptions {
  /** The consumer's name, kebab-case (its function's name). */
  readonly name: string;
  /** The schema of the schedule's input (the Target's `Input`, which Scheduler delivers as the event). */
  readonly payload: S;
  /**
   * The id every delivery of one firing repeats (Scheduler delivers at least once), e.g. the
   * schedule's name; when given, deliveries are deduped on it (needs the table).
   */
  readonly deliveryId?: (payload: z.output<S>) => string;
  /** Log keys naming the delivery (record ids...); the delivery id is logged as delivery_id. */
  readonly logKeys?: (payload: z.output<S>) => Record<string, unknown>;
}

/**
 * An EventBridge Scheduler target running `run` once per firing; same stack as eventHandler.
 * @throws MalformedEventError when the input does not match `payload`; what `run` throws.
 */
export function scheduledHandler<S extends z.ZodMiniType>(
  options: ScheduledHandlerOptions<S>,
  run: (payload: z.output<S>, context: Context | undefined) => Promise<unknown>,
): (input: unknown, context?: Context) => Promise<ConsumerOutcome> {
  checkConsumerName(options.name);
  const markers = options.deliveryId ? (options.markers ?? tableMarkers()) : undefined;
  return async (input, context) => {
    const counts = startInvocation(options.name, context);
    try {
      const parsed = options.payload.safeParse(input);
      if (!parsed.success) {
        const error = new MalformedEventError('not a valid scheduled input', issuesOf(parsed.error));
        logMalformed(error, {});
        throw error;
      }
      const payload = parsed.data;
      const deliveryId = options.deliveryId?.(payload);
      logger.appendKeys({ ...options.logKeys?.(payload), ...(deliveryId ? { delivery_id: deliveryId } : {}) });
      return await consume(counts, {
        consumer: options.name,
        deliveryId,
        note: {},
        markers,
        policy: options,
        context,
        run: () => run(payload, context),
      });
    } catch (error) {
      failed(counts, error);
      throw error;
    } finally {
      endInvocation(counts);
    }
  };
}

interface Consumption {
  consumer: string;
  /** Dedupe on this id; undefined runs every delivery. */
  deliveryId: string | undefined;
  note: Record<string, string>;
  markers: MarkerStore | undefined;
  policy: DedupeOptions;
  context: Context | undefined;
  run: () => Promise<unknown>;
}

async function consume(counts: Counts, c: Consumption): Promise<ConsumerOutcome> {
  const started = Date.now();
  let outcome: ConsumerOutcome = 'processed';
  if (c.markers && c.deliveryId !== undefined) {
    const remaining = c.context?.getRemainingTimeInMillis();
    outcome = await runOnce(
      c.markers,
      {
        consumer: c.consumer,
        deliveryId: c.deliveryId,
        leaseMs: c.policy.leaseMs ?? remaining ?? LOCAL_LEASE_MS,
        waitMs: c.policy.waitMs ?? (remaining !== undefined ? Math.floor(remaining / 2) : LOCAL_LEASE_MS + 1_000),
        note: c.note,
      },
      async () => void (await c.run()),
    );
  } else {
    await c.run();
  }
  counts.add(outcome === 'duplicate' ? 'duplicates' : 'processed');
  logger.info(outcome === 'duplicate' ? 'duplicate delivery skipped' : 'delivery consumed', {
    duration_ms: Date.now() - started,
  });
  return outcome;
}

function logMalformed(error: unknown, keys: Record<string, unknown>): void {
  const issues = error instanceof MalformedEventError ? error.issues : [String(error)];
  logger.error('malformed delivery', { ...keys, issues });
}

function failed(counts: Counts, error: unknown): void {
  counts.add('failures');
  // Malformed deliveries were logged with their issues already.
  if (!(error instanceof MalformedEventError)) logger.error('delivery failed', { error: error as Error });
}

function tableMarkers(): MarkerStore {
  return new MarkerStore({ client: dynamoDocumentClient(), tableName: requireEnv(RUNTIME_ENV.tableName) });
}
