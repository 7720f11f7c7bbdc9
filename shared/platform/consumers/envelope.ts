import * as z from 'zod/mini';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { issuesOf, MalformedEventError } from './errors.ts';

// The typed parse of a domain event envelope (shared/kernel/events.ts) as a consumer gets it.
// The envelope is checked field by field; `data` by the consumer's own schema when it gives
// one (a tolerant reader names only what it reads), else as any object. Unknown envelope
// fields are kept, so an envelope that grows does not break older consumers.

const nonEmpty = z.string().check(z.minLength(1));

/** The envelope's metadata (EventMetadata), every field required. */
export const eventMetadataSchema = z.looseObject({
  event_id: nonEmpty,
  event_type: nonEmpty,
  event_version: z.int().check(z.minimum(1)),
  occurred_at: nonEmpty,
  actor_id: nonEmpty,
  correlation_id: nonEmpty,
  resource_type: nonEmpty,
  resource_id: nonEmpty,
});

/** An object schema for `data`; `previous` is then checked against its partial. */
export type DataSchema = z.ZodMiniObject;

/** `data` when the consumer gives no schema: any object. */
export type AnyData = Record<string, unknown>;

export type DataOf<S extends DataSchema | undefined> = S extends DataSchema ? z.output<S> & object : AnyData;

const anyObject = z.record(z.string(), z.unknown());

/** The envelope schema for a consumer whose `data` follows `data` (any object when undefined). */
export function envelopeSchema(data?: DataSchema) {
  return z.looseObject({
    metadata: eventMetadataSchema,
    data: data ?? anyObject,
    previous: z.optional(data ? z.partial(data) : anyObject),
  });
}

/**
 * Parses `detail` (what EventBridge hands a rule target as `event.detail`) as a domain event.
 * @throws MalformedEventError naming each bad field (`metadata.event_id: ...`).
 */
export function parseEnvelope<S extends DataSchema | undefined>(
  detail: unknown,
  schema: ReturnType<typeof envelopeSchema>,
): DomainEvent<DataOf<S>> {
  const result = schema.safeParse(detail);
  if (!result.success) throw new MalformedEventError('not a domain event envelope', issuesOf(result.error));
  return result.data as unknown as DomainEvent<DataOf<S>>;
}
