import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryAfterMs, SellClient } from '#shared/sell-import/sell-client.ts';
import { SellApiError } from '#shared/sell-import/ports.ts';
import { sellAccount, startSellStandIn, type SellStandIn } from './sell-stand-in.ts';

// The Sell client against the loopback stand-in: pages of 100 followed by next_page links
// (absent or null at the end), 429 answered by waiting Retry-After, refusals as errors, and
// requests spaced within the token's hourly budget.

const TOKEN = 'a'.repeat(64);
let standIn: SellStandIn;

beforeAll(async () => {
  standIn = await startSellStandIn(sellAccount(250, { known: ['a@x.test', 'b@x.test'], unknown: 'c@x.test' }), TOKEN);
});
afterAll(() => standIn.close());

const client = (options: Partial<ConstructorParameters<typeof SellClient>[0]> = {}) =>
  new SellClient({ baseUrl: standIn.baseUrl, token: TOKEN, requestsPerHour: 3_600_000, ...options });

async function all(c: SellClient, path: string): Promise<number[]> {
  const ids: number[] = [];
  let next: string | null = path;
  while (next) {
    const page = await c.page(next);
    ids.push(...page.items.map((r) => r.id!));
    next = page.next;
  }
  return ids;
}

describe('SellClient', () => {
  it('reads a collection 100 a page, following next_page until it is null or absent', async () => {
    const c = client();
    const before = standIn.requests.length;
    const leads = await all(c, '/v2/leads');
    expect(leads).toHaveLength(250);
    expect(new Set(leads).size).toBe(250);
    const asked = standIn.requests.slice(before);
    expect(asked).toHaveLength(3);
    expect(asked[0]).toBe('/v2/leads?per_page=100');
    expect(asked[2]).toContain('page=3');
    // Contacts end with next_page absent (the others with null).
    expect(await all(c, '/v2/contacts?is_organization=true')).toHaveLength(50);
  });

  it('waits Retry-After on 429 and then goes on', async () => {
    const waits: number[] = [];
    const c = client({ sleep: async (ms) => void waits.push(ms) });
    standIn.throttle(2, 3);
    const page = await c.page('/v2/users');
    expect(page.items).toHaveLength(3);
    expect(c.waits).toEqual([3000, 3000]);
    expect(c.requests).toBe(3);
  });

  it('gives up after its attempts on a lasting 429, and at once on a refused token', async () => {
    const c = client({ attempts: 2, sleep: async () => {} });
    standIn.throttle(5, 1);
    await expect(c.page('/v2/users')).rejects.toMatchObject({ status: 429 });
    standIn.throttle(0, 1);
    const wrong = new SellClient({ baseUrl: standIn.baseUrl, token: 'b'.repeat(64), sleep: async () => {} });
    const error = await wrong.page('/v2/users').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SellApiError);
    expect(error).toMatchObject({ status: 401, message: expect.stringContaining('Invalid access token') });
    expect(wrong.requests).toBe(1);
  });

  it('spaces requests evenly within the hourly budget (36,000 an hour: 100 ms apart)', async () => {
    let now = 0;
    const waits: number[] = [];
    const c = new SellClient({
      baseUrl: standIn.baseUrl,
      token: TOKEN,
      now: () => now,
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
      },
    });
    for (let i = 0; i < 5; i++) await c.page('/v2/pipelines');
    expect(waits).toEqual([100, 100, 100, 100]);
  });

  it('spaces requests on the real clock when given none: 4 requests at 36,000 an hour take at least 300 ms', async () => {
    const c = new SellClient({ baseUrl: standIn.baseUrl, token: TOKEN });
    const started = performance.now();
    for (let i = 0; i < 4; i++) await c.page('/v2/pipelines');
    // Three gaps of 100 ms (timers may fire a millisecond early).
    expect(performance.now() - started).toBeGreaterThanOrEqual(297);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('7', 0)).toBe(7000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs(null, 0)).toBeUndefined();
  });
});
