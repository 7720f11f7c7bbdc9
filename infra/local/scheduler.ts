import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import * as z from 'zod';
import { systemClock, type Clock } from '#shared/kernel/ports.ts';

// The local EventBridge Scheduler. It speaks Scheduler's REST-JSON wire protocol, so the AWS
// adapter with the real SDK client (endpoint from AWS_ENDPOINT_URL_SCHEDULER) runs unchanged on
// a laptop. It keeps one-time at() schedules in a JSON file, so reminders survive a restart of
// `npm start`, and fires them from an injectable clock, so tests move time instead of waiting.
//
// Served: CreateSchedule, GetSchedule, DeleteSchedule, ListSchedules. Schedule groups are
// implicit (any valid group name is accepted); only at() in UTC is evaluated: a rate() or
// cron() schedule is refused rather than stored and silently never fired.

export interface LocalSchedulerOptions {
  /** 0 (the default) takes a free port; read it back from `port` or `endpoint`. */
  port?: number;
  /** Where schedules are kept between runs; none keeps them in memory. */
  file?: string;
  clock?: Clock;
  /** Fires a target: the local cloud maps the target ARN to a handler. A rejection is a failed attempt. */
  invoke: (targetArn: string, input: unknown) => Promise<void>;
  /** For ARNs when a request's signature names no region. */
  region?: string;
  /** How often the background timer calls tick(); 0 turns it off (tests tick by hand). */
  tickIntervalMs?: number;
  onDeadLetter?: (letter: DeadLetter) => void;
  /** A tick that throws (an unwritable file, say); the timer keeps going. */
  onError?: (error: Error) => void;
}

export interface LocalScheduler {
  endpoint: string;
  port: number;
  /** Fires every due schedule (first attempts and due retries); answers how many attempts it made. */
  tick(): Promise<number>;
  schedules(): LocalScheduleView[];
  /** Schedules whose target failed for good: what Scheduler would send to the DLQ. */
  deadLetters(): readonly DeadLetter[];
  stop(): Promise<void>;
}

export interface LocalScheduleView {
  name: string;
  groupName: string;
  arn: string;
  state: 'ENABLED' | 'DISABLED';
  fireAt: Date;
  targetArn: string;
  input: string | undefined;
  actionAfterCompletion: 'NONE' | 'DELETE';
  attempts: number;
  completed: boolean;
}

export interface DeadLetter {
  scheduleArn: string;
  name: string;
  groupName: string;
  targetArn: string;
  /** The schedule's DLQ; none means Scheduler would have dropped the event. */
  deadLetterArn: string | undefined;
  input: unknown;
  attempts: number;
  error: string;
}

// ---- Wire shapes: the constraints of Scheduler's API reference ------------------------------

const NAME = z.string().regex(/^[0-9a-zA-Z\-_.]{1,64}$/, 'must be 1 to 64 characters of [0-9a-zA-Z-_.]');
const ARN = z.string().min(1).max(1600);

const targetShape = z.looseObject({
  Arn: ARN,
  RoleArn: ARN,
  Input: z.string().min(1).max(8192).optional(),
  DeadLetterConfig: z.object({ Arn: ARN.optional() }).optional(),
  RetryPolicy: z
    .object({
      MaximumRetryAttempts: z.int().min(0).max(185).optional(),
      MaximumEventAgeInSeconds: z.int().min(60).max(86400).optional(),
    })
    .optional(),
});

const flexibleTimeWindowShape = z
  .object({ Mode: z.enum(['OFF', 'FLEXIBLE']), MaximumWindowInMinutes: z.int().min(1).max(1440).optional() })
  .refine((w) => w.Mode === 'OFF' || w.MaximumWindowInMinutes !== undefined, {
    message: 'MaximumWindowInMinutes is required when Mode is FLEXIBLE',
  });

const createScheduleShape = z.object({
  ScheduleExpression: z.string().min(1).max(256),
  ScheduleExpressionTimezone: z.string().min(1).max(50).optional(),
  Target: targetShape,
  FlexibleTimeWindow: flexibleTimeWindowShape,
  GroupName: NAME.optional(),
  StartDate: z.number().optional(),
  EndDate: z.number().optional(),
  Description: z.string().max(512).optional(),
  State: z.enum(['ENABLED', 'DISABLED']).optional(),
  KmsKeyArn: z.string().min(1).max(2048).optional(),
  ClientToken: z.string().min(1).max(64).optional(),
  ActionAfterCompletion: z.enum(['NONE', 'DELETE']).optional(),
});

