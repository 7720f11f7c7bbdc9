// The domain event envelope (X7). Every change writes one of these in the same transaction as
// the change itself (the outbox); the publisher puts it on the "crm" bus with
// detail-type = event_type and detail = the envelope, unchanged.

export const EVENT_SOURCE = 'crm';

export interface EventMetadata {
  /** ULID fixed when the change is written: every redelivery carries the same id. */
  event_id: string;
  /** "<resource>.<change>", e.g. "deal.stage_changed" */
  event_type: string;
  /** Schema version of `data` for this event_type; bumped on a breaking change. */
  event_version: number;
  occurred_at: string;
  /** The user who made the change, or "system". */
  actor_id: string;
  /** Ties together every event caused by one request or automation run. */
  correlation_id: string;
  resource_type: string;
  resource_id: string;
}

export interface DomainEvent<TData extends object = object> {
  metadata: EventMetadata;
  data: TData;
  /** For updates: the fields that changed, as they were before. */
  previous?: Partial<TData>;
}

export interface EventContext {
  actor_id: string;
  correlation_id: string;
  now: Date;
  newId: () => string;
}

export function domainEvent<TData extends object>(
  ctx: EventContext,
  event_type: string,
  resource: { resource_type: string; resource_id: string },
  data: TData,
  options: { previous?: Partial<TData>; event_version?: number } = {},
): DomainEvent<TData> {
  const event: DomainEvent<TData> = {
    metadata: {
      event_id: ctx.newId(),
      event_type,
      event_version: options.event_version ?? 1,
      occurred_at: ctx.now.toISOString(),
      actor_id: ctx.actor_id,
      correlation_id: ctx.correlation_id,
      resource_type: resource.resource_type,
      resource_id: resource.resource_id,
    },
    data,
  };
  if (options.previous) event.previous = options.previous;
  return event;
}

/** The fields of `after` that differ from `before`, with their old values. */
export function changedFields<T extends object>(before: T, after: T): Partial<T> {
  const previous: Partial<T> = {};
  for (const key of Object.keys(after) as (keyof T)[]) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) previous[key] = before[key];
  }
  return previous;
}
