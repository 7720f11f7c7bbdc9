import { describe, expect, it } from 'vitest';
import type { Json, NativeApi, SellIdLookup } from '#shared/sell-facade/ports.ts';
import { serveSell } from '#shared/sell-facade/use-cases.ts';

// Sell's calls, call_outcomes and text_messages through the facade with a fake native API:
// the native routes each request becomes (Sell ids as record ids, Sell's filters as the native
// ones) and the envelopes that come back (record ids as Sell ids, deal id arrays too).

const CALL: Json = {
  id: 'K4',
  user_id: 'U1',
  phone_number: '+14155550100',
  duration: 60,
  incoming: true,
  missed: false,
  outcome_id: 'O3',
  summary: 'Asked for a quote',
  recording_url: null,
  resource_type: 'contact',
  resource_id: 'C7',
  associated_deal_ids: ['D9', 'D8'],
  made_at: '2026-11-30T10:00:00.000Z',
  external_id: null,
  source: 'manual',
  created_at: '2026-11-30T10:01:00.000Z',
  updated_at: '2026-11-30T10:01:00.000Z',
  version: 1,
};
const TEXT: Json = {
  id: 'X2',
  user_id: 'U1',
  content: 'On my way',
  incoming: false,
  resource_type: 'lead',
  resource_id: 'L5',
  resource_phone_number: '+14155550101',
  user_phone_number: null,
  associated_deal_ids: [],
  sent_at: '2026-11-30T11:00:00.000Z',
  external_id: null,
  source: 'manual',
  created_at: '2026-11-30T11:00:00.000Z',
  updated_at: '2026-11-30T11:00:00.000Z',
  version: 1,
};
const OUTCOMES: Json[] = ['Interested', 'No answer', 'Left voicemail'].map((name, i) => ({ id: `O${i + 1}`, name, version: 1 }));

type Recorded = { key: string; input: { params?: Record<string, string>; query?: Record<string, string>; body?: any } };

function native(calls: Recorded[]): NativeApi {
  return {
    async call(key, input) {
      calls.push({ key, input });
      if (key === 'GET /calls')
        return { status: 200, body: { items: [CALL, { ...CALL, id: 'K5', user_id: 'U2' }], next_cursor: null } };
      if (key === 'GET /calls/{id}') return { status: 200, body: CALL };
      if (key === 'POST /calls') return { status: 201, body: { ...CALL, ...(input.body as Json) } };
      if (key === 'PATCH /calls/{id}') return { status: 200, body: { ...CALL, ...(input.body as Json), version: 2 } };
      if (key === 'DELETE /calls/{id}') return { status: 204, body: {} };
      if (key === 'GET /text_messages') return { status: 200, body: { items: [TEXT], next_cursor: null } };
      if (key === 'GET /text_messages/{id}') return { status: 200, body: TEXT };
      if (key === 'GET /call_outcomes') return { status: 200, body: { items: OUTCOMES, next_cursor: null } };
      throw new Error(`unexpected ${key}`);
    },
  };
}

/** Sell ids: the record id's digits plus 100 (users 500); ids by number the other way. */
const PREFIX: Record<string, string> = {
  user: 'U',
  lead: 'L',
  contact: 'C',
  deal: 'D',
  call: 'K',
  text_message: 'X',
  call_outcome: 'O',
};
const ids: SellIdLookup = {
  async numbersOf(type, list) {
    return new Map(list.map((id) => [id, Number(id.replace(/\D/g, '')) + (type === 'user' ? 500 : 100)]));
  },
  async idOf(type, n) {
    const prefix = PREFIX[type];
    const raw = n - (type === 'user' ? 500 : 100);
    return prefix && raw >= 0 && raw < 50 ? `${prefix}${raw}` : undefined;
  },
};

const request = (path: string, query: Record<string, string> = {}, method = 'GET', body?: unknown) => ({
  method,
  segments: path.split('/'),
  query,
  body,
  base: 'https://crm.example/v2',
});

