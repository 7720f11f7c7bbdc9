import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { REPO_ROOT } from '../build/bundle.ts';
import type { FunctionSpec } from '../functions.ts';
import type { HostMessage, SerializedError, WorkerData, WorkerMessage } from './lambda-protocol.ts';

// A Lambda function on a laptop: its handler module runs in a worker thread whose environment
// is only the function's own (not a copy of this process's), started on the first invocation
// and kept warm, as a Lambda sandbox is. `handler` is a plain function, so the HTTP server,
// the stream poller, the local bus and the scheduler call it as they would the module's.
//
// Unlike Lambda, one sandbox serves overlapping invocations (the handlers are async and keep
// no per-request state in module scope), which keeps the e2e tests fast.

const WORKER_URL = new URL('./lambda-worker.ts', import.meta.url);

export interface LocalFunctionOptions {
  readonly spec: FunctionSpec;
  /** "crm-<stage>-<name>", as in AWS. */
  readonly functionName: string;
  /** The whole environment of the function: nothing else reaches its process.env. */
  readonly env: Record<string, string>;
  readonly region: string;
  readonly accountId?: string;
  /** Modules (file: URLs) the sandbox imports before the handler: hooks that must run inside it. */
  readonly preload?: readonly string[];
}

/** An invocation error: the handler's error (or the init error) with its name and message kept. */
export class LocalInvocationError extends Error {
  readonly functionName: string;
  readonly phase: 'init' | 'invoke';
  constructor(functionName: string, cause: SerializedError, phase: 'init' | 'invoke') {
    super(cause.message);
    this.functionName = functionName;
    this.phase = phase;
    this.name = cause.name;
    if (cause.stack) this.stack = `${cause.stack}\n    at ${functionName} (${phase}, local worker)`;
  }
}

interface Sandbox {
  worker: Worker;
  ready: Promise<void>;
  pending: Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>;
}

export class LocalFunction {
  readonly spec: FunctionSpec;
  readonly functionName: string;
  readonly #options: LocalFunctionOptions;
  #sandbox: Sandbox | undefined;
  #nextId = 1;
  #stopped = false;

  constructor(options: LocalFunctionOptions) {
    this.#options = options;
    this.spec = options.spec;
    this.functionName = options.functionName;
  }

  /** The function as a handler: what Lambda's event sources call. */
  readonly handler = <R = unknown>(event: unknown): Promise<R> => this.invoke<R>(event);

  /** Starts the sandbox now (else on the first invocation); rejects with the init error. */
  async start(): Promise<void> {
    await this.#ensureSandbox().ready;
  }

  /** Runs one event; rejects with the handler's error, its init error, or a timeout. */
  async invoke<R = unknown>(event: unknown): Promise<R> {
    const sandbox = this.#ensureSandbox();
    await sandbox.ready;
    const id = this.#nextId++;
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        sandbox.pending.delete(id);
        reject(new Error(`${this.functionName}: Task timed out after ${this.spec.timeoutSeconds}.00 seconds`));
      }, timeoutMs);
      sandbox.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      const message: HostMessage = { type: 'invoke', id, event, requestId: randomUUID(), deadline: Date.now() + timeoutMs };
      sandbox.worker.postMessage(message);
    });
  }

  /** Ends the sandbox as Lambda ends an idle one: the next invocation starts cold, its module caches empty. */
  async recycle(): Promise<void> {
    const sandbox = this.#sandbox;
    this.#sandbox = undefined;
    if (sandbox) await this.#end(sandbox, new Error(`${this.functionName} was recycled`));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const sandbox = this.#sandbox;
    this.#sandbox = undefined;
    if (sandbox) await this.#end(sandbox, new Error(`${this.functionName} was stopped`));
  }

  #ensureSandbox(): Sandbox {
    if (this.#stopped) throw new Error(`${this.functionName} is stopped`);
    if (this.#sandbox) return this.#sandbox;
    const options = this.#options;
    const data: WorkerData = {
      entryUrl: pathToFileURL(join(REPO_ROOT, options.spec.entry)).href,
      entry: options.spec.entry,
      functionName: options.functionName,
      region: options.region,
      accountId: options.accountId ?? '000000000000',
      memorySize: options.spec.memorySize ?? 1024,
      preload: options.preload ?? [],
    };
    const worker = new Worker(WORKER_URL, {
      workerData: data,
      env: { ...options.env },
      name: options.functionName,
      resourceLimits: { maxOldGenerationSizeMb: data.memorySize },
    });
    // A sandbox does not keep the laptop's process alive; a pending invocation's timer does.
    worker.unref();
    let settleReady!: { resolve: () => void; reject: (error: Error) => void };
    const ready = new Promise<void>((resolve, reject) => (settleReady = { resolve, reject }));
    // Seen by whoever awaits it; never an unhandled rejection when nobody does.
    ready.catch(() => undefined);
    const sandbox: Sandbox = { worker, ready, pending: new Map() };
    this.#sandbox = sandbox;

    worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'ready':
          settleReady.resolve();
          return;
        case 'init-error': {
          const error = new LocalInvocationError(this.functionName, message.error, 'init');
          settleReady.reject(error);
          void this.#retire(sandbox, error);
          return;
        }
        case 'result':
        case 'error': {
          const call = sandbox.pending.get(message.id);
          if (!call) return;
          sandbox.pending.delete(message.id);
          clearTimeout(call.timer);
          if (message.type === 'result') call.resolve(message.value);
          else call.reject(new LocalInvocationError(this.functionName, message.error, 'invoke'));
        }
      }
    });
    // An uncaught exception or an exit ends the sandbox (Runtime.ExitError in Lambda): what
    // was running fails, and the next invocation starts a fresh one.
    worker.on('error', (error: Error) => {
      settleReady.reject(error);
      void this.#retire(sandbox, error);
    });
    worker.on('exit', (code) => {
      const error = new Error(`${this.functionName}: the runtime exited (code ${code})`);
      settleReady.reject(error);
      void this.#retire(sandbox, error);
    });
    return sandbox;
  }

  async #retire(sandbox: Sandbox, error: Error): Promise<void> {
    if (this.#sandbox === sandbox) this.#sandbox = undefined;
    await this.#end(sandbox, error);
  }

  async #end(sandbox: Sandbox, error: Error): Promise<void> {
    for (const call of sandbox.pending.values()) {
      clearTimeout(call.timer);
      call.reject(error);
    }
    sandbox.pending.clear();
    await sandbox.worker.terminate();
  }
}

/** The local functions of a cloud, by registry name. */
export class LocalFunctions {
  readonly #functions = new Map<string, LocalFunction>();

  constructor(functions: Iterable<LocalFunction>) {
    for (const fn of functions) this.#functions.set(fn.spec.name, fn);
  }

  /** @throws Error naming the registry's functions when `name` is none of them. */
  get(name: string): LocalFunction {
    const fn = this.#functions.get(name);
    if (!fn) throw new Error(`no local function "${name}": infra/functions.ts lists ${[...this.#functions.keys()].join(', ')}`);
    return fn;
  }

  has(name: string): boolean {
    return this.#functions.has(name);
  }

  all(): LocalFunction[] {
    return [...this.#functions.values()];
  }

  /** Ends every sandbox; what was running fails, and later invocations are refused. */
  async stop(): Promise<void> {
    await Promise.all(this.all().map((fn) => fn.stop()));
  }
}
