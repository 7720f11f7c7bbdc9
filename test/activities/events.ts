import { domainEvent, type DomainEvent } from '#shared/kernel/events.ts';

// Domain events as the families emit them (only the fields the feed reads, plus a few more),
// for the feed's tests.

let seq = 0;
/** A ULID-shaped id that sorts in creation order. */
export const eventId = (): string => `01JEVT${String(++seq).padStart(20, '0')}`;

export function event<T extends object>(
  type: string,
  resource: { resource_type: string; resource_id: string },
  data: T,
  options: { actor?: string; at?: string; previous?: Partial<T> } = {},
): DomainEvent<T> {
  return domainEvent(
    {
      actor_id: options.actor ?? 'actor',
      correlation_id: 'corr',
      now: new Date(options.at ?? '2031-03-04T09:00:00.000Z'),
      newId: eventId,
    },
    type,
    resource,
    data,
    options.previous ? { previous: options.previous } : {},
  );
}

export const deal = (id: string, owner: string, version: number, extra: Record<string, unknown> = {}) => ({
  id,
  name: `Deal ${id}`,
  owner_id: owner,
  stage_id: 'stage-1',
  version,
  ...extra,
});

export const at = (minute: number): string => new Date(Date.UTC(2031, 2, 4, 9, minute)).toISOString();
