import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

// The local bus's durability: an append-only JSON-lines file. An accepted event is appended
// (with the names of the rules it matched) and fsynced before PutEvents answers; each finished
// (event, rule) delivery is appended after it. On open, the (event, rule) pairs with no
// "done" line are what a crash left undelivered. A torn last line (killed mid-write) is
// dropped. The file is rewritten with only the pending pairs on open, and whenever it grows
// past `compactBytes`.

/** One accepted event and the rules that still owe it a delivery. */
export interface PendingEvent<E extends { id: string }> {
  event: E;
  rules: Set<string>;
}

type Line<E> = { e: E; r: string[] } | { d: string; r: string; o: string };

export class PendingLog<E extends { id: string }> {
  readonly #file: string;
  readonly #compactBytes: number;
  readonly #pending = new Map<string, PendingEvent<E>>();
  #fd: number;
  #bytes = 0;

  /** Opens (or creates) the log at `file` and loads what it still owes. */
  constructor(file: string, options: { compactBytes?: number } = {}) {
    this.#file = file;
    this.#compactBytes = options.compactBytes ?? 4 * 1024 * 1024;
    mkdirSync(dirname(file), { recursive: true });
    if (existsSync(file)) this.#load(readFileSync(file, 'utf8'));
    this.#fd = this.#rewrite();
  }

  /** The (event, rules) pairs not yet done, in the order they were accepted. */
  pending(): PendingEvent<E>[] {
    return [...this.#pending.values()].map((p) => ({ event: p.event, rules: new Set(p.rules) }));
  }

  /** Appends accepted events and fsyncs: once this returns, a crash does not lose them. */
  accept(entries: { event: E; rules: readonly string[] }[]): void {
    const owed = entries.filter((e) => e.rules.length > 0);
    if (owed.length === 0) return;
    this.#write(owed.map(({ event, rules }) => line({ e: event, r: [...rules] })).join(''));
    fdatasyncSync(this.#fd);
    for (const { event, rules } of owed) this.#pending.set(event.id, { event, rules: new Set(rules) });
  }

  /**
   * Records that `rule` is done with `eventId` (`outcome`: delivered, or parked in an
   * on-failure queue). Not fsynced: the write reaches the OS before this returns, so only a
   * machine crash can lose it, and then the pair is delivered again (at least once).
   */
  done(eventId: string, rule: string, outcome: string): void {
    const entry = this.#pending.get(eventId);
    if (!entry?.rules.delete(rule)) return;
    if (entry.rules.size === 0) this.#pending.delete(eventId);
    this.#write(line({ d: eventId, r: rule, o: outcome }));
    if (this.#bytes < this.#compactBytes) return;
    if (this.#pending.size === 0) {
      ftruncateSync(this.#fd, 0);
      this.#bytes = 0;
    } else {
      closeSync(this.#fd);
      this.#fd = this.#rewrite();
    }
  }

  close(): void {
    closeSync(this.#fd);
  }

  #load(text: string): void {
    const lines = text.split('\n');
    lines.forEach((raw, index) => {
      if (raw === '') return;
      let parsed: Line<E>;
      try {
        parsed = JSON.parse(raw) as Line<E>;
      } catch (error) {
        // Only the last line can be torn (the process died while appending it).
        if (index >= lines.length - 2) return;
        throw new Error(`${this.#file}: line ${index + 1} is not JSON (${(error as Error).message})`, { cause: error });
      }
      if ('e' in parsed) {
        this.#pending.set(parsed.e.id, { event: parsed.e, rules: new Set(parsed.r) });
      } else {
        const entry = this.#pending.get(parsed.d);
        entry?.rules.delete(parsed.r);
        if (entry?.rules.size === 0) this.#pending.delete(parsed.d);
      }
    });
  }

  /** Replaces the file by the pending pairs alone (write, fsync, rename); answers an append fd. */
  #rewrite(): number {
    const tmp = `${this.#file}.tmp`;
    const text = [...this.#pending.values()].map((p) => line({ e: p.event, r: [...p.rules] })).join('');
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, text);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.#file);
    const appendFd = openSync(this.#file, 'a');
    this.#bytes = fstatSync(appendFd).size;
    return appendFd;
  }

  #write(text: string): void {
    const buffer = Buffer.from(text, 'utf8');
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(this.#fd, buffer, offset);
    this.#bytes += buffer.length;
  }
}

function line(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}
