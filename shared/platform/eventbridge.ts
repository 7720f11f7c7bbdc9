import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, type DomainEvent } from '#shared/kernel/events.ts';
import type { EventPublisher } from '#shared/kernel/ports.ts';

// PutEvents takes at most 10 entries; entries can fail one by one (throttling, internal
// errors), so the failed ones are retried with backoff before they are reported as failed.

export const PUT_EVENTS_BATCH = 10;

export class EventBridgePublisher implements EventPublisher {
  readonly #client: EventBridgeClient;
  readonly #busName: string;
  readonly #attempts: number;
  readonly #backoffMs: number;

  constructor(options: { client: EventBridgeClient; busName: string; attempts?: number; backoffMs?: number }) {
    this.#client = options.client;
    this.#busName = options.busName;
    this.#attempts = options.attempts ?? 3;
    this.#backoffMs = options.backoffMs ?? 100;
  }

  async publish(events: DomainEvent[]): Promise<{ failedEventIds: string[] }> {
    const failed: string[] = [];
    for (let i = 0; i < events.length; i += PUT_EVENTS_BATCH) {
      failed.push(...(await this.#putWithRetries(events.slice(i, i + PUT_EVENTS_BATCH))));
    }
    return { failedEventIds: failed };
  }

  async #putWithRetries(batch: DomainEvent[]): Promise<string[]> {
    let pending = batch;
    for (let attempt = 1; attempt <= this.#attempts && pending.length > 0; attempt++) {
      if (attempt > 1) await sleep(this.#backoffMs * 2 ** (attempt - 2));
      try {
        const out = await this.#client.send(new PutEventsCommand({ Entries: pending.map((e) => this.#entry(e)) }));
        if (!out.FailedEntryCount) return [];
        // Entries answer in request order; those with an ErrorCode were not put.
        pending = pending.filter((_, index) => out.Entries?.[index]?.ErrorCode);
      } catch (error) {
        if (attempt === this.#attempts) throw error;
      }
    }
    return pending.map((e) => e.metadata.event_id);
  }

  #entry(event: DomainEvent): PutEventsRequestEntry {
    return {
      EventBusName: this.#busName,
      Source: EVENT_SOURCE,
      DetailType: event.metadata.event_type,
      Detail: JSON.stringify(event),
      Time: new Date(event.metadata.occurred_at),
      Resources: [],
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
