import { describe, expect, it } from 'vitest';
import { errorEnvelope, parseSort, sellMoney } from '#shared/sell-facade/domain.ts';
import type { Json, NativeApi, SellIdLookup, SellTag, TagRegistry } from '#shared/sell-facade/ports.ts';
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

// A fake native API over a few lists, with every call recorded: notes (a keyset list), sources
// (whole), converted leads and custom fields.
const NOTES: Json[] = Array.from({ length: 12 }, (_, i) => ({
  id: `N${String(i).padStart(2, '0')}`,
  content: i % 3 === 0 ? `Call back ${i}` : `Other ${i}`,
  resource_type: 'lead',
  resource_id: 'L01',
  creator_id: i % 2 === 0 ? 'U1' : 'U2',
}));
const SOURCES: Json[] = ['Web', 'Ads', 'Fair'].map((name, i) => ({ id: `S${i}`, name, creator_id: 'U1' }));

function richNative(calls: { key: string; input: any }[]): NativeApi {
  return {
    async call(key, input) {
      calls.push({ key, input });
      const query = input.query ?? {};
      if (key === 'GET /notes') {
        // At most 3 a call: a filter applied here must still fill its page.
        const start = query.cursor ? Number(query.cursor) : 0;
        const items = NOTES.slice(start, start + Math.min(Number(query.limit ?? 25), 3));
        const next = start + items.length < NOTES.length ? String(start + items.length) : null;
        return { status: 200, body: { items, next_cursor: next } };
      }
      if (key === 'GET /sources') return { status: 200, body: { items: SOURCES, next_cursor: null } };
      if (key === 'GET /leads') return { status: 200, body: { items: [{ ...LEADS[3], ...converted }], next_cursor: null } };
      if (key === 'GET /leads/{id}') {
        const lead = LEADS.find((l) => l.id === input.params?.id);
        if (!lead) return { status: 404, body: { code: 'not_found', detail: 'no' } };
        return { status: 200, body: lead.id === 'L03' ? { ...lead, ...converted } : lead };
      }
      if (key === 'POST /leads/{id}/convert') return { status: 200, body: { lead: { ...LEADS[3], ...converted } } };
      if (key === 'GET /custom_fields/{resource_type}') {
        if (input.params?.resource_type !== 'leads') return { status: 422, body: { code: 'validation_failed' } };
        return { status: 200, body: { items: [{ id: 'F1', name: 'Region', type: 'string' }] } };
      }
      if (key === 'GET /users/self') return { status: 200, body: { id: 'U1', role: 'user' } };
      return { status: 200, body: { items: [], next_cursor: null } };
    },
  };
}
const converted = {
  status: 'converted',
  converted_at: '2026-11-30T10:00:00Z',
  converted_contact_id: 'C7',
  converted_organization_id: null,
  converted_deal_id: 'D9',
};

const richIds: SellIdLookup = {
  async numbersOf(_type, list) {
    return new Map(list.map((id) => [id, Number(id.replace(/\D/g, '')) + (id.startsWith('U') ? 500 : 100)]));
  },
  async idOf(type, n) {
    // A conversion's own number names its lead (as numbersOf gives the lead's number to both).
    const prefix = { lead: 'L', lead_conversion: 'L', note: 'N', source: 'S', user: 'U', contact: 'C', deal: 'D', tag: 'T' }[
      type as string
    ];
    if (!prefix) return undefined;
    const raw = n - (type === 'user' ? 500 : 100);
    return prefix === 'L' || prefix === 'N' ? `${prefix}${String(raw).padStart(2, '0')}` : `${prefix}${raw}`;
  },
};

class MemoryTags implements TagRegistry {
  readonly tags = new Map<string, SellTag>();
  async list() {
    return [...this.tags.values()];
  }
  async get(id: string) {
    return this.tags.get(id);
  }
  async find(type: SellTag['resource_type'], name: string) {
    return [...this.tags.values()].find((t) => t.resource_type === type && t.name.toLowerCase() === name.toLowerCase());
  }
  async claimed(type: SellTag['resource_type'], name: string) {
    return (await this.find(type, name)) !== undefined;
  }
  async create(tag: SellTag) {
    if (await this.find(tag.resource_type, tag.name)) return false;
    this.tags.set(tag.id, tag);
    return true;
  }
  async rename(_before: SellTag, after: SellTag) {
    this.tags.set(after.id, after);
    return true;
  }
  async remove(tag: SellTag) {
    this.tags.delete(tag.id);
  }
}

