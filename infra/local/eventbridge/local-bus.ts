import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { EventBridgeEvent } from 'aws-lambda';
import { matchesPattern, type EventPattern } from '#shared/kernel/event-patterns.ts';
import { LocalArchive } from './archive.ts';
import { PendingLog } from './pending-log.ts';
import { applyInputTransformer, type InputTransformer } from './input-transformer.ts';

// The in-process EventBridge: it answers PutEvents on the wire (the publisher's real SDK
// client points at it through AWS_ENDPOINT_URL_EVENTBRIDGE), wraps each entry in a real
// EventBridge envelope, matches it against the rules with the same pattern syntax, and
// invokes the targets asynchronously with retries, as EventBridge and Lambda's asynchronous
// invocation do. With a data folder it delivers at least once across crashes: an accepted
// event is on disk before PutEvents answers, and undelivered (event, rule) pairs are
// delivered again after a restart (see pending-log.ts). A target that still fails after its
// attempts has the event parked in its on-failure queue, as Lambda's on-failure destination.

export type BusEvent = EventBridgeEvent<string, unknown>;

export interface LocalRule {
  name: string;
  pattern: EventPattern;
  /** The target: a plain async function (in-process, or a proxy to a worker). Throwing fails the attempt. */
  target: (event: BusEvent) => Promise<unknown>;
  /** Attempts per delivery before the event goes to the on-failure queue (Lambda async: 1 + 2 retries). */
  maxAttempts?: number;
  /** The target's on-failure queue (SQS queue name); default `<bus>-<rule>-on-failure`. */
  onFailureQueue?: string;
  /** The target's InputTransformer: the target then gets what it builds instead of the event. */
  input?: InputTransformer;
}

/** A delivery that exhausted its attempts. */
export interface DeadLetter {
  rule: string;
  event: BusEvent;
  error: string;
  /** The SQS queue it was parked in, when the bus has one. */
  queue?: string;
}

/**
 * What lands in a target's on-failure queue: the record Lambda sends to an asynchronous
 * invocation's on-failure destination, with the bus event as `requestPayload`.
 */
export interface OnFailureRecord {
  version: '1.0';
  timestamp: string;
  requestContext: { requestId: string; functionArn: string; condition: 'RetriesExhausted'; approximateInvokeCount: number };
  requestPayload: BusEvent;
  responseContext: { statusCode: 200; executedVersion: '$LATEST'; functionError: 'Unhandled' };
  responsePayload: { errorType: string; errorMessage: string };
}

export interface LocalEventBusOptions {
  rules?: LocalRule[];
  region?: string;
  /** The bus name (on-failure queue names start with it). Default "crm". */
  name?: string;
  /** Wait before the first retry, doubled for each next one (ms). */
  retryDelayMs?: number;
  /**
   * Keeps the pending log in `<dataDir>/bus-pending.jsonl` and the archive in
   * `<dataDir>/bus-archive.jsonl`; none keeps both in memory only.
   */
  dataDir?: string;
  /** Sends a message to an SQS queue (the local SQS); none: exhausted deliveries are only logged. */
  onFailure?: { send(queue: string, body: string): Promise<void> };
  log?: (line: string) => void;
}

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Time?: number | string;
  Resources?: string[];
}

type PutResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/** What to replay from the archive (StartReplay's window: event times, both ends inclusive). */
export interface ReplayRequest {
  from: Date;
  to: Date;
  /** Set as each replayed event's `replay-name`; default "replay-<time>". */
  name?: string;
  /** Deliver in a random order, as AWS replays do (default true); false keeps archive order (tests of order). */
  shuffle?: boolean;
}

/** What a replay did once every delivery it started has finished. */
export interface ReplayReport {
  name: string;
  /** Archived events in the window. */
  events: number;
  /** (event, rule) deliveries made (rules with side effects refuse replayed events by their pattern). */
  deliveries: number;
}

/** Attempts at parking an event in its on-failure queue before it is left for the next start. */
const PARK_ATTEMPTS = 5;

/** EventBridge for one process: PutEvents in (see serveLocalBus), rule targets invoked with retries. */
export class LocalEventBus {
  readonly #rules: LocalRule[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  /** Recovered (event, rule) pairs whose rule is not registered yet. */
  readonly #waiting = new Map<string, BusEvent[]>();
  readonly deadLetters: DeadLetter[] = [];
  readonly #region: string;
  readonly #name: string;
  readonly #retryDelayMs: number;
  readonly #log: PendingLog<BusEvent> | undefined;
  readonly #archive: LocalArchive<BusEvent>;
  readonly #replays = new Map<string, { state: 'RUNNING' | 'COMPLETED' | 'FAILED'; report?: ReplayReport; reason?: string }>();
  readonly #onFailure: LocalEventBusOptions['onFailure'];
  readonly #say: (line: string) => void;