/** What the file holds: the schedule as GetSchedule shows it, its ClientToken, and delivery state. */
const storedScheduleShape = createScheduleShape.extend({
  Arn: z.string(),
  Name: NAME,
  GroupName: NAME,
  State: z.enum(['ENABLED', 'DISABLED']),
  ActionAfterCompletion: z.enum(['NONE', 'DELETE']),
  CreationDate: z.number(),
  LastModificationDate: z.number(),
  delivery: z.object({
    fireAt: z.number(),
    attempts: z.int().min(0),
    nextAttemptAt: z.number().optional(),
    completed: z.boolean(),
  }),
});
type StoredSchedule = z.infer<typeof storedScheduleShape>;

const fileShape = z.object({ schedules: z.array(storedScheduleShape) });

const DEFAULT_GROUP = 'default';
const DEFAULT_RETRY = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 };
const ACCOUNT = '000000000000';

// ---- Errors as Scheduler sends them: x-amzn-errortype header, {"Message": ...} body ---------

const ERROR_STATUS = {
  ValidationException: 400,
  ResourceNotFoundException: 404,
  UnknownOperationException: 404,
  ConflictException: 409,
  InternalServerException: 500,
} as const;
type ErrorType = keyof typeof ERROR_STATUS;

class SchedulerApiError extends Error {
  readonly type: ErrorType;

  constructor(type: ErrorType, message: string) {
    super(message);
    this.type = type;
  }
}

function validation(message: string): SchedulerApiError {
  return new SchedulerApiError('ValidationException', message);
}

// ---- The emulator ------------------------------------------------------------------------------

export async function startLocalScheduler(options: LocalSchedulerOptions): Promise<LocalScheduler> {
  const core = new SchedulerCore(options);
  const server = createServer((req, res) => void core.serve(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  // The background timer wakes at the next schedule's time (at most `interval` ahead, so a
  // moved injectable clock is seen too): on the real clock a reminder fires within
  // milliseconds of its second, not up to a whole interval late.
  const interval = options.tickIntervalMs ?? 250;
  const clock = options.clock ?? systemClock;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = () => {
    if (stopped || interval <= 0) return;
    clearTimeout(timer);
    const wait = Math.min(interval, Math.max(0, core.nextDue() - clock.now().getTime()));
    timer = setTimeout(() => void core.backgroundTick().finally(arm), wait).unref();
  };
  core.onChange = arm;
  arm();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    tick: () => core.tick(),
    schedules: () => core.views(),
    deadLetters: () => core.deadLetters,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await closeServer(server);
      await core.idle();
    },
  };
}

class SchedulerCore {
  readonly deadLetters: DeadLetter[] = [];
  readonly #options: LocalSchedulerOptions;
  readonly #clock: Clock;
  readonly #schedules: Map<string, StoredSchedule>;
  #ticking: Promise<unknown> = Promise.resolve();
  #busy = false;