describe('filters and sorts per resource', () => {
  it('applies a filter the native list lacks on each record and still fills the page, with a cursor after it', async () => {
    const calls: { key: string; input: any }[] = [];
    const deps = { native: richNative(calls), ids: richIds };
    const answer = (await serveSell(deps, request('notes', { q: 'call back', per_page: '2' }))) as any;
    expect(answer.body.items.map((i: any) => i.data.content)).toEqual(['Call back 0', 'Call back 3']);
    // Asked for no more than still needed, so the cursor sits right after the last one used.
    const next = new URL(answer.body.meta.links.next_page);
    const rest = (await serveSell(deps, request('notes', Object.fromEntries(next.searchParams)))) as any;
    expect(rest.body.items.map((i: any) => i.data.content)).toEqual(['Call back 6', 'Call back 9']);
    // Translated filters go to the native list; Sell ids become record ids.
    calls.length = 0;
    await serveSell(deps, request('notes', { resource_type: 'lead', resource_id: '101', creator_id: '502' }));
    expect(calls[0]!.input.query).toMatchObject({ resource_type: 'lead', resource_id: 'L01' });
    expect(calls[0]!.input.query).not.toHaveProperty('creator_id');
    expect(calls[0]!.input.query).not.toHaveProperty('sort_by');
  });

  it('refuses an unknown filter and sort_by on a list with one order; maps address[city] and id sorts', async () => {
    const calls: { key: string; input: any }[] = [];
    const deps = { native: richNative(calls), ids: richIds };
    await expect(serveSell(deps, request('notes', { sort_by: 'id:desc' }))).rejects.toMatchObject({ status: 422 });
    await expect(serveSell(deps, request('notes', { colour: 'red' }))).rejects.toMatchObject({ status: 422 });
    await serveSell(deps, request('leads', { 'address[city]': 'Berlin', 'custom_fields[Region]': 'North', sort_by: 'id:desc' }));
    expect(calls.at(-1)!.input.query).toMatchObject({
      city: 'Berlin',
      'custom_fields[Region]': 'North',
      sort_by: 'created_at',
      sort_order: 'desc',
    });
  });

  it('reads small lists whole, then filters, sorts and pages them here', async () => {
    const deps = { native: richNative([]), ids: richIds };
    const byName = (await serveSell(deps, request('lead_sources', { sort_by: 'name:asc' }))) as any;
    expect(byName.body.items.map((i: any) => i.data.name)).toEqual(['Ads', 'Fair', 'Web']);
    expect(byName.body.items[0]).toEqual({
      data: expect.objectContaining({ id: 101, resource_type: 'lead', creator_id: 501 }),
      meta: { type: 'lead_source' },
    });
    const page2 = (await serveSell(deps, request('sources', { per_page: '2', page: '2' }))) as any;
    expect(page2.body.items.map((i: any) => i.data.id)).toEqual([102]);
    expect(page2.body.meta.links.next_page).toBeNull();
    const filtered = (await serveSell(deps, request('sources', { name: 'Ads', ids: '101,102' }))) as any;
    expect(filtered.body.items.map((i: any) => i.data.id)).toEqual([101]);
    const fields = (await serveSell(deps, request('lead/custom_fields'))) as any;
    expect(fields.body.items).toEqual([
      { data: expect.objectContaining({ id: 101, name: 'Region' }), meta: { type: 'custom_field' } },
    ]);
  });
});

