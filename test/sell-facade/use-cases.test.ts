import { describe, expect, it } from 'vitest';
import { errorEnvelope, parseSort, sellMoney } from '#shared/sell-facade/domain.ts';
import type { Json, NativeApi, SellIdLookup } from '#shared/sell-facade/ports.ts';
import { FacadeError, serveSell } from '#shared/sell-facade/use-cases.ts';

// The facade's translation with a fake native API: page numbers over a keyset list whose pages
// may come back short, Sell ids both ways, and Sell's envelopes.

const LEADS: Json[] = Array.from({ length: 23 }, (_, i) => ({
  id: `L${String(i).padStart(2, '0')}`,
  last_name: `Lead ${i}`,
  owner_id: 'U1',
  creator_id: 'U1',
  status: 'new',
  version: 1,
}));

/** A keyset list that answers at most 4 items a call (as a read budget would), whatever the limit. */
function fakeNative(calls: string[]): NativeApi {
  return {
    async call(key, input) {
      calls.push(`${key} ${JSON.stringify(input.query ?? {})}`);
      if (key === 'GET /leads') {
        const start = input.query?.cursor ? Number(input.query.cursor) : 0;
        const limit = Math.min(Number(input.query?.limit ?? 25), 4);
        const items = LEADS.slice(start, start + limit);
        const next = start + items.length < LEADS.length ? String(start + items.length) : null;
        return { status: 200, body: { items, next_cursor: next } };
      }
      if (key === 'GET /leads/{id}') {
        const found = LEADS.find((l) => l.id === input.params?.id);
        return found ? { status: 200, body: found } : { status: 404, body: { code: 'lead.not_found', detail: 'no' } };
      }
      if (key === 'POST /leads') {
        return {
          status: 422,
          body: { code: 'validation_failed', errors: [{ field: 'body.last_name', message: 'is required' }] },
        };
      }
      throw new Error(`unexpected ${key}`);
    },
  };
}

const ids: SellIdLookup = {
  async numbersOf(type, list) {
    return new Map(list.map((id) => [id, (type === 'user' ? 500 : 100) + Number(id.slice(1))]));
  },
  async idOf(type, n) {
    if (type === 'lead' && n >= 100 && n < 123) return `L${String(n - 100).padStart(2, '0')}`;
    return undefined;
  },
};

const request = (path: string, query: Record<string, string> = {}, method = 'GET', body?: unknown) => ({
  method,
  segments: path.split('/'),
  query,
  body,
  base: 'https://crm.example/v2',
});

describe('page numbers over a keyset list', () => {
  it('answers exactly page N even when the native pages come back short', async () => {
    const calls: string[] = [];
    const deps = { native: fakeNative(calls), ids };
    const answer = (await serveSell(deps, request('leads', { page: '3', per_page: '5' }))) as any;
    expect(answer.body.items.map((i: any) => i.data.id)).toEqual([110, 111, 112, 113, 114]);
    expect(answer.body.meta).toMatchObject({ type: 'collection', count: 5 });
    expect(answer.body.items[0]).toEqual({
      data: expect.objectContaining({ id: 110, owner_id: 501, creator_id: 501, status: 'New' }),
      meta: { type: 'lead' },
    });
    expect(answer.body.items[0].data).not.toHaveProperty('version');
    const next = new URL(answer.body.meta.links.next_page);
    expect(next.searchParams.get('page')).toBe('4');
    // Following the link starts at its cursor: no walk from the start.
    calls.length = 0;
    const following = (await serveSell(deps, request('leads', Object.fromEntries(next.searchParams)))) as any;
    expect(following.body.items.map((i: any) => i.data.id)).toEqual([115, 116, 117, 118, 119]);
    expect(calls.every((c) => c.includes('cursor'))).toBe(true);
  });

  it('ends with next_page null and refuses per_page over 100 and pages too deep', async () => {
    const deps = { native: fakeNative([]), ids };
    const last = (await serveSell(deps, request('leads', { page: '5', per_page: '5' }))) as any;
    expect(last.body.meta.count).toBe(3);
    expect(last.body.meta.links.next_page).toBeNull();
    await expect(serveSell(deps, request('leads', { per_page: '101' }))).rejects.toMatchObject({ status: 422 });
    await expect(serveSell(deps, request('leads', { page: '102', per_page: '100' }))).rejects.toMatchObject({ status: 422 });
  });
});

describe('translation', () => {
  it('reads a record by its Sell id, and answers 404 for an unknown one', async () => {
    const deps = { native: fakeNative([]), ids };
    const one = (await serveSell(deps, request('leads/104'))) as any;
    expect(one.body).toMatchObject({ data: { id: 104, last_name: 'Lead 4' }, meta: { type: 'lead' } });
    await expect(serveSell(deps, request('leads/9'))).rejects.toMatchObject({ status: 404 });
  });

  it('names a native field problem as a JSON Pointer, and lacking resources 501', async () => {
    const deps = { native: fakeNative([]), ids };
    const refused = await serveSell(deps, request('leads', {}, 'POST', { data: {} })).catch((e: FacadeError) => e);
    expect(refused).toBeInstanceOf(FacadeError);
    expect((refused as FacadeError).errors[0]).toMatchObject({ field: '/last_name', message: 'is required' });
    await expect(serveSell(deps, request('products'))).rejects.toMatchObject({ status: 501 });
    await expect(serveSell(deps, request('leads', {}, 'POST', 'x'))).rejects.toMatchObject({ status: 422 });
  });
});

describe("Sell's value shapes", () => {
  it('sorts, money and errors as Sell writes them', () => {
    expect(parseSort('last_name:desc')).toEqual({ sort_by: 'last_name', sort_order: 'desc' });
    expect(parseSort('id')).toEqual({ sort_by: 'id', sort_order: 'asc' });
    expect(parseSort('id:sideways')).toBeUndefined();
    expect(sellMoney('1000.00')).toBe(1000);
    expect(sellMoney('1000.50')).toBe('1000.50');
    expect(errorEnvelope(422, [{ code: 'blank', message: 'm' }], 'req-1').meta).toEqual({
      type: 'errors',
      http_status: '422 Unprocessable Entity',
      logref: 'req-1',
      links: { more_info: 'docs/sell-facade.md' },
    });
  });
});
