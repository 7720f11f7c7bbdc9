import { beforeAll, describe, expect, it } from 'vitest';
import { useTestCloud } from '#test/helpers/local-cloud.ts';

// The /v2 facade driven with plain HTTP as Sell's documentation shows each call: a personal
// access token as Bearer, {"data": ...} bodies, Sell's envelopes, paging links, sort, filters and
// errors; and visibility: a rep's token sees through /v2 exactly what it sees natively.
// RESOURCES is the one table every resource is checked from: a resource added to the facade
// gets the same checks by adding its line.

const session = useTestCloud();
const tokens: Record<string, string> = {};
const suffix = Date.now().toString(36);

type Who = 'admin' | 'manager' | 'rep1' | 'rep2';
type Answer = { status: number; headers: Headers; body: any };

async function sell(who: Who, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(path.startsWith('http') ? path : `${session.cloud.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${tokens[who]}`,
      accept: 'application/json',
      'user-agent': 'BaseCRM/v2 Python/3.12',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined } as Answer;
}

/** A native call as `who` (their Cognito token), for what /v2 does not offer and for comparisons. */
const native = (who: Who, method: string, path: string, body?: unknown) =>
  session.api(method, path, { token: session.as(who), ...(body === undefined ? {} : { body }) });

const expectSellError = (res: Answer, status: number, phrase: string) => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.meta).toMatchObject({ type: 'errors', http_status: `${status} ${phrase}` });
  expect(res.body.meta.logref).toBe(res.headers.get('x-request-id'));
  expect(res.body.errors[0]).toMatchObject({
    error: { code: expect.any(String), message: expect.any(String) },
    meta: { type: 'error' },
  });
};

/** Made through /v2 (POST), or read back: the record's Sell id. */
const made = async (who: Who, path: string, data: Record<string, unknown>): Promise<number> => {
  const res = await sell(who, 'POST', path, { data });
  expect(res.status, `POST ${path}: ${JSON.stringify(res.body)}`).toBe(200);
  return res.body.data.id;
};

/** Every item of a /v2 list, following next_page links. */
async function walk(who: Who, first: string): Promise<any[]> {
  const items: any[] = [];
  let next: string | null = first;
  for (let pages = 0; next && pages < 100; pages++) {
    const page: Answer = await sell(who, 'GET', next);
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    items.push(...page.body.items.map((i: any) => i.data));
    next = page.body.meta.links.next_page;
  }
  return items;
}