  constructor(options: LocalSchedulerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#schedules = new Map(loadSchedules(options.file).map((s) => [scheduleKey(s.GroupName, s.Name), s]));
  }

  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://scheduler.local');
      send(res, 200, this.#route(req.method ?? 'GET', url, body, signedRegion(req) ?? this.#options.region ?? 'us-east-1'));
    } catch (error) {
      const apiError =
        error instanceof SchedulerApiError ? error : new SchedulerApiError('InternalServerException', String(error));
      send(res, ERROR_STATUS[apiError.type], { Message: apiError.message }, apiError.type);
    }
  }

  #route(method: string, url: URL, body: string, region: string): object {
    const [collection, rawName, ...rest] = url.pathname.split('/').filter(Boolean);
    if (collection === 'schedules' && rest.length === 0) {
      if (rawName === undefined) {
        if (method === 'GET') return this.#list(url.searchParams);
      } else {
        const name = parseName(decodeURIComponent(rawName), 'name');
        const group = parseName(url.searchParams.get('groupName') ?? DEFAULT_GROUP, 'groupName');
        if (method === 'POST') return this.#create(name, parseJson(body), region);
        if (method === 'GET') return wireView(this.#find(group, name));
        if (method === 'DELETE') return this.#delete(group, name);
      }
    }
    throw new SchedulerApiError('UnknownOperationException', `${method} ${url.pathname} is not served by the local scheduler`);
  }

  #create(name: string, input: unknown, region: string): { ScheduleArn: string } {
    const request = parseShape(createScheduleShape, input);
    const group = request.GroupName ?? DEFAULT_GROUP;
    const fireAt = parseAt(request.ScheduleExpression, request.ScheduleExpressionTimezone);
    const now = this.#clock.now().getTime();
    // Scheduler refuses a one-time schedule whose time has passed (at() has whole seconds).
    if (fireAt < Math.floor(now / 1000) * 1000)
      throw validation(`The schedule expression ${request.ScheduleExpression} is in the past.`);
    const existing = this.#schedules.get(scheduleKey(group, name));
    if (existing) {
      // The SDK sends the same ClientToken when it retries a request: that retry succeeds again.
      if (request.ClientToken !== undefined && existing.ClientToken === request.ClientToken) return { ScheduleArn: existing.Arn };
      throw new SchedulerApiError('ConflictException', `Schedule ${name} already exists.`);
    }
    const schedule: StoredSchedule = {
      ...request,
      Arn: `arn:aws:scheduler:${region}:${ACCOUNT}:schedule/${group}/${name}`,
      Name: name,
      GroupName: group,
      State: request.State ?? 'ENABLED',
      ActionAfterCompletion: request.ActionAfterCompletion ?? 'NONE',
      CreationDate: now / 1000,
      LastModificationDate: now / 1000,
      delivery: { fireAt, attempts: 0, completed: false },
    };
    this.#schedules.set(scheduleKey(group, name), schedule);
    this.#save();
    this.onChange?.();
    return { ScheduleArn: schedule.Arn };
  }

  #find(group: string, name: string): StoredSchedule {
    const schedule = this.#schedules.get(scheduleKey(group, name));
    if (!schedule) throw new SchedulerApiError('ResourceNotFoundException', `Schedule ${name} does not exist.`);
    return schedule;
  }

  #delete(group: string, name: string): object {
    this.#find(group, name);
    this.#schedules.delete(scheduleKey(group, name));
    this.#save();
    return {};
  }

  #list(query: URLSearchParams): object {
    const group = query.get('ScheduleGroup');
    const prefix = query.get('NamePrefix') ?? '';
    const state = query.get('State');
    if (state !== null && state !== 'ENABLED' && state !== 'DISABLED')
      throw validation(`State must be ENABLED or DISABLED, not ${state}`);
    const max = Number(query.get('MaxResults') ?? 100);
    if (!Number.isInteger(max) || max < 1 || max > 100) throw validation('MaxResults must be an integer from 1 to 100');
    const after = query.has('NextToken') ? decodeToken(query.get('NextToken') ?? '') : undefined;
    const matching = [...this.#schedules.entries()]
      .filter(
        ([, s]) =>
          (group === null || s.GroupName === group) && s.Name.startsWith(prefix) && (state === null || s.State === state),
      )
      .sort(([a], [b]) => (a < b ? -1 : 1));
    const start = after === undefined ? 0 : matching.findIndex(([key]) => key > after);
    const page = start < 0 ? [] : matching.slice(start, start + max);
    const lastKey = page.at(-1)?.[0];
    const more = start >= 0 && start + max < matching.length;
    return {
      Schedules: page.map(([, s]) => summaryView(s)),
      ...(more && lastKey !== undefined ? { NextToken: Buffer.from(lastKey).toString('base64url') } : {}),
    };
  }

  // ---- Firing ----

  /** Ticks run one after another, so a slow target is never fired twice by overlapping ticks. */
  tick(): Promise<number> {
    const run = this.#ticking.then(() => this.#fireDue());
    this.#ticking = run.catch(() => undefined);
    return run;
  }

  /** Called when a schedule is created (the timer re-arms for it). */
  onChange: (() => void) | undefined;

  async backgroundTick(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    await this.tick()
      .catch((error: unknown) => this.#options.onError?.(error instanceof Error ? error : new Error(String(error))))
      .finally(() => (this.#busy = false));
  }

  /** Epoch ms of the next attempt due (a first attempt or a retry); Infinity when none. */
  nextDue(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const s of this.#schedules.values()) {
      if (s.State === 'ENABLED' && !s.delivery.completed) next = Math.min(next, s.delivery.nextAttemptAt ?? s.delivery.fireAt);
    }
    return next;
  }

  async idle(): Promise<void> {
    await this.#ticking;
  }

  async #fireDue(): Promise<number> {
    const now = this.#clock.now().getTime();
    const due = [...this.#schedules.values()].filter((s) => isDue(s, now));
    if (due.length === 0) return 0;
    await Promise.all(due.map((s) => this.#attempt(s, now)));
    // Saved after the attempts: a crash in between fires them again, at least once as in AWS.
    this.#save();
    return due.length;
  }

  async #attempt(schedule: StoredSchedule, now: number): Promise<void> {
    const delivery = schedule.delivery;
    delivery.attempts += 1;
    try {
      await this.#options.invoke(schedule.Target.Arn, targetInput(schedule, delivery.attempts));
      this.#complete(schedule);
    } catch (error) {
      const retry = { ...DEFAULT_RETRY, ...schedule.Target.RetryPolicy };
      const nextAttemptAt = now + retryDelayMs(delivery.attempts);
      const retriesLeft = delivery.attempts - 1 < retry.MaximumRetryAttempts;
      const stillFresh = nextAttemptAt - delivery.fireAt <= retry.MaximumEventAgeInSeconds * 1000;
      if (retriesLeft && stillFresh) {
        delivery.nextAttemptAt = nextAttemptAt;
        return;
      }
      this.#deadLetter(schedule, error);
      this.#complete(schedule);
    }
  }

  #deadLetter(schedule: StoredSchedule, error: unknown): void {
    const letter: DeadLetter = {
      scheduleArn: schedule.Arn,
      name: schedule.Name,
      groupName: schedule.GroupName,
      targetArn: schedule.Target.Arn,
      deadLetterArn: schedule.Target.DeadLetterConfig?.Arn,
      input: targetInput(schedule, schedule.delivery.attempts),
      attempts: schedule.delivery.attempts,
      error: error instanceof Error ? error.message : String(error),
    };
    this.deadLetters.push(letter);
    this.#options.onDeadLetter?.(letter);
  }

  #complete(schedule: StoredSchedule): void {
    schedule.delivery.completed = true;
    delete schedule.delivery.nextAttemptAt;
    const key = scheduleKey(schedule.GroupName, schedule.Name);
    // Deleted (or replaced) while its target ran: nothing of ours is left to complete.
    if (schedule.ActionAfterCompletion === 'DELETE' && this.#schedules.get(key) === schedule) this.#schedules.delete(key);
  }

  // ---- State ----

  views(): LocalScheduleView[] {
    return [...this.#schedules.values()].map((s) => ({
      name: s.Name,
      groupName: s.GroupName,
      arn: s.Arn,
      state: s.State,
      fireAt: new Date(s.delivery.fireAt),
      targetArn: s.Target.Arn,
      input: s.Target.Input,
      actionAfterCompletion: s.ActionAfterCompletion,
      attempts: s.delivery.attempts,
      completed: s.delivery.completed,
    }));
  }

  /** Written whole to a temporary file then renamed over the old one: a crash leaves one or the other. */
  #save(): void {
    const file = this.#options.file;
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, JSON.stringify({ schedules: [...this.#schedules.values()] }, null, 2));
    renameSync(`${file}.tmp`, file);
  }
}

// ---- Helpers ------------------------------------------------------------------------------------

function loadSchedules(file: string | undefined): StoredSchedule[] {
  if (!file || !existsSync(file)) return [];
  const parsed = fileShape.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  // Refuse to start rather than drop reminders someone is counting on.
  if (!parsed.success) throw new Error(`${file} is not a local scheduler file: ${z.prettifyError(parsed.error)}`);
  return parsed.data.schedules;
}

function scheduleKey(group: string, name: string): string {
  // '/' is in neither names nor groups, so the key is unambiguous and sorts by group, then name.
  return `${group}/${name}`;
}

function isDue(schedule: StoredSchedule, now: number): boolean {
  const { delivery } = schedule;
  return schedule.State === 'ENABLED' && !delivery.completed && (delivery.nextAttemptAt ?? delivery.fireAt) <= now;
}

/** Exponential backoff as Scheduler does, capped at a minute so local retries stay watchable. */
export function retryDelayMs(attempt: number): number {
  return Math.min(1000 * 2 ** (attempt - 1), 60_000);
}

/** The Input with Scheduler's context attributes filled in, parsed when it is JSON (as Lambda gets it). */
function targetInput(schedule: StoredSchedule, attempt: number): unknown {
  const raw = schedule.Target.Input;
  if (raw === undefined) return {};
  const filled = raw
    .replaceAll('<aws.scheduler.schedule-arn>', schedule.Arn)
    .replaceAll('<aws.scheduler.scheduled-time>', `${new Date(schedule.delivery.fireAt).toISOString().slice(0, 19)}Z`)
    .replaceAll('<aws.scheduler.execution-id>', randomUUID())
    .replaceAll('<aws.scheduler.attempt-number>', String(attempt));
  try {
    return JSON.parse(filled) as unknown;
  } catch {
    return filled;
  }
}

const UTC_ZONES = new Set(['UTC', 'Etc/UTC']);
const AT_EXPRESSION = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/;

/** The epoch milliseconds of at(yyyy-mm-ddThh:mm:ss) in UTC. */
export function parseAt(expression: string, timezone: string | undefined): number {
  if (timezone !== undefined && !UTC_ZONES.has(timezone)) {
    throw validation(`The local scheduler evaluates at() in UTC only, not in ${timezone}.`);
  }
  const local = AT_EXPRESSION.exec(expression)?.[1];
  if (local === undefined) {
    if (/^(rate|cron)\(/.test(expression))
      throw validation(`The local scheduler runs one-time at() schedules only, not ${expression}.`);
    throw validation(`Invalid Schedule Expression ${expression}.`);
  }
  const time = Date.parse(`${local}Z`);
  // Rejects dates that do not exist (02-30, 24:00:00) instead of rolling them over.
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 19) !== local)
    throw validation(`Invalid Schedule Expression ${expression}.`);
  return time;
}

