import { randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import { tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import { logger } from '#shared/platform/observability.ts';

// Dedupe of at-least-once deliveries: one marker item per (consumer, delivery id) in the CRM
// table, claimed with a conditional PutItem before the consumer runs.
//
//   no marker ──claim──▶ in_progress (lease) ──consumer returns──▶ done (kept 7 days)
//                              │ consumer throws: marker deleted, so the retry runs again
//                              │ attempt dies (timeout, crash): the lease runs out and the
//                              ▼ next delivery takes the marker over
//
// A delivery that finds `done` does nothing; one that finds a live lease waits for it to end
// (the holder finishes, fails or dies), bounded, then gives up with an error so that it is
// retried. What this gives is exactly-once *effect* when the consumer's own writes are
// idempotent for a re-run: the one window where a delivery runs twice is a consumer that did
// its work and died before the marker said `done`. Our consumers recompute from current state
// (contact status) or make calls that are no-ops when repeated (the sign-in directory), so that
// re-run changes nothing. What the marker adds is that a redelivery or a redrive of an old event
// never replays it over newer ones (a user.role_changed from last week does not undo today's).
//
// Why not Powertools idempotency: it keeps its records in one static partition and, with no
// Lambda context (the local cloud, tests), an attempt that died holds its key until the record
// expires; this store keys each marker on its own partition (declared below, so the key test
// covers it) and always has a lease.

/** The marker of one delivery id for one consumer. */
export const consumedMarkerKey = tableKeys<[consumer: string, deliveryId: string]>('consumed', 'consumed');

export const MARKER_KIND = 'consumed';
/** How long a `done` marker is kept: at least as long as outbox events, so a redrive finds it. */
export const MARKER_TTL_SECONDS = 7 * 24 * 60 * 60;

const CONSUMER_NAME = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Checks a consumer's name (part of its markers' keys): kebab-case, as function names are.
 * @throws Error naming the bad name.
 */
export function checkConsumerName(name: string): string {
  if (!CONSUMER_NAME.test(name)) throw new Error(`consumer name "${name}" must be kebab-case`);
  return name;
}

/** What a claim found. */
export type Claim =
  | { readonly state: 'claimed'; readonly token: string }
  | { readonly state: 'done' }
  /** Another attempt holds the marker until `leaseUntil` (epoch ms). */
  | { readonly state: 'busy'; readonly leaseUntil: number };

export interface MarkerStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Epoch ms; the system clock unless a test sets one. */
  now?: () => number;
}

/**
 * The marker items. Needs dynamodb:PutItem, UpdateItem and DeleteItem on the table (no read:
 * a failed claim returns the marker it found).
 */
export class MarkerStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => number;

  constructor(options: MarkerStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Claims `deliveryId` for `consumer` for `leaseMs`, unless it is done or held by a live lease.
   * `note` is stored on the marker for whoever reads the table (e.g. the event type).
   */
  async claim(consumer: string, deliveryId: string, leaseMs: number, note: Record<string, string> = {}): Promise<Claim> {
    checkConsumerName(consumer);
    if (deliveryId === '') throw new Error('a delivery id must not be empty');
    const now = this.#now();
    const token = randomUUID();
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            ...note,
            ...consumedMarkerKey(consumer, deliveryId),
            [tableSpec.kindAttribute]: MARKER_KIND,
            consumer,
            delivery_id: deliveryId,
            status: 'in_progress',
            lease_until: now + leaseMs,
            token,
            updated_at: new Date(now).toISOString(),
            [tableSpec.timeToLiveAttribute]: Math.floor(now / 1000) + MARKER_TTL_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR (#status = :in_progress AND lease_until < :now)',
          ExpressionAttributeNames: { '#pk': tableSpec.partitionKey, '#status': 'status' },
          ExpressionAttributeValues: { ':in_progress': 'in_progress', ':now': now },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { state: 'claimed', token };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const item = (error as { Item?: Record<string, AttributeValue> }).Item;
      const current = item ? unmarshall(item) : undefined;
      if (current?.status === 'done') return { state: 'done' };
      // Gone again between our write and its answer: worth another claim at once.
      return { state: 'busy', leaseUntil: typeof current?.lease_until === 'number' ? current.lease_until : now };
    }
  }

  /** Marks the delivery done; false when another attempt took the marker over meanwhile. */
  async complete(consumer: string, deliveryId: string, token: string): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: consumedMarkerKey(consumer, deliveryId),
          UpdateExpression: 'SET #status = :done, updated_at = :at REMOVE lease_until',
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#status': 'status', '#token': 'token' },
          ExpressionAttributeValues: { ':done': 'done', ':at': new Date(this.#now()).toISOString(), ':token': token },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Deletes the marker this attempt holds, so the next delivery runs; one taken over is left alone. */
  async release(consumer: string, deliveryId: string, token: string): Promise<void> {
    try {
      await this.#client.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: consumedMarkerKey(consumer, deliveryId),
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':token': token },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}

/** Another attempt at the same delivery held the marker for longer than this one could wait. */
export class DeliveryInProgressError extends Error {
  override readonly name = 'DeliveryInProgressError';
}

export interface OnceOptions {
  consumer: string;
  deliveryId: string;
  /** How long the claim holds if this attempt dies without releasing it (ms). */
  leaseMs: number;
  /** How long to wait for another attempt that holds the marker (ms). */
  waitMs: number;
  note?: Record<string, string>;
}

/** 'duplicate': the delivery id was done before, and `run` was not called. */
export type OnceOutcome = 'processed' | 'duplicate';

const MAX_POLL_MS = 1_000;

/**
 * Runs `run` unless this consumer already handled `deliveryId` (see the header).
 * @throws whatever `run` throws (after releasing the marker); DeliveryInProgressError when
 *   another attempt still holds the marker after `waitMs`; the store's errors.
 */
export async function runOnce(store: MarkerStore, options: OnceOptions, run: () => Promise<void>): Promise<OnceOutcome> {
  const { consumer, deliveryId } = options;
  const deadline = Date.now() + options.waitMs;
  for (let poll = 1; ; poll++) {
    const claim = await store.claim(consumer, deliveryId, options.leaseMs, options.note);
    if (claim.state === 'done') return 'duplicate';
    if (claim.state === 'claimed') {
      try {
        await run();
      } catch (error) {
        // Left behind, the marker would only delay the retry until its lease ends.
        await store
          .release(consumer, deliveryId, claim.token)
          .catch((releaseError: unknown) =>
            logger.error('could not release the delivery marker', { error: releaseError as Error }),
          );
        throw error;
      }
      // The effect happened: a marker left in progress costs at most one idempotent re-run.
      const marked = await store.complete(consumer, deliveryId, claim.token).catch((completeError: unknown) => {
        logger.error('could not mark the delivery done', { error: completeError as Error });
        return true;
      });
      if (!marked) logger.warn('the delivery marker was taken over while this attempt ran past its lease');
      return 'processed';
    }
    const now = Date.now();
    if (now >= deadline) {
      throw new DeliveryInProgressError(`${consumer}: another attempt at ${deliveryId} is still running; retry later`);
    }
    const backoff = Math.min(MAX_POLL_MS, 50 * 2 ** (poll - 1));
    await sleep(Math.max(1, Math.min(backoff, claim.leaseUntil - now + 1, deadline - now)));
  }
}

function isConditionFailure(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'ConditionalCheckFailedException';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