/** Every item of a native list, following next_cursor. */
async function walkNative(who: Who, path: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await native(who, 'GET', `${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.next_cursor;
  } while (cursor);
  return items;
}

const idsOf = (res: Answer): number[] => res.body.items.map((i: any) => i.data.id);

type KeyOf = (record: any) => string;

/** What a resource case made (or found) for its checks: three records, and the context they need. */
interface Made {
  ids: number[];
  /** Sell ids of records the filters below work with (a lead, a contact, a pipeline...). */
  ctx: Record<string, number>;
}

interface ResourceCase {
  /** The path after /v2/ of the collection. */
  path: string;
  /** meta.type of its items. */
  type: string;
  /** Who makes the records (and reads them in the checks). */
  who: Who;
  /** Makes at least two records (three when it can) and answers them. */
  make: () => Promise<Made>;
  /** Whether GET /v2/<path>/{id} is offered. */
  get: boolean;
  /** Whether writes are admin-only natively (so refused to a personal access token: 403). */
  adminWrites?: boolean;
  /** PUT's partial update and an attribute it must keep; absent: no PUT, POST, DELETE. */
  update?: { data: Record<string, unknown>; kept: string };
  /** Documented filters: the query, and the made records (by index) it must list exactly. */
  filters: (m: Made) => { query: string; expect: number[] }[];
  /** Sort fields besides id that sort_by takes; null: the list has one order and refuses another (id:asc). */
  sorts: string[] | null;
  /** The order without sort_by: id ascending (Sell's lead conversions: descending); null: the native order. */
  defaultOrder: 'asc' | 'desc' | null;
  /**
   * Visibility against the native list: its path, and the attribute both show for a record (or,
   * where the two shapes differ, what names a record in each).
   */
  visibility?: { nativePath: string; label: string } | { nativePath: string; sellKey: KeyOf; nativeKey: KeyOf };
}

/** A kind's custom field definitions (admins define them natively; every role lists them). */
const customFieldCase = (kind: 'lead' | 'contact' | 'deal'): ResourceCase => ({
  path: `${kind}/custom_fields`,
  type: 'custom_field',
  who: 'rep1',
  get: false,
  make: async () => {
    const ids: number[] = [];
    for (let i = 0; i < 2; i++) {
      const name = `Field${kind}${suffix}${i}`;
      const res = await native('admin', 'POST', `/custom_fields/${kind}s`, { name, type: 'string' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const found = await sell('rep1', 'GET', `/v2/${kind}/custom_fields?name=${name}`);
      expect(found.body.items, JSON.stringify(found.body)).toHaveLength(1);
      ids.push(found.body.items[0].data.id);
    }
    return { ids, ctx: {} };
  },
  filters: (m) => [{ query: `name=Field${kind}${suffix}0&type=string`, expect: [m.ids[0]!] }],
  sorts: ['name'],
  defaultOrder: 'asc',
});

const three = async (who: Who, path: string, data: (i: number) => Record<string, unknown>) => {
  const ids: number[] = [];
  for (let i = 0; i < 3; i++) ids.push(await made(who, path, data(i)));
  return ids;
};
/**
 * Reasons and sources: admins' lists. The native API takes admin-only writes from a signed-in
 * session only, never from a personal access token, so they are made natively here and /v2
 * answers a token's write with that 403.
 */
const named = (path: string, nativePath = `/${path}`): ResourceCase => ({
  path,
  type: path.replace(/s$/, ''),
  who: 'rep1',
  get: true,
  adminWrites: true,
  make: async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await native('admin', 'POST', nativePath, { name: `${path}${suffix}${i}` });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const found = await sell('rep1', 'GET', `/v2/${path}?name=${path}${suffix}${i}`);
      expect(found.body.items, JSON.stringify(found.body)).toHaveLength(1);
      ids.push(found.body.items[0].data.id);
    }
    return { ids, ctx: {} };
  },
  filters: (m) => [{ query: `name=${path}${suffix}1`, expect: [m.ids[1]!] }],
  sorts: ['name', 'created_at'],
  defaultOrder: 'asc',
});

/** A lead of `who` made through /v2 (for notes, tasks, conversions). */
const leadOf = (who: Who, name: string) => made(who, '/v2/leads', { last_name: `${name}${suffix}` });

const RESOURCES: ResourceCase[] = [
  {
    path: 'leads',
    type: 'lead',
    who: 'rep2',
    get: true,
    make: async () => {
      const region = `Region${suffix}`;
      const field = await native('admin', 'POST', '/custom_fields/leads', { name: region, type: 'string', filterable: true });
      expect(field.status, JSON.stringify(field.body)).toBe(201);
      const ids = await three('rep2', '/v2/leads', (i) => ({
        first_name: 'Mark',
        last_name: `Lead${suffix}${i}`,
        status: 'Working',
        address: {
          city: i < 2 ? `City${suffix}` : 'Elsewhere',
          postal_code: i === 1 ? `P${suffix}` : '10115',
          state: i === 2 ? `State${suffix}` : 'Berlin',
          country: 'DE',
        },
        custom_fields: { [region]: i === 0 ? 'North' : 'South' },
        tags: [`vip${suffix}`],
      }));
      return { ids, ctx: {} };
    },
    update: { data: { first_name: 'Marc' }, kept: 'last_name' },
    filters: (m) => [
      { query: `address[city]=City${suffix}`, expect: [m.ids[0]!, m.ids[1]!] },
      { query: `address[city]=City${suffix}&custom_fields[Region${suffix}]=North`, expect: [m.ids[0]!] },
      { query: `address[postal_code]=P${suffix}&address[country]=DE`, expect: [m.ids[1]!] },
      { query: `address[state]=State${suffix}`, expect: [m.ids[2]!] },
      { query: `last_name=Lead${suffix}2`, expect: [m.ids[2]!] },
      { query: `tags=vip${suffix}&status=Working`, expect: m.ids },
    ],
    sorts: ['last_name', 'created_at', 'updated_at'],
    defaultOrder: 'asc',
    visibility: { nativePath: '/leads', label: 'last_name' },
  },
  {
    path: 'contacts',
    type: 'contact',
    who: 'rep2',
    get: true,
    make: async () => {
      const tier = `Tier${suffix}`;
      const field = await native('admin', 'POST', '/custom_fields/contacts', { name: tier, type: 'string', filterable: true });
      expect(field.status, JSON.stringify(field.body)).toBe(201);
      const ids = await three('rep2', '/v2/contacts', (i) => ({
        first_name: 'Ann',
        last_name: `Contact${suffix}${i}`,
        email: `c${i}${suffix}@example.com`,
        address: { city: i === 1 ? `Town${suffix}` : 'Elsewhere', postal_code: i === 0 ? `Z${suffix}` : '08001' },
        custom_fields: { [tier]: i === 2 ? 'Gold' : 'Silver' },
      }));
      return { ids, ctx: {} };
    },
    update: { data: { first_name: 'Anne' }, kept: 'email' },
    filters: (m) => [
      { query: `address[city]=Town${suffix}&is_organization=false`, expect: [m.ids[1]!] },
      { query: `email=c2${suffix}@example.com`, expect: [m.ids[2]!] },
      { query: `address[postal_code]=Z${suffix}`, expect: [m.ids[0]!] },
      { query: `custom_fields[Tier${suffix}]=Gold`, expect: [m.ids[2]!] },
    ],
    sorts: ['last_name', 'created_at'],
    defaultOrder: 'asc',
    visibility: { nativePath: '/contacts', label: 'last_name' },
  },
  {
    path: 'deals',
    type: 'deal',
    who: 'rep2',
    get: true,
    make: async () => {
      const contact = await made('rep2', '/v2/contacts', { last_name: `DealContact${suffix}` });
      const size = `Size${suffix}`;
      const field = await native('admin', 'POST', '/custom_fields/deals', { name: size, type: 'string', filterable: true });
      expect(field.status, JSON.stringify(field.body)).toBe(201);
      const ids = await three('rep2', '/v2/deals', (i) => ({
        name: `Deal${suffix}${i}`,
        value: i === 2 ? '1000.50' : 1000 + i,
        hot: i === 0,
        contact_id: contact,
        custom_fields: { [size]: i === 1 ? 'Large' : 'Small' },
      }));
      return { ids, ctx: { contact } };
    },
    update: { data: { hot: false }, kept: 'name' },
    filters: (m) => [
      { query: `contact_id=${m.ctx.contact}&hot=true`, expect: [m.ids[0]!] },
      { query: `name=Deal${suffix}1`, expect: [m.ids[1]!] },
      { query: `custom_fields[Size${suffix}]=Large`, expect: [m.ids[1]!] },
    ],
    sorts: ['name', 'value', 'created_at'],
    defaultOrder: 'asc',
    visibility: { nativePath: '/deals', label: 'name' },
  },
  {
    path: 'notes',
    type: 'note',
    who: 'rep2',
    get: true,
    make: async () => {
      const lead = await leadOf('rep2', 'NoteLead');
      const ids = await three('rep2', '/v2/notes', (i) => ({
        resource_type: 'lead',
        resource_id: lead,
        content: `Note${suffix}${i}`,
      }));
      return { ids, ctx: { lead } };
    },
    update: { data: { content: `Note${suffix}changed` }, kept: 'resource_id' },
    filters: (m) => [
      { query: `resource_type=lead&resource_id=${m.ctx.lead}`, expect: m.ids },
      { query: `resource_type=lead&resource_id=${m.ctx.lead}&q=note${suffix}1`, expect: [m.ids[1]!] },
    ],
    sorts: null,
    defaultOrder: null,
    visibility: { nativePath: '/notes', label: 'content' },
  },
  {
    path: 'tasks',
    type: 'task',
    who: 'rep2',
    get: true,
    make: async () => {
      const lead = await leadOf('rep2', 'TaskLead');
      const ids = await three('rep2', '/v2/tasks', (i) => ({
        content: `Task${suffix}${i}`,
        resource_type: 'lead',
        resource_id: lead,
        due_date: `2030-01-0${i + 1}T10:00:00Z`,
      }));
      return { ids, ctx: { lead } };
    },
    update: { data: { completed: true }, kept: 'content' },
    filters: (m) => [
      { query: `resource_type=lead&resource_id=${m.ctx.lead}&type=related`, expect: m.ids },
      { query: `q=Task${suffix}0`, expect: [m.ids[0]!] },
    ],
    sorts: null,
    defaultOrder: null,
    visibility: { nativePath: '/tasks', label: 'content' },
  },
  {
    path: 'calls',
    type: 'call',
    who: 'rep2',
    get: true,
    make: async () => {
      const contact = await made('rep2', '/v2/contacts', { last_name: `CallContact${suffix}` });
      const deal = await made('rep2', '/v2/deals', { name: `CallDeal${suffix}`, contact_id: contact });
      const ids = await three('rep2', '/v2/calls', (i) => ({
        phone_number: `+1415555010${i}`,
        incoming: i === 0,
        duration: 60 + i,
        summary: `Call${suffix}${i}`,
        resource_type: 'contact',
        resource_id: contact,
        associated_deal_ids: i === 1 ? [deal] : [],
        made_at: `2026-11-0${i + 1}T10:00:00Z`,
        // Set here by the product: a client's values are ignored.
        user_id: 1,
        external_id: `cti-${i}`,
      }));
      const first = (await sell('rep2', 'GET', `/v2/calls/${ids[1]}`)).body.data;
      expect(first).toMatchObject({ associated_deal_ids: [deal], resource_id: contact, external_id: null });
      expect(first.user_id).toBe((await sell('rep2', 'GET', '/v2/users/self')).body.data.id);
      return { ids, ctx: { contact, deal } };
    },
    update: { data: { summary: `Call${suffix}changed`, missed: true }, kept: 'phone_number' },
    filters: (m) => [
      { query: `resource_type=contact&resource_id=${m.ctx.contact}`, expect: m.ids },
      { query: `associated_deal_id=${m.ctx.deal}`, expect: [m.ids[1]!] },
    ],
    sorts: null,
    // Newest made_at first, always.
    defaultOrder: 'desc',
    visibility: { nativePath: '/calls', label: 'summary' },
  },
  {
    path: 'text_messages',
    type: 'text_message',
    who: 'rep2',
    get: true,
    // Read-only in Sell: logged natively, then found through /v2.
    make: async () => {
      const contact = await made('rep2', '/v2/contacts', { last_name: `TextContact${suffix}` });
      const lead = await leadOf('rep2', 'TextLead');
      const contactNative = (await walkNative('rep2', '/contacts')).find((c) => c.last_name === `TextContact${suffix}`)!.id;
      const leadNative = (await walkNative('rep2', '/leads')).find((l) => l.last_name === `TextLead${suffix}`)!.id;
      for (let i = 0; i < 3; i++) {
        const res = await native('rep2', 'POST', '/text_messages', {
          content: `Text${suffix}${i}`,
          incoming: i === 1,
          resource_phone_number: `+1415555020${i}`,
          resource_type: i === 2 ? 'lead' : 'contact',
          resource_id: i === 2 ? leadNative : contactNative,
        });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
      }
      const found = [
        ...(await walk('rep2', `/v2/text_messages?resource_type=contact&resource_id=${contact}`)),
        ...(await walk('rep2', `/v2/text_messages?resource_type=lead&resource_id=${lead}`)),
      ];
      const ids = [0, 1, 2].map((i) => found.find((t) => t.content === `Text${suffix}${i}`)!.id as number);
      return { ids, ctx: { contact, lead } };
    },
    filters: (m) => [
      { query: `resource_type=contact&resource_id=${m.ctx.contact}`, expect: [m.ids[0]!, m.ids[1]!] },
      { query: `resource_type=lead&resource_id=${m.ctx.lead}`, expect: [m.ids[2]!] },
    ],
    sorts: null,
    defaultOrder: 'desc',
    visibility: { nativePath: '/text_messages', label: 'content' },
  },
  // Sell offers only GET on this list.
  { ...named('call_outcomes'), get: false, adminWrites: false },
  named('loss_reasons'),
  named('deal_unqualified_reasons'),
  named('sources'),
  { ...named('lead_sources', '/sources'), type: 'lead_source' },
  { ...named('deal_sources', '/sources'), type: 'deal_source' },
  // Sell offers only GET on this list.
  { ...named('lead_unqualified_reasons'), get: false, adminWrites: false },
  {
    path: 'tags',
    type: 'tag',
    who: 'rep2',
    get: true,
    make: async () => ({
      ids: await three('rep2', '/v2/tags', (i) => ({ name: `tag${suffix}${i}`, resource_type: i === 2 ? 'deal' : 'lead' })),
      ctx: {},
    }),
    update: { data: { name: `tag${suffix}renamed` }, kept: 'resource_type' },
    filters: (m) => [
      { query: `name=tag${suffix}1`, expect: [m.ids[1]!] },
      { query: `name=tag${suffix}2&resource_type=deal`, expect: [m.ids[2]!] },
    ],
    sorts: ['name', 'resource_type'],
    defaultOrder: 'asc',
  },
  {
    path: 'lead_conversions',
    type: 'lead_conversion',
    who: 'rep2',
    get: true,
    make: async () => {
      const ids: number[] = [];
      const leads: number[] = [];
      for (let i = 0; i < 3; i++) {
        const lead = await leadOf('rep2', `Converted${i}`);
        leads.push(lead);
        ids.push(await made('rep2', '/v2/lead_conversions', { lead_id: lead }));
      }
      // One of rep1's too, for the visibility check to compare.
      await made('rep1', '/v2/lead_conversions', { lead_id: await leadOf('rep1', 'ConvertedToo') });
      return { ids, ctx: { lead: leads[1]! } };
    },
    filters: (m) => [{ query: `lead_id=${m.ctx.lead}`, expect: [m.ids[1]!] }],
    sorts: [],
    defaultOrder: 'desc',
    // A conversion is its converted lead: named by when it was converted.
    visibility: {
      nativePath: '/leads?status=converted',
      sellKey: (d) => `${d.created_at}|${d.individual_id !== null}`,
      nativeKey: (lead) => `${lead.converted_at}|${lead.converted_contact_id !== null}`,
    },
  },
  {
    path: 'users',
    type: 'user',
    who: 'rep1',
    get: true,
    make: async () => {
      const ids: number[] = [];
      for (const who of ['rep1', 'rep2'] as const) ids.push((await sell(who, 'GET', '/v2/users/self')).body.data.id);
      return { ids, ctx: {} };
    },
    filters: (m) => [{ query: `email=${encodeURIComponent(session.users.rep2!.email)}`, expect: [m.ids[1]!] }],
    sorts: ['name', 'email'],
    defaultOrder: 'asc',
  },
  {
    path: 'pipelines',
    type: 'pipeline',
    who: 'rep1',
    get: false,
    make: async () => {
      const ids: number[] = [];
      for (let i = 0; i < 2; i++) {
        const res = await native('admin', 'POST', '/pipelines', { name: `Pipe${suffix}${i}` });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        const found = await sell('rep1', 'GET', `/v2/pipelines?name=Pipe${suffix}${i}`);
        ids.push(found.body.items[0].data.id);
      }
      return { ids, ctx: {} };
    },
    filters: (m) => [{ query: `name=Pipe${suffix}1`, expect: [m.ids[1]!] }],
    sorts: ['name'],
    defaultOrder: 'asc',
  },
  {
    path: 'stages',
    type: 'stage',
    who: 'rep1',
    get: false,
    make: async () => {
      const res = await native('admin', 'POST', '/pipelines', { name: `StagePipe${suffix}` });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const pipeline = (await sell('rep1', 'GET', `/v2/pipelines?name=StagePipe${suffix}`)).body.items[0].data.id;
      const stages = await walk('rep1', `/v2/stages?pipeline_id=${pipeline}&per_page=100`);
      return { ids: stages.map((s) => s.id), ctx: { pipeline } };
    },
    filters: (m) => [{ query: `pipeline_id=${m.ctx.pipeline}`, expect: m.ids }],
    sorts: ['position', 'name'],
    defaultOrder: 'asc',
  },
  ...(['lead', 'contact', 'deal'] as const).map(customFieldCase),
];

beforeAll(async () => {
  for (const who of ['admin', 'rep1', 'rep2', 'manager'] as const) {
    const res = await session.api('POST', '/access_tokens', { token: session.as(who), body: { name: 'sell' } });
    tokens[who] = res.body.token;
  }
});

describe.each(RESOURCES)('/v2/$path', (c) => {
  let m: Made;
  beforeAll(async () => {
    m = await c.make();
    expect(m.ids.length).toBeGreaterThanOrEqual(2);
  });
  const base = `/v2/${c.path}`;

  it("lists in Sell's collection envelope, page by page, with links to follow", async () => {
    const first = await sell(c.who, 'GET', `${base}.json?per_page=1`);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.meta).toMatchObject({ type: 'collection', count: 1 });
    expect(first.body.items[0]).toEqual({ data: expect.objectContaining({ id: expect.any(Number) }), meta: { type: c.type } });
    const { links } = first.body.meta;
    expect(links.self).toMatch(new RegExp(`/v2/${c.path}\\?.*page=1&per_page=1`));
    expect(links.first_page).toContain('page=1&per_page=1');
    expect(links.prev_page).toBeNull();
    expect(links.next_page).toContain('page=2');
    const second = await sell(c.who, 'GET', `${base}?page=2&per_page=1`);
    const followed = await sell(c.who, 'GET', links.next_page);
    expect(idsOf(followed)).toEqual(idsOf(second));
    expect(idsOf(second)).not.toEqual(idsOf(first));
    expect(followed.body.meta.links.prev_page).toContain('page=1');
    // The whole list holds what was made, once each.
    const all = (await walk(c.who, `${base}?per_page=100`)).map((d) => d.id);
    expect(new Set(all).size).toBe(all.length);
    for (const id of m.ids) expect(all).toContain(id);
  });

  it('filters with ids= and the documented filters', async () => {
    const byIds = await sell(c.who, 'GET', `${base}?ids=${m.ids[0]},${m.ids[1]}`);
    expect(byIds.status, JSON.stringify(byIds.body)).toBe(200);
    expect(idsOf(byIds).sort()).toEqual([m.ids[0], m.ids[1]].sort());
    for (const filter of c.filters(m)) {
      const res = await sell(c.who, 'GET', `${base}?${filter.query}&per_page=100`);
      expect(res.status, `${filter.query}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(idsOf(res).sort(), filter.query).toEqual([...filter.expect].sort());
    }
    expectSellError(await sell(c.who, 'GET', `${base}?no_such_filter=1`), 422, 'Unprocessable Entity');
  });

  it('sorts with sort_by=field:asc|desc, or refuses sort_by where the list has one order', async () => {
    const order = async (sort?: string) =>
      (await walk(c.who, `${base}?per_page=100${sort ? `&sort_by=${sort}` : ''}`))
        .map((d) => d.id)
        .filter((id) => m.ids.includes(id));
    const ascending = [...m.ids].sort((a, b) => a - b);
    if (c.defaultOrder) expect(await order()).toEqual(c.defaultOrder === 'asc' ? ascending : [...ascending].reverse());
    if (c.sorts === null) {
      expectSellError(await sell(c.who, 'GET', `${base}?sort_by=id:asc`), 422, 'Unprocessable Entity');
      return;
    }
    expect(await order('id:desc')).toEqual([...ascending].reverse());
    expect(await order('id:asc')).toEqual(ascending);
    for (const field of c.sorts) {
      const res = await sell(c.who, 'GET', `${base}?per_page=100&sort_by=${field}:desc`);
      expect(res.status, `${field}: ${JSON.stringify(res.body)}`).toBe(200);
      // Over the records made here (the native list collates other text its own way).
      const values = res.body.items
        .filter((i: any) => m.ids.includes(i.data.id))
        .map((i: any) => i.data[field])
        .filter((v: unknown) => v !== null && v !== undefined);
      const numeric = values.every((v: unknown) => !Number.isNaN(Number(v)));
      const sorted = [...values].sort((a, b) => (numeric ? Number(b) - Number(a) : String(b).localeCompare(String(a))));
      expect(values, field).toEqual(sorted);
    }
    expectSellError(await sell(c.who, 'GET', `${base}?sort_by=id:sideways`), 422, 'Unprocessable Entity');
  });

  it("reads one record in Sell's single envelope, and answers errors in Sell's envelope", async () => {
    if (c.get) {
      const one = await sell(c.who, 'GET', `${base}/${m.ids[0]}.json`);
      expect(one.status, JSON.stringify(one.body)).toBe(200);
      expect(one.body).toEqual({ data: expect.objectContaining({ id: m.ids[0] }), meta: { type: c.type } });
      expectSellError(await sell(c.who, 'GET', `${base}/987654321`), 404, 'Not Found');
    }
    expectSellError(await sell(c.who, 'GET', `${base}?per_page=101`), 422, 'Unprocessable Entity');
    expectSellError(await sell(c.who, 'GET', `${base}?page=0`), 422, 'Unprocessable Entity');
    expectSellError(await sell(c.who, 'GET', base, undefined, { accept: 'text/csv' }), 406, 'Not Acceptable');
    if (c.adminWrites) {
      for (const [method, path] of [
        ['POST', base],
        ['PUT', `${base}/${m.ids[0]}`],
        ['DELETE', `${base}/${m.ids[0]}`],
      ] as const) {
        const refused = await sell('admin', method, path, method === 'DELETE' ? undefined : { data: { name: `x${suffix}` } });
        expectSellError(refused, 403, 'Forbidden');
        expect(refused.body.errors[0].error.code).toBe('access_token.admin_route');
      }
    } else if (!c.update) {
      expectSellError(await sell(c.who, 'DELETE', `${base}/${m.ids[0]}`), 405, 'Method Not Allowed');
    }
  });

  // Defined only where they apply, so that nothing is skipped.
  if (c.update) {
    it('PUT updates partially, DELETE answers 204, then the record is not found', async () => {
      const update = c.update!;
      const id = m.ids[2]!;
      const before = (await sell(c.who, 'GET', `${base}/${id}`)).body.data;
      const put = await sell(c.who, 'PUT', `${base}/${id}`, { data: { ...update.data, id: 1, created_at: 'ignored' } });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      expect(put.body.meta).toEqual({ type: c.type });
      expect(put.body.data).toMatchObject({ ...update.data, id, [update.kept]: before[update.kept] });
      expect((await sell(c.who, 'GET', `${base}/${id}`)).body.data).toMatchObject(update.data);
      const deleted = await sell(c.who, 'DELETE', `${base}/${id}`);
      expect(deleted.status, JSON.stringify(deleted.body)).toBe(204);
      expect(deleted.body).toBeUndefined();
      expectSellError(await sell(c.who, 'GET', `${base}/${id}`), 404, 'Not Found');
      m.ids = m.ids.slice(0, 2);
    });
  }

  if (c.visibility) {
    it("shows a rep through /v2 exactly what the native API shows them, and not another rep's", async () => {
      const v = c.visibility!;
      const same: KeyOf = (d) => ('label' in v ? `${d.created_at}|${d.updated_at}|${d[v.label]}` : '');
      const viaSell = (await walk('rep1', `${base}?per_page=100`)).map('label' in v ? same : v.sellKey).sort();
      const viaNative = (await walkNative('rep1', v.nativePath)).map('label' in v ? same : v.nativeKey).sort();
      if (!('label' in v)) expect(viaSell.length, 'rep1 has records of its own to compare').toBeGreaterThan(0);
      expect(viaSell).toEqual(viaNative);
      // rep2 made these: rep1 neither lists nor reads them; rep2's manager reads them.
      const rep1Ids = (await walk('rep1', `${base}?per_page=100`)).map((d) => d.id);
      for (const id of m.ids) expect(rep1Ids).not.toContain(id);
      expectSellError(await sell('rep1', 'GET', `${base}/${m.ids[0]}`), 404, 'Not Found');
      expect((await sell('rep1', 'GET', `${base}?ids=${m.ids.join(',')}`)).body.meta.count).toBe(0);
      expect((await sell('manager', 'GET', `${base}/${m.ids[0]}`)).status).toBe(200);
    });
  }
});