  constructor(options: LocalEventBusOptions = {}) {
    this.#region = options.region ?? 'us-east-1';
    this.#name = options.name ?? 'crm';
    this.#retryDelayMs = options.retryDelayMs ?? 100;
    this.#onFailure = options.onFailure;
    this.#say = options.log ?? ((line) => console.error(line));
    this.#archive = new LocalArchive<BusEvent>(options.dataDir ? join(options.dataDir, 'bus-archive.jsonl') : undefined);
    if (options.dataDir) {
      this.#log = new PendingLog<BusEvent>(join(options.dataDir, 'bus-pending.jsonl'));
      for (const { event, rules } of this.#log.pending()) {
        for (const rule of rules) {
          const owed = this.#waiting.get(rule) ?? [];
          owed.push(event);
          this.#waiting.set(rule, owed);
        }
      }
    }
    for (const rule of options.rules ?? []) this.addRule(rule);
  }

  /** Adds a rule; events a crash left undelivered to a rule of that name are delivered now. */
  addRule(rule: LocalRule): void {
    this.#rules.push(rule);
    const owed = this.#waiting.get(rule.name) ?? [];
    this.#waiting.delete(rule.name);
    for (const event of owed) this.#start(rule, event);
  }

  /**
   * Accepts entries as PutEvents does: each valid entry gets an event id and, with a data
   * folder, is on disk when this returns; delivery happens after the answer.
   * @throws Error when the pending log cannot be written (nothing was accepted).
   */
  put(entries: PutEventsEntry[]): { FailedEntryCount: number; Entries: PutResult[] } {
    const accepted: { event: BusEvent; rules: LocalRule[] }[] = [];
    const results = entries.map((entry): PutResult => {
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
      accepted.push({ event, rules: this.#rules.filter((rule) => matchesPattern(rule.pattern, event)) });
      return { EventId: event.id };
    });
    this.#archive.append(accepted.map(({ event }) => event));
    this.#log?.accept(accepted.map(({ event, rules }) => ({ event, rules: rules.map((r) => r.name) })));
    for (const { event, rules } of accepted) for (const rule of rules) this.#start(rule, event);
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  /**
   * Replays the archived events of a window to the rules, as an EventBridge replay does: each
   * event is sent again with a top-level `replay-name` (and a new id), matched against the
   * rules' patterns (so rules with `"replay-name": [{"exists": false}]` skip it), in random
   * order by default. Resolves when every delivery it started has finished (or parked).
   * Replayed deliveries are not in the pending log: a crash mid-replay asks for the replay again.
   */
  async replay(request: ReplayRequest): Promise<ReplayReport> {
    const name = request.name ?? `replay-${Date.now()}`;
    const events = this.#archive.between(request.from, request.to);
    if (request.shuffle ?? true) shuffle(events);
    const deliveries: Promise<void>[] = [];
    for (const archived of events) {
      const event: BusEvent = { ...archived, id: randomUUID(), 'replay-name': name } as BusEvent;
      for (const rule of this.#rules.filter((r) => matchesPattern(r.pattern, event))) {
        deliveries.push(this.#start(rule, event));
      }
    }
    await Promise.allSettled(deliveries);
    return { name, events: events.length, deliveries: deliveries.length };
  }

  /** StartReplay on the wire: starts a replay, answered at once; DescribeReplay tells when it is done. */
  startReplay(request: ReplayRequest & { name: string }): void {
    if (this.#replays.get(request.name)?.state === 'RUNNING') throw new Error(`replay ${request.name} is running`);
    this.#replays.set(request.name, { state: 'RUNNING' });
    this.replay(request).then(
      (report) => this.#replays.set(request.name, { state: 'COMPLETED', report }),
      (error: Error) => this.#replays.set(request.name, { state: 'FAILED', reason: error.message }),
    );
  }

  /** A replay's state (undefined when there is none of that name). */
  replayState(name: string): { state: 'RUNNING' | 'COMPLETED' | 'FAILED'; report?: ReplayReport; reason?: string } | undefined {
    return this.#replays.get(name);
  }

  /** Resolves when every delivery started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Waits for the deliveries under way, then closes the pending log. */
  async close(): Promise<void> {
    await this.idle();
    this.#log?.close();
  }

  #ruleArn(name: string): string {
    return `arn:aws:events:${this.#region}:000000000000:rule/${this.#name}/${name}`;
  }

  #start(rule: LocalRule, event: BusEvent): Promise<void> {
    const delivery = this.#deliver(rule, event).finally(() => this.#inFlight.delete(delivery));
    this.#inFlight.add(delivery);
    return delivery;
  }

  async #deliver(rule: LocalRule, event: BusEvent): Promise<void> {
    const attempts = rule.maxAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        // A transformed input is whatever the template builds (typed as the event for the target's sake).
        const input = rule.input
          ? (applyInputTransformer(rule.input, event, { name: rule.name, arn: this.#ruleArn(rule.name) }) as BusEvent)
          : structuredClone(event);
        await rule.target(input);
        this.#log?.done(event.id, rule.name, 'delivered');
        return;
      } catch (error) {
        if (attempt >= attempts) {
          await this.#park(rule, event, error as Error, attempts);
          return;
        }
        await sleep(this.#retryDelayMs * 2 ** (attempt - 1));
      }
    }
  }

  /** The on-failure destination: the target's queue, then the pair is done. */
  async #park(rule: LocalRule, event: BusEvent, error: Error, attempts: number): Promise<void> {
    const queue = rule.onFailureQueue ?? `${this.#name}-${rule.name}-on-failure`;
    const letter: DeadLetter = { rule: rule.name, event, error: error.message };
    if (!this.#onFailure) {
      this.deadLetters.push(letter);
      this.#say(`[bus] rule ${rule.name}: ${event['detail-type']} failed ${attempts} times: ${error.message}`);
      this.#log?.done(event.id, rule.name, 'dead-lettered');
      return;
    }
    const record: OnFailureRecord = {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId: randomUUID(),
        functionArn: `arn:aws:lambda:${this.#region}:000000000000:function:${rule.name}`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: attempts,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: error.name, errorMessage: error.message },
    };
    for (let attempt = 1; attempt <= PARK_ATTEMPTS; attempt++) {
      try {
        await this.#onFailure.send(queue, JSON.stringify(record));
        this.deadLetters.push({ ...letter, queue });
        this.#say(
          `[bus] rule ${rule.name}: ${event['detail-type']} failed ${attempts} times, sent to ${queue}: ${error.message}`,
        );
        this.#log?.done(event.id, rule.name, 'on-failure');
        return;
      } catch (sendError) {
        if (attempt === PARK_ATTEMPTS) {
          // Still pending in the log: delivered again on the next start.
          this.#say(`[bus] rule ${rule.name}: could not park ${event.id} in ${queue}: ${(sendError as Error).message}`);
          return;
        }
        await sleep(this.#retryDelayMs * 2 ** (attempt - 1));
      }
    }
  }
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function toIsoSeconds(time: number | string | undefined): string {
  const date = time === undefined ? new Date() : typeof time === 'number' ? new Date(time * 1000) : new Date(time);
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** StartReplay and DescribeReplay on the wire (`npm run replay -- --local`); the archive is the bus's own. */
function replayOperation(bus: LocalEventBus, target: string, input: Record<string, unknown>): Record<string, unknown> {
  const name = String(input.ReplayName ?? '');
  if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(name)) throw new Error('ReplayName must be 1 to 64 letters, digits, ".", "-" or "_"');
  const arn = `arn:aws:events:us-east-1:000000000000:replay/${name}`;
  if (target === 'AWSEvents.StartReplay') {
    const from = epochDate(input.EventStartTime);
    const to = epochDate(input.EventEndTime);
    if (to < from) throw new Error('EventEndTime is before EventStartTime');
    bus.startReplay({ name, from, to });
    return { ReplayArn: arn, State: 'STARTING', ReplayStartTime: Date.now() / 1000 };
  }
  const replay = bus.replayState(name);
  if (!replay) throw new Error(`no replay ${name}`);
  return {
    ReplayName: name,
    ReplayArn: arn,
    State: replay.state,
    ...(replay.reason ? { StateReason: replay.reason } : {}),
    ...(replay.report ? { StateReason: `${replay.report.events} events, ${replay.report.deliveries} deliveries` } : {}),
  };
}

function epochDate(value: unknown): Date {
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(String(value));
  if (Number.isNaN(date.getTime())) throw new Error(`not a time: ${String(value)}`);
  return date;
}

/** Serves the bus on the EventBridge JSON wire protocol: PutEvents, and StartReplay/DescribeReplay of its archive. */
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
      if (target === 'AWSEvents.StartReplay' || target === 'AWSEvents.DescribeReplay') {
        try {
          reply(200, replayOperation(bus, target, JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')));
        } catch (error) {
          reply(400, { __type: 'ValidationException', message: (error as Error).message }, 'ValidationException');
        }
        return;
      }
      if (target !== 'AWSEvents.PutEvents') {
        reply(
          400,
          { __type: 'UnknownOperationException', message: `${target} is not served locally` },
          'UnknownOperationException',
        );
        return;
      }
      let input: { Entries?: PutEventsEntry[] };
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries?: PutEventsEntry[] };
      } catch (error) {
        reply(400, { __type: 'ValidationException', message: (error as Error).message }, 'ValidationException');
        return;
      }
      try {
        reply(200, bus.put(input.Entries ?? []));
      } catch (error) {
        // The pending log could not be written: nothing was accepted, and the SDK retries a 500.
        reply(500, { __type: 'InternalException', message: (error as Error).message }, 'InternalException');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