describe('lead conversions and tags', () => {
  it('shows converted leads as conversions, by id too, and converts through the native conversion', async () => {
    const calls: { key: string; input: any }[] = [];
    const deps = { native: richNative(calls), ids: richIds };
    const listed = (await serveSell(deps, request('lead_conversions'))) as any;
    expect(calls[0]!.input.query).toMatchObject({ status: 'converted', sort_by: 'created_at', sort_order: 'desc' });
    expect(listed.body.items[0]).toEqual({
      data: {
        id: 103,
        lead_id: 103,
        individual_id: 107,
        organization_id: null,
        deal_id: 109,
        creator_id: null,
        created_at: '2026-11-30T10:00:00Z',
      },
      meta: { type: 'lead_conversion' },
    });
    // A lead that is not converted is no conversion.
    await expect(serveSell(deps, request('lead_conversions/104'))).rejects.toMatchObject({ status: 404 });
    expect(((await serveSell(deps, request('lead_conversions/103'))) as any).body.data.deal_id).toBe(109);
    const made = (await serveSell(deps, request('lead_conversions', {}, 'POST', { data: { lead_id: 103 } }))) as any;
    expect(calls.at(-1)).toMatchObject({ key: 'POST /leads/{id}/convert', input: { params: { id: 'L03' } } });
    expect(made.body.data.individual_id).toBe(107);
  });

  it('numbers a conversion imported from Sell by its own Sell id, and finds it by that id', async () => {
    const calls: { key: string; input: any }[] = [];
    // Lead L03's conversion was imported as Sell's lead conversion 9400001.
    const ids: SellIdLookup = {
      numbersOf: async (type, list) =>
        type === 'lead_conversion'
          ? new Map(list.filter((id) => id === 'L03').map((id) => [id, 9_400_001]))
          : richIds.numbersOf(type, list),
      idOf: async (type, n) => (type === 'lead_conversion' ? (n === 9_400_001 ? 'L03' : undefined) : richIds.idOf(type, n)),
    };
    const deps = { native: richNative(calls), ids };
    const listed = (await serveSell(deps, request('lead_conversions'))) as any;
    expect(listed.body.items[0].data).toMatchObject({ id: 9_400_001, lead_id: 103, individual_id: 107, deal_id: 109 });
    const read = (await serveSell(deps, request('lead_conversions/9400001'))) as any;
    expect(read.body.data).toMatchObject({ id: 9_400_001, lead_id: 103 });
    expect(calls.at(-1)).toMatchObject({ key: 'GET /leads/{id}', input: { params: { id: 'L03' } } });
  });

  it('creates, lists, renames and deletes tags, and registers the tags records are written with', async () => {
    const tags = new MemoryTags();
    const deps = { native: richNative([]), ids: richIds, tags, now: () => '2026-12-01T00:00:00Z' };
    const made = (await serveSell(deps, request('tags', {}, 'POST', { data: { name: 'VIP', resource_type: 'lead' } }))) as any;
    expect(made.body).toMatchObject({ data: { name: 'VIP', resource_type: 'lead', creator_id: 501 }, meta: { type: 'tag' } });
    expect(made.body.data).not.toHaveProperty('resource_id');
    await expect(
      serveSell(deps, request('tags', {}, 'POST', { data: { name: 'vip', resource_type: 'lead' } })),
    ).rejects.toMatchObject({
      status: 422,
    });
    await expect(
      serveSell(deps, request('tags', {}, 'POST', { data: { name: 'a,b', resource_type: 'lead' } })),
    ).rejects.toMatchObject({
      status: 422,
    });
    // A lead written with tags: the new one registered, the known one ("vip" is "VIP") not again.
    await serveSell(deps, request('leads', {}, 'POST', { data: { last_name: 'X', tags: ['vip', 'Gold '] } }));
    expect([...tags.tags.values()].map((t) => `${t.resource_type}:${t.name}`)).toEqual(['lead:VIP', 'lead:Gold']);
    const id = made.body.data.id as number;
    const vip = [...tags.tags.keys()][0];
    const tagIds: SellIdLookup = { ...richIds, idOf: async (type, n) => (type === 'tag' && n === id ? vip : undefined) };
    const withIds = { ...deps, ids: tagIds };
    const renamed = (await serveSell(withIds, request(`tags/${id}`, {}, 'PUT', { data: { name: 'Very important' } }))) as any;
    expect(renamed.body.data).toMatchObject({ id, name: 'Very important', resource_type: 'lead' });
    expect(((await serveSell(withIds, request('tags', { name: 'Gold' }))) as any).body.meta.count).toBe(1);
    expect(await serveSell(withIds, request(`tags/${id}`, {}, 'DELETE'))).toEqual({ status: 204 });
    await expect(serveSell(withIds, request(`tags/${id}`))).rejects.toMatchObject({ status: 404 });
  });
});