describe('leads in detail', () => {
  it("creates a lead with Sell's status label and ignores read-only attributes", async () => {
    const self = (await sell('rep1', 'GET', '/v2/users/self')).body.data;
    const created = await sell('rep1', 'POST', '/v2/leads', {
      data: { first_name: 'Mark', last_name: `Johnson${suffix}`, status: 'Working', owner_id: self.id, id: 999, created_at: 'x' },
      meta: { type: 'lead' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body).toMatchObject({
      data: { id: expect.any(Number), first_name: 'Mark', status: 'Working', owner_id: self.id, creator_id: self.id },
      meta: { type: 'lead' },
    });
    expect(created.body.data.id).not.toBe(999);
  });

  it("answers a validation error as Sell's 422 envelope, with the field", async () => {
    const res = await sell('rep1', 'POST', '/v2/leads', { data: { first_name: 'x'.repeat(300) } });
    expectSellError(res, 422, 'Unprocessable Entity');
    expect(res.body.errors[0].error.field).toBe('/first_name');
  });

  it('registers the tags a lead is written with, so /v2/tags lists them', async () => {
    const tags = await sell('rep1', 'GET', `/v2/tags?name=vip${suffix}&resource_type=lead`);
    expect(tags.body.items).toEqual([
      {
        data: expect.objectContaining({ id: expect.any(Number), name: `vip${suffix}`, resource_type: 'lead' }),
        meta: { type: 'tag' },
      },
    ]);
  });
});

describe('lead conversions, deals, contacts', () => {
  it('converts a lead through the native conversion; the conversion names the records it made', async () => {
    const lead = await leadOf('rep1', 'ConvertMe');
    const conversion = await sell('rep1', 'POST', '/v2/lead_conversions', { data: { lead_id: lead } });
    expect(conversion.status, JSON.stringify(conversion.body)).toBe(200);
    expect(conversion.body).toMatchObject({
      data: { lead_id: lead, individual_id: expect.any(Number), created_at: expect.any(String) },
      meta: { type: 'lead_conversion' },
    });
    const contact = await sell('rep1', 'GET', `/v2/contacts/${conversion.body.data.individual_id}`);
    expect(contact.body.data.last_name).toBe(`ConvertMe${suffix}`);
    expect((await sell('rep1', 'GET', `/v2/leads/${lead}`)).body.data.status).toBe('Converted');
    // Converted once: a second conversion is refused in Sell's envelope; rep2 sees none of it.
    expect((await sell('rep1', 'POST', '/v2/lead_conversions', { data: { lead_id: lead } })).status).toBe(409);
    expect((await sell('rep2', 'GET', `/v2/lead_conversions?lead_id=${lead}`)).body.meta.count).toBe(0);
    expectSellError(
      await sell('rep1', 'POST', '/v2/lead_conversions', { data: { lead_id: 987654321 } }),
      422,
      'Unprocessable Entity',
    );
  });

  it('creates a deal on a contact with Sell ids for every reference, its value in Sell shape, and associated contacts', async () => {
    const contact = await made('rep1', '/v2/contacts', { first_name: 'Ann', last_name: `Buyer${suffix}` });
    const other = await made('rep1', '/v2/contacts', { first_name: 'Bo', last_name: `Other${suffix}` });
    const deal = await sell('rep1', 'POST', '/v2/deals', {
      data: { name: `Website${suffix}`, value: '1000.50', contact_id: contact },
    });
    expect(deal.status, JSON.stringify(deal.body)).toBe(200);
    expect(deal.body.data).toMatchObject({
      id: expect.any(Number),
      contact_id: contact,
      stage_id: expect.any(Number),
      pipeline_id: expect.any(Number),
      value: '1000.50',
    });
    const id = deal.body.data.id;
    const added = await sell('rep1', 'POST', `/v2/deals/${id}/associated_contacts`, {
      data: { contact_id: other, role: 'involved' },
    });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body).toMatchObject({ data: { contact_id: other }, meta: { type: 'associated_contact' } });
    const listed = await sell('rep1', 'GET', `/v2/deals/${id}/associated_contacts`);
    expect(listed.body.items.map((i: any) => i.data.contact_id)).toContain(other);
    expect((await sell('rep1', 'DELETE', `/v2/deals/${id}/associated_contacts/${other}`)).status).toBe(204);
    const bad = await sell('rep1', 'PUT', `/v2/deals/${id}`, { data: { contact_id: 99999999 } });
    expectSellError(bad, 422, 'Unprocessable Entity');
  });

  it("pages a deal's associated contacts as Sell does, takes no filter, and hides another rep's deal", async () => {
    const deal = await made('rep1', '/v2/deals', { name: `Associated${suffix}` });
    const contacts = await three('rep1', '/v2/contacts', (i) => ({ first_name: 'Assoc', last_name: `Person${suffix}${i}` }));
    const base = `/v2/deals/${deal}/associated_contacts`;
    for (const contact_id of contacts) {
      const added = await sell('rep1', 'POST', base, { data: { contact_id, role: 'involved' } });
      expect(added.status, JSON.stringify(added.body)).toBe(200);
    }
    const first = await sell('rep1', 'GET', `${base}.json?per_page=2`);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.meta).toMatchObject({ type: 'collection', count: 2 });
    expect(first.body.items[0]).toEqual({
      data: expect.objectContaining({ contact_id: expect.any(Number) }),
      meta: { type: 'associated_contact' },
    });
    expect(first.body.meta.links.self).toMatch(new RegExp(`${base}\\?page=1&per_page=2$`));
    expect(first.body.meta.links.next_page).toMatch(new RegExp(`${base}\\?page=2&per_page=2$`));
    const second = await sell('rep1', 'GET', first.body.meta.links.next_page);
    expect(second.body.meta).toMatchObject({ count: 1, links: { next_page: null } });
    expect((await walk('rep1', `${base}?per_page=2`)).map((d) => d.contact_id).sort()).toEqual([...contacts].sort());
    expectSellError(await sell('rep1', 'GET', `${base}?per_page=101`), 422, 'Unprocessable Entity');
    expectSellError(await sell('rep1', 'GET', `${base}?role=involved`), 422, 'Unprocessable Entity');
    expectSellError(await sell('rep1', 'GET', base, undefined, { accept: 'text/csv' }), 406, 'Not Acceptable');
    expectSellError(await sell('rep1', 'GET', '/v2/deals/987654321/associated_contacts'), 404, 'Not Found');
    // rep2 may not see rep1's deal: its associations answer as a missing deal's.
    expectSellError(await sell('rep2', 'GET', base), 404, 'Not Found');
  });
});

describe('protocol', () => {
  it('answers account and self, lacking resources in the error envelope (never a 500), unknown ones 404', async () => {
    const account = await sell('rep1', 'GET', '/v2/accounts/self');
    expect(account.body).toMatchObject({ data: { id: 1, name: expect.any(String) }, meta: { type: 'account' } });
    for (const lacking of ['products', 'orders', 'orders/1/line_items', 'visits', 'visit_outcomes']) {
      const res = await sell('rep1', 'GET', `/v2/${lacking}`);
      expectSellError(res, 501, 'Not Implemented');
      expect(res.body.errors[0].error.message).toMatch(/no (products|orders|line_items|visits|visit_outcomes)/);
    }
    expectSellError(await sell('rep1', 'GET', '/v2/nothing_here'), 404, 'Not Found');
    expectSellError(await sell('rep1', 'POST', '/v2/leads', 'not an envelope'), 422, 'Unprocessable Entity');
  });
});
