import type { DomainEvent, EventContext } from './events.ts';
import type { Principal } from './principal.ts';

// Ports the use cases and platform take as arguments; adapters implement them
// (shared/adapters), tests pass in-memory fakes (test/helpers/fakes.ts).

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Puts domain events on the bus; answers which event ids could not be published. */
export interface EventPublisher {
  publish(events: DomainEvent[]): Promise<{ failedEventIds: string[] }>;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface PageQuery {
  limit: number;
  cursor?: string | undefined;
}

/** What every use case gets about the call: who, when, and how to stamp its events. */
export interface Call {
  principal: Principal;
  events: EventContext;
}

export function callContext(principal: Principal, correlationId: string, clock: Clock, newId: () => string): Call {
  return { principal, events: { actor_id: principal.user_id, correlation_id: correlationId, now: clock.now(), newId } };
}