describe('/v2/calls', () => {
  it("lists a record's calls with Sell ids, resource_type + resource_id becoming the native lead_id or contact_id", async () => {
    const calls: Recorded[] = [];
    const answer = (await serveSell(
      { native: native(calls), ids },
      request('calls', { resource_type: 'contact', resource_id: '107' }),
    )) as any;
    expect(calls[0]!.key).toBe('GET /calls');
    expect(calls[0]!.input.query).toMatchObject({ contact_id: 'C7' });
    expect(calls[0]!.input.query).not.toHaveProperty('resource_type');
    expect(answer.body.meta).toMatchObject({ type: 'collection', count: 2 });
    expect(answer.body.items[0]).toEqual({
      data: expect.objectContaining({
        id: 104,
        user_id: 501,
        outcome_id: 103,
        resource_type: 'contact',
        resource_id: 107,
        associated_deal_ids: [109, 108],
        phone_number: '+14155550100',
        duration: 60,
        made_at: '2026-11-30T10:00:00.000Z',
      }),
      meta: { type: 'call' },
    });
    expect(answer.body.items[0].data).not.toHaveProperty('version');
  });

  it('maps associated_deal_id, filters user_id here, accepts only the made_at:desc order and pairs resource filters', async () => {
    const calls: Recorded[] = [];
    const deps = { native: native(calls), ids };
    const mine = (await serveSell(
      deps,
      request('calls', { associated_deal_id: '109', user_id: '501', sort_by: 'made_at:desc' }),
    )) as any;
    expect(calls[0]!.input.query).toMatchObject({ deal_id: 'D9' });
    expect(calls[0]!.input.query).not.toHaveProperty('user_id');
    expect(calls[0]!.input.query).not.toHaveProperty('sort_by');
    expect(mine.body.items.map((i: any) => i.data.id)).toEqual([104]);
    await expect(serveSell(deps, request('calls', { resource_type: 'lead' }))).rejects.toMatchObject({ status: 422 });
    await expect(serveSell(deps, request('calls', { resource_type: 'deal', resource_id: '109' }))).rejects.toMatchObject({
      status: 422,
    });
    await expect(serveSell(deps, request('calls', { sort_by: 'made_at:asc' }))).rejects.toMatchObject({ status: 422 });
    await expect(serveSell(deps, request('calls', { outcome: 'x' }))).rejects.toMatchObject({ status: 422 });
  });

  it('creates with Sell ids translated, dropping what the product sets itself (user_id, external_id)', async () => {
    const calls: Recorded[] = [];
    const answer = (await serveSell(
      { native: native(calls), ids },
      request('calls', {}, 'POST', {
        data: {
          user_id: 502,
          phone_number: '+14155550100',
          incoming: true,
          duration: 60,
          outcome_id: 101,
          resource_type: 'lead',
          resource_id: 105,
          associated_deal_ids: [109],
          external_id: 'cti-1',
          made_at: '2026-11-30T10:00:00Z',
        },
      }),
    )) as any;
    expect(calls[0]!.key).toBe('POST /calls');
    expect(calls[0]!.input.body).toEqual({
      phone_number: '+14155550100',
      incoming: true,
      duration: 60,
      outcome_id: 'O1',
      resource_type: 'lead',
      resource_id: 'L5',
      associated_deal_ids: ['D9'],
      made_at: '2026-11-30T10:00:00Z',
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      data: { resource_type: 'lead', resource_id: 105, associated_deal_ids: [109] },
      meta: { type: 'call' },
    });
    await expect(
      serveSell(
        { native: native([]), ids },
        request('calls', {}, 'POST', { data: { phone_number: '+1', associated_deal_ids: [999] } }),
      ),
    ).rejects.toMatchObject({ status: 422, errors: [expect.objectContaining({ field: '/data/associated_deal_ids' })] });
  });

  it('PUT is the native PATCH; fields it cannot change pass when repeated unchanged and are refused when changed; DELETE is 204', async () => {
    const calls: Recorded[] = [];
    const deps = { native: native(calls), ids };
    const put = (await serveSell(
      deps,
      request('calls/104', {}, 'PUT', {
        data: {
          id: 104,
          summary: 'Sent the quote',
          phone_number: '+14155550100',
          made_at: '2026-11-30T10:00:00Z',
          incoming: true,
        },
      }),
    )) as any;
    const patch = calls.find((c) => c.key === 'PATCH /calls/{id}')!;
    expect(patch.input).toMatchObject({ params: { id: 'K4' }, body: { summary: 'Sent the quote' } });
    expect(Object.keys(patch.input.body)).toEqual(['summary']);
    expect(put.body.data).toMatchObject({ id: 104, summary: 'Sent the quote' });
    await expect(
      serveSell(deps, request('calls/104', {}, 'PUT', { data: { phone_number: '+14155550199' } })),
    ).rejects.toMatchObject({ status: 422, errors: [expect.objectContaining({ field: '/data/phone_number' })] });
    expect(await serveSell(deps, request('calls/104', {}, 'DELETE'))).toEqual({ status: 204 });
    expect(calls.at(-1)).toMatchObject({ key: 'DELETE /calls/{id}', input: { params: { id: 'K4' } } });
  });
});

describe('/v2/text_messages and /v2/call_outcomes', () => {
  it("lists and reads text messages (read-only, as in Sell) with Sell's resource filters", async () => {
    const calls: Recorded[] = [];
    const deps = { native: native(calls), ids };
    const list = (await serveSell(
      deps,
      request('text_messages', { resource_type: 'lead', resource_id: '105', sort_by: 'id:desc' }),
    )) as any;
    expect(calls[0]!.input.query).toMatchObject({ resource_type: 'lead', resource_id: 'L5' });
    expect(list.body.items[0]).toEqual({
      data: expect.objectContaining({ id: 102, user_id: 501, resource_id: 105, content: 'On my way', associated_deal_ids: [] }),
      meta: { type: 'text_message' },
    });
    const one = (await serveSell(deps, request('text_messages/102'))) as any;
    expect(one.body).toMatchObject({ data: { id: 102, resource_phone_number: '+14155550101' }, meta: { type: 'text_message' } });
    await expect(serveSell(deps, request('text_messages', {}, 'POST', { data: { content: 'x' } }))).rejects.toMatchObject({
      status: 405,
    });
  });

  it('lists call outcomes whole, filtered and sorted here', async () => {
    const deps = { native: native([]), ids };
    const all = (await serveSell(deps, request('call_outcomes', { sort_by: 'name:asc' }))) as any;
    expect(all.body.items.map((i: any) => i.data.name)).toEqual(['Interested', 'Left voicemail', 'No answer']);
    expect(all.body.items[0]).toEqual({ data: expect.objectContaining({ id: 101 }), meta: { type: 'call_outcome' } });
    const named = (await serveSell(deps, request('call_outcomes', { name: 'No answer' }))) as any;
    expect(named.body.items.map((i: any) => i.data.id)).toEqual([102]);
  });
});
