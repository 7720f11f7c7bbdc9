import { beforeAll, describe, expect, it } from 'vitest';
import { listLeadsRoute } from '#shared/leads/routes.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';

// The /v2 facade driven with plain HTTP as Sell's documentation shows each call: a personal
// access token as Bearer, {"data": ...} bodies, Sell's envelopes, paging links, sort, filters and
// errors; and visibility: a rep's token sees through /v2 exactly what it sees natively.

const session = useTestCloud();
const { call } = session;
const tokens: Record<string, string> = {};
const suffix = Date.now().toString(36);

async function sell(who: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
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
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const expectSellError = (res: Awaited<ReturnType<typeof sell>>, status: number, phrase: string) => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.meta).toMatchObject({ type: 'errors', http_status: `${status} ${phrase}` });
  expect(res.body.meta.logref).toBe(res.headers.get('x-request-id'));
  expect(res.body.errors[0]).toMatchObject({
    error: { code: expect.any(String), message: expect.any(String) },
    meta: { type: 'error' },
  });
};

beforeAll(async () => {
  for (const who of ['rep1', 'rep2', 'manager']) {
    const res = await session.api('POST', '/access_tokens', { token: session.as(who), body: { name: 'sell' } });
    tokens[who] = res.body.token;
  }
});

describe('accounts and users', () => {
  it('GET /v2/accounts/self and /v2/users/self.json answer single envelopes with numeric ids', async () => {
    const account = await sell('rep1', 'GET', '/v2/accounts/self');
    expect(account.status).toBe(200);
    expect(account.body).toMatchObject({
      data: { id: 1, name: expect.any(String), currency: expect.any(String) },
      meta: { type: 'account' },
    });
    const self = await sell('rep1', 'GET', '/v2/users/self.json');
    expect(self.body.meta).toEqual({ type: 'user' });
    expect(self.body.data).toMatchObject({ id: expect.any(Number), email: session.users.rep1!.email, role: 'user' });
    const byId = await sell('rep1', 'GET', `/v2/users/${self.body.data.id}`);
    expect(byId.body.data.email).toBe(session.users.rep1!.email);
  });

  it('lists users as a collection with Sell paging meta', async () => {
    const res = await sell('rep1', 'GET', '/v2/users?per_page=2');
    expect(res.body.meta).toMatchObject({ type: 'collection', count: 2 });
    expect(res.body.items[0]).toMatchObject({ data: { id: expect.any(Number) }, meta: { type: 'user' } });
    expect(res.body.meta.links.first_page).toContain('page=1&per_page=2');
    expect(res.body.meta.links.next_page).toContain('page=2');
    expect(res.body.meta.links.prev_page).toBeNull();
  });
});

