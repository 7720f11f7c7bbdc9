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
  /**
   * Set when an automation (a bus consumer) wrote this event because of another event; absent
   * for a change a user's request made (a root event, depth 0). Consumers stop loops on it.
   */
  caused_by?: CausedBy;
  /**
   * Set on the events of records a CSV import or a bulk operation wrote: admins' automated
   * actions skip an import's unless it asked for them (`automations`), as other CRMs do; the
   * notifications group a job's alerts into one.
   */
  origin?: EventOrigin;
}

/** The job (a CSV import, a bulk operation) an event's change came from. */
export interface EventOrigin {
  type: 'import' | 'bulk_operation';
  /** The job's id. */
  id: string;
  /** Whether automated actions run on the imported records. */
  automations: boolean;
}

/** The event that made an automation write (README "Events": caused_by). */
export interface CausedBy {
  /** The triggering event's id. */
  event_id: string;
  /** The id of the first event of the chain (the user's change); equals event_id at depth 1. */
  root_event_id: string;
  /** The automation that wrote: the consumer's name, e.g. "contact-status". */
  automation: string;
  /** Links from the root: 1 for an event caused by a user's event, 2 for one caused by that... */
  depth: number;
}

/** Deeper chains are a loop between automations: a consumer refuses to write at this depth. */
export const MAX_CAUSE_DEPTH = 8;

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
  /** Copied into every event's metadata: set by automations (see `causedContext`), absent for users. */
  caused_by?: CausedBy;
  /** Copied into every event's metadata: set by imports and bulk operations. */
  origin?: EventOrigin;
}

/** The caused_by of an event `automation` writes because of `trigger`: one link deeper. */
export function causedBy(trigger: DomainEvent, automation: string): CausedBy {
  const parent = trigger.metadata.caused_by;
  return {
    event_id: trigger.metadata.event_id,
    root_event_id: parent?.root_event_id ?? trigger.metadata.event_id,
    automation,
    depth: (parent?.depth ?? 0) + 1,
  };
}

/**
 * The event context of an automation reacting to `trigger`: actor "system", the trigger's
 * correlation id, and caused_by one link deeper.
 * @throws Error when that would reach MAX_CAUSE_DEPTH (automations writing in a loop).
 */
export function causedContext(trigger: DomainEvent, automation: string, now: Date, newId: () => string): EventContext {
  const caused_by = causedBy(trigger, automation);
  if (caused_by.depth >= MAX_CAUSE_DEPTH) {
    throw new Error(
      `${automation}: event ${trigger.metadata.event_id} is ${caused_by.depth - 1} automation steps from ${caused_by.root_event_id}; refusing to write (a loop?)`,
    );
  }
  return { actor_id: 'system', correlation_id: trigger.metadata.correlation_id, now, newId, caused_by };
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
      ...(ctx.caused_by ? { caused_by: { ...ctx.caused_by } } : {}),
      ...(ctx.origin ? { origin: { ...ctx.origin } } : {}),
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
