// The messages between a local function's host (local-function.ts) and its worker
// (lambda-worker.ts): an event in, a result or an error out. Everything crosses by
// structured clone, so events and results are plain data, as they are on Lambda's wire.

export interface WorkerData {
  /** file: URL of the handler module. */
  readonly entryUrl: string;
  /** The module relative to the repository, for messages. */
  readonly entry: string;
  readonly functionName: string;
  readonly region: string;
  readonly accountId: string;
  readonly memorySize: number;
  /** file: URLs of modules imported before the handler, in the sandbox (hooks such as a local policy check). */
  readonly preload: readonly string[];
}

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

/** Host → worker. `deadline` is epoch milliseconds (the context's remaining time counts down to it). */
export type HostMessage = { type: 'invoke'; id: number; event: unknown; requestId: string; deadline: number };

/** Worker → host. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'init-error'; error: SerializedError }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: SerializedError };
