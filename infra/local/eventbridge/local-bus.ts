import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventBridgeEvent } from 'aws-lambda';
import { matchesPattern, type EventPattern } from './pattern-matcher.ts';

// The in-process EventBridge: it answers PutEvents on the wire (the publisher's real SDK
// client points at it through AWS_ENDPOINT_URL_EVENTBRIDGE), wraps each entry in a real
// EventBridge envelope, matches it against the rules with the same pattern syntax, and
// invokes the targets asynchronously with retries, as EventBridge does.

export type BusEvent = EventBridgeEvent<string, unknown>;

export interface LocalRule {
  name: string;
  pattern: EventPattern;
  target: (event: BusEvent) => Promise<unknown>;
  /** Attempts per delivery before the event is dead-lettered (EventBridge retries up to 185). */
  maxAttempts?: number;
}

export interface DeadLetter {
  rule: string;
  event: BusEvent;
  error: string;
}

interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Time?: number | string;
  Resources?: string[];
}

export class LocalEventBus {
  readonly #rules: LocalRule[];
  readonly #pending = new Set<Promise<void>>();
  readonly deadLetters: DeadLetter[] = [];
  readonly #region: string;
  readonly #retryDelayMs: number;

  constructor(options: { rules?: LocalRule[]; region?: string; retryDelayMs?: number } = {}) {
    this.#rules = [...(options.rules ?? [])];
    this.#region = options.region ?? 'us-east-1';
    this.#retryDelayMs = options.retryDelayMs ?? 100;
  }

  addRule(rule: LocalRule): void {
    this.#rules.push(rule);
  }

  /** Accepts entries as PutEvents does; delivery happens after the answer. */
  put(entries: PutEventsEntry[]): {
    FailedEntryCount: number;
    Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[];
  } {
    const results = entries.map((entry) => {
      if (!entry.Source || !entry.DetailType || !entry.Detail) {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Source, DetailType and Detail are required' };
      }
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not valid JSON' };
      }
      const event: BusEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: '000000000000',
        time: toIsoSeconds(entry.Time),
        region: this.#region,
        resources: entry.Resources ?? [],
        detail,
      };
      this.#route(event);
      return { EventId: event.id };
    });
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  /** Resolves when every delivery started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #route(event: BusEvent): void {
    for (const rule of this.#rules) {
      if (!matchesPattern(rule.pattern, event)) continue;
      const delivery = this.#deliver(rule, event).finally(() => this.#pending.delete(delivery));
      this.#pending.add(delivery);
    }
  }

  async #deliver(rule: LocalRule, event: BusEvent): Promise<void> {
    const attempts = rule.maxAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        await rule.target(structuredClone(event));
        return;
      } catch (error) {
        if (attempt >= attempts) {
          this.deadLetters.push({ rule: rule.name, event, error: (error as Error).message });
          console.error(`[bus] rule ${rule.name}: ${event['detail-type']} dead-lettered: ${(error as Error).message}`);
          return;
        }
        await new Promise((r) => setTimeout(r, this.#retryDelayMs * attempt));
      }
    }
  }
}

function toIsoSeconds(time: number | string | undefined): string {
  const date = time === undefined ? new Date() : typeof time === 'number' ? new Date(time * 1000) : new Date(time);
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** Serves the bus on the EventBridge JSON wire protocol (only PutEvents is needed). */
export async function serveLocalBus(bus: LocalEventBus, port = 0): Promise<{ endpoint: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const reply = (status: number, body: unknown, type?: string) => {
        res.writeHead(status, {
          'content-type': 'application/x-amz-json-1.1',
          ...(type ? { 'x-amzn-errortype': type } : {}),
        });
        res.end(JSON.stringify(body));
      };
      if (target !== 'AWSEvents.PutEvents') {
        reply(
          400,
          { __type: 'UnknownOperationException', message: `${target} is not served locally` },
          'UnknownOperationException',
        );
        return;
      }
      try {
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries?: PutEventsEntry[] };
        reply(200, bus.put(input.Entries ?? []));
      } catch (error) {
        reply(400, { __type: 'ValidationException', message: (error as Error).message }, 'ValidationException');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
