import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

// The local bus's archive, as the EventBridge Archive on the AWS bus: every event put on the
// bus, kept for replay. With a file it is an append-only JSON-lines file (one EventBridge event
// per line, as the bus built it), appended before PutEvents answers, so it survives restarts
// under .crm/ like the rest of the local cloud's state; a torn last line is dropped on read.
// Without a file (tests), it is kept in memory. Local retention is unbounded (a laptop's
// archive stays small); AWS applies the configured retention.

export interface ArchivedEvent {
  id: string;
  /** ISO time of the event (seconds), what a replay window selects on. */
  time: string;
}

export class LocalArchive<E extends ArchivedEvent> {
  readonly #file: string | undefined;
  readonly #memory: E[] = [];

  constructor(file?: string) {
    this.#file = file;
    if (file) mkdirSync(dirname(file), { recursive: true });
  }

  /** Appends events (in put order). */
  append(events: readonly E[]): void {
    if (events.length === 0) return;
    if (this.#file) appendFileSync(this.#file, events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    else this.#memory.push(...events.map((e) => structuredClone(e)));
  }

  /** The archived events whose time is in [from, to] (both inclusive), in archive order. */
  between(from: Date, to: Date): E[] {
    const all = this.#file ? readLines<E>(this.#file) : this.#memory.map((e) => structuredClone(e));
    return all.filter((e) => {
      const at = Date.parse(e.time);
      return at >= from.getTime() && at <= to.getTime();
    });
  }
}

function readLines<E>(file: string): E[] {
  if (!existsSync(file)) return [];
  const out: E[] = [];
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (!text) continue;
    try {
      out.push(JSON.parse(text) as E);
    } catch {
      // A line torn by a crash mid-append: its PutEvents never answered, so nobody saw it accepted.
    }
  }
  return out;
}