function parseName(value: string, field: string): string {
  const parsed = NAME.safeParse(value);
  if (!parsed.success)
    throw validation(
      `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z-_.]+ and have a length from 1 to 64`,
    );
  return parsed.data;
}

function parseShape<T>(shape: z.ZodType<T>, value: unknown): T {
  const parsed = shape.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
  throw validation(`${issues.length} validation error${issues.length > 1 ? 's' : ''} detected: ${issues.join('; ')}`);
}

function parseJson(body: string): unknown {
  if (body === '') return {};
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw validation('The request body is not valid JSON.');
  }
}

function decodeToken(token: string): string {
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (!/^[0-9a-zA-Z\-_.]+\/[0-9a-zA-Z\-_.]+$/.test(key)) throw validation('The NextToken is not valid.');
  return key;
}

/** GetSchedule's answer: the stored schedule without the ClientToken and our delivery state. */
function wireView(schedule: StoredSchedule): object {
  const { ClientToken: _token, delivery: _delivery, ...view } = schedule;
  return view;
}

function summaryView(s: StoredSchedule): object {
  return {
    Arn: s.Arn,
    Name: s.Name,
    GroupName: s.GroupName,
    State: s.State,
    CreationDate: s.CreationDate,
    LastModificationDate: s.LastModificationDate,
    Target: { Arn: s.Target.Arn },
  };
}

/** The region of the SigV4 credential scope, so ARNs name the region the client thinks it is in. */
function signedRegion(req: IncomingMessage): string | undefined {
  return /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\/scheduler\//.exec(req.headers.authorization ?? '')?.[1];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: object, errorType?: ErrorType): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(JSON.stringify(body));
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // The SDK keeps connections alive; close() alone would wait for them to idle out.
    server.closeAllConnections();
  });
}
