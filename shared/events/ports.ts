import type { DomainEvent } from '#shared/kernel/events.ts';

/** Outbox events with their stream key (`<occurred_at>#<event_id>`), in key order. */
export interface StreamRead {
  events: { key: string; event: DomainEvent }[];
  /**
   * Every event whose key is ≤ this was read (the read got that far): the last event's key, or
   * a time mark when the read walked on past empty stretches. Null when nothing new was read.
   */
  readTo: string | null;
}

/** The outbox as the stream reads it: events by key, oldest first, in a bounded number of requests. */
export interface OutboxLog {
  /**
   * Events whose key is > `after` and < `before` (keys compare as strings), at most `limit`,
   * in at most `maxRequests` requests; fewer when that budget ran out first.
   */
  read(after: string, before: string, limit: number, maxRequests: number): Promise<StreamRead>;
}
