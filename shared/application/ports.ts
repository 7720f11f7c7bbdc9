import type { DomainEvent } from '#shared/domain/events.ts';

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
