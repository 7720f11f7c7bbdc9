import { SELL_PER_PAGE, SELL_REQUESTS_PER_HOUR } from './domain.ts';
import { SellApiError, type SellPage, type SellRecord, type SellSource } from './ports.ts';

// Sell's Core API v2 as the importer reads it: Bearer token, `{items: [{data, meta}], meta:
// {links: {next_page}}}` pages of 100, requests spaced to stay under the token's hourly limit,
// 429 answered by waiting its Retry-After (else backing off), 5xx and network errors retried.

export interface SellClientOptions {
  /** "https://api.getbase.com" (no /v2). */
  baseUrl: string;
  token: string;
  /** The token's budget (Sell: 36,000 an hour); requests are spaced evenly within it. */
  requestsPerHour?: number;
  /** Attempts per request before giving up (429, 5xx, network errors). */
  attempts?: number;
  /** Waits `ms` (tests pass a recorder). */
  sleep?: (ms: number) => Promise<void>;
  /** The time in ms (the spacing's clock). */
  now?: () => number;
  fetch?: typeof fetch;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Seconds of a Retry-After header (seconds or an HTTP date) as ms; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The Sell client; `waits` lists every wait it made for a 429 or an error (ms), for the report and tests. */
export class SellClient implements SellSource {
  readonly #base: URL;
  readonly #token: string;
  readonly #interval: number;
  readonly #attempts: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #fetch: typeof fetch;
  #nextSlot = 0;
  #requests = 0;
  readonly waits: number[] = [];

  constructor(options: SellClientOptions) {
    this.#base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.#token = options.token;
    this.#interval = 3_600_000 / (options.requestsPerHour ?? SELL_REQUESTS_PER_HOUR);
    this.#attempts = options.attempts ?? 8;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#now = options.now ?? Date.now;
    this.#fetch = options.fetch ?? fetch;
  }

  get requests(): number {
    return this.#requests;
  }

  /** The page at a path under the base ("/v2/leads?x=1": per_page=100 added) or a next_page link. */
  async page(pathOrUrl: string): Promise<SellPage> {
    const url = new URL(pathOrUrl.replace(/^\//, ''), this.#base);
    if (url.origin !== this.#base.origin) throw new SellApiError(0, `a next_page link left the API's host: ${url.origin}`);
    if (!url.searchParams.has('per_page')) url.searchParams.set('per_page', String(SELL_PER_PAGE));
    const body = (await this.#get(url)) as {
      items?: { data?: SellRecord }[];
      meta?: { links?: { next_page?: string | null } };
    };
    if (!Array.isArray(body.items)) throw new SellApiError(200, `${url.pathname} answered no items`);
    const items = body.items.map((item) => item.data ?? {}).filter((data) => typeof data === 'object');
    const next = body.meta?.links?.next_page ?? null;
    // A page with no records ends the collection whatever its links say (a guard against a loop).
    return { items, next: items.length > 0 && next ? next : null };
  }

  async #get(url: URL): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      await this.#slot();
      this.#requests++;
      let response: Response;
      try {
        response = await this.#fetch(url, {
          headers: {
            accept: 'application/json',
            authorization: `Bearer ${this.#token}`,
            'user-agent': 'open-sell-crm/sell-import',
          },
        });
      } catch (error) {
        if (attempt >= this.#attempts) throw error;
        await this.#wait(backoff(attempt));
        continue;
      }
      if (response.ok) return response.json();
      const text = await response.text();
      const retryable = response.status === 429 || response.status >= 500;
      if (!retryable || attempt >= this.#attempts) throw new SellApiError(response.status, messageOf(response.status, text, url));
      const after = response.status === 429 ? retryAfterMs(response.headers.get('retry-after'), this.#now()) : undefined;
      await this.#wait(after ?? backoff(attempt));
    }
  }

  async #wait(ms: number): Promise<void> {
    this.waits.push(ms);
    await this.#sleep(ms);
    // The limit resets by the clock: after a wait, the next request may go at once.
    this.#nextSlot = Math.max(this.#nextSlot, this.#now());
  }

  /** Spaces requests `interval` ms apart (Sell's hourly budget, evenly). */
  async #slot(): Promise<void> {
    const now = this.#now();
    const wait = this.#nextSlot - now;
    this.#nextSlot = Math.max(now, this.#nextSlot) + this.#interval;
    if (wait > 0) await this.#sleep(wait);
  }
}

/** Exponential backoff with jitter: about 1 s, 2 s, 4 s ... capped at a minute. */
const backoff = (attempt: number) => Math.min(60_000, 1000 * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);

function messageOf(status: number, text: string, url: URL): string {
  try {
    const body = JSON.parse(text) as { errors?: { error?: { message?: string } }[] };
    const message = body.errors?.[0]?.error?.message;
    if (message) return `Sell answered ${status} on ${url.pathname}: ${message}`;
  } catch {
    // not Sell's envelope
  }
  return `Sell answered ${status} on ${url.pathname}`;
}