describe('leads', () => {
  it("creates, reads, partially updates and deletes a lead; DELETE answers 204, then 404 in Sell's envelope", async () => {
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
    const id = created.body.data.id;
    expect((await sell('rep1', 'GET', `/v2/leads/${id}.json`)).body.data.last_name).toBe(`Johnson${suffix}`);
    const updated = await sell('rep1', 'PUT', `/v2/leads/${id}`, { data: { first_name: 'Marc' } });
    expect(updated.body.data).toMatchObject({ id, first_name: 'Marc', last_name: `Johnson${suffix}`, status: 'Working' });
    const deleted = await sell('rep1', 'DELETE', `/v2/leads/${id}`);
    expect(deleted.status).toBe(204);
    expectSellError(await sell('rep1', 'GET', `/v2/leads/${id}`), 404, 'Not Found');
  });

  it("answers a validation error as Sell's 422 envelope, with the field", async () => {
    const res = await sell('rep1', 'POST', '/v2/leads', { data: { first_name: 'x'.repeat(300) } });
    expectSellError(res, 422, 'Unprocessable Entity');
    expect(res.body.errors[0].error.field).toBe('/first_name');
  });

  it("shows a rep through /v2 exactly the leads the native API shows them, never another rep's", async () => {
    const theirs = await sell('rep2', 'POST', '/v2/leads', { data: { last_name: `Theirs${suffix}` } });
    await sell('rep1', 'POST', '/v2/leads', { data: { last_name: `Mine${suffix}` } });
    const native: string[] = [];
    let cursor: string | undefined;
    do {
      const page = bodyOf(await call(listLeadsRoute, { as: 'rep1', query: { limit: 100, ...(cursor ? { cursor } : {}) } }));
      native.push(...page.items.map((l) => String(l.last_name)));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    const viaSell: string[] = [];
    let next: string | null = '/v2/leads?per_page=100';
    while (next) {
      const page: any = await sell('rep1', 'GET', next);
      viaSell.push(...page.body.items.map((i: any) => i.data.last_name));
      next = page.body.meta.links.next_page;
    }
    expect([...viaSell].sort()).toEqual([...native].sort());
    expect(viaSell).toContain(`Mine${suffix}`);
    expect(viaSell).not.toContain(`Theirs${suffix}`);
    // By id, too: another rep's lead is not found.
    expectSellError(await sell('rep1', 'GET', `/v2/leads/${theirs.body.data.id}`), 404, 'Not Found');
    expect((await sell('manager', 'GET', `/v2/leads/${theirs.body.data.id}`)).status).toBe(200);
    // ids= leaves out what the caller may not see.
    const byIds = await sell('rep1', 'GET', `/v2/leads?ids=${theirs.body.data.id}`);
    expect(byIds.body.meta.count).toBe(0);
  });

  it('pages with page/per_page (links carry the position), sorts with sort_by and filters by ids=', async () => {
    const made: number[] = [];
    for (let i = 0; i < 5; i++) {
      made.push((await sell('rep2', 'POST', '/v2/leads', { data: { last_name: `Page${suffix}${i}` } })).body.data.id);
    }
    const pages: number[][] = [];
    for (const page of [1, 2, 3]) {
      const res = await sell('rep2', 'GET', `/v2/leads?page=${page}&per_page=2&sort_by=created_at:desc`);
      expect(res.body.meta.count).toBe(2);
      pages.push(res.body.items.map((i: any) => i.data.id));
    }
    // Newest first: the five just made lead the list, in reverse order of creation.
    expect(pages.flat().slice(0, 5)).toEqual([...made].reverse());
    const first = await sell('rep2', 'GET', '/v2/leads?page=1&per_page=2&sort_by=created_at:desc');
    const followed = await sell('rep2', 'GET', first.body.meta.links.next_page);
    expect(followed.body.items.map((i: any) => i.data.id)).toEqual(pages[1]);
    expect(followed.body.meta.links.prev_page).toContain('page=1');
    const byIds = await sell('rep2', 'GET', `/v2/leads?ids=${made[0]},${made[2]}`);
    expect(byIds.body.items.map((i: any) => i.data.id).sort()).toEqual([made[0], made[2]].sort());
    expectSellError(await sell('rep2', 'GET', '/v2/leads?per_page=101'), 422, 'Unprocessable Entity');
  });
});

describe('deals, contacts, pipelines and stages', () => {
  it('creates a deal on a contact with Sell ids for every reference, and its value in Sell shape', async () => {
    const contact = await sell('rep1', 'POST', '/v2/contacts', { data: { first_name: 'Ann', last_name: `Buyer${suffix}` } });
    expect(contact.status, JSON.stringify(contact.body)).toBe(200);
    const deal = await sell('rep1', 'POST', '/v2/deals', {
      data: { name: `Website${suffix}`, value: 1000, contact_id: contact.body.data.id },
    });
    expect(deal.status, JSON.stringify(deal.body)).toBe(200);
    expect(deal.body.data).toMatchObject({
      id: expect.any(Number),
      contact_id: contact.body.data.id,
      stage_id: expect.any(Number),
      pipeline_id: expect.any(Number),
      value: 1000,
    });
    const stages = await sell('rep1', 'GET', `/v2/stages?pipeline_id=${deal.body.data.pipeline_id}`);
    expect(stages.body.items.map((i: any) => i.data.id)).toContain(deal.body.data.stage_id);
    const pipelines = await sell('rep1', 'GET', '/v2/pipelines');
    expect(pipelines.body.items.map((i: any) => i.data.id)).toContain(deal.body.data.pipeline_id);
    const associated = await sell('rep1', 'GET', `/v2/deals/${deal.body.data.id}/associated_contacts`);
    expect(associated.status, JSON.stringify(associated.body)).toBe(200);
    const bad = await sell('rep1', 'PUT', `/v2/deals/${deal.body.data.id}`, { data: { contact_id: 99999999 } });
    expectSellError(bad, 422, 'Unprocessable Entity');
  });
});

describe('protocol', () => {
  it('answers an Accept other than JSON with 406, lacking resources with 501 and unknown ones with 404', async () => {
    expectSellError(await sell('rep1', 'GET', '/v2/leads', undefined, { accept: 'application/xml' }), 406, 'Not Acceptable');
    const products = await sell('rep1', 'GET', '/v2/products');
    expectSellError(products, 501, 'Not Implemented');
    expect(products.body.errors[0].error.message).toMatch(/no products/);
    expectSellError(await sell('rep1', 'GET', '/v2/orders/1/line_items'), 501, 'Not Implemented');
    expectSellError(await sell('rep1', 'GET', '/v2/nothing_here'), 404, 'Not Found');
    expectSellError(await sell('rep1', 'POST', '/v2/leads', 'not an envelope'), 422, 'Unprocessable Entity');
  });
});
