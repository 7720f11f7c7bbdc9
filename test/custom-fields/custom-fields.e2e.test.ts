import { describe, expect, it } from 'vitest';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { customFieldCountOps } from '#shared/custom-fields/dynamodb.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { useTestCloud } from '#test/helpers/local-cloud.ts';

// Custom field definitions over HTTP (F6.1), as clients call them: /custom_fields/{leads|contacts|deals}.

const { api, users, as } = useTestCloud({
  extraRules: [
    {
      name: 'test-custom-fields',
      pattern: { source: ['crm'], 'detail-type': [{ prefix: 'custom_field.' }] },
      target: async (e) => void busEvents.push(e),
    },
  ],
});
let n = 0;
const unique = (prefix: string) => `${prefix} ${Date.now().toString(36)}${n++}`;
const busEvents: BusEvent[] = [];

const create = (resource: string, body: unknown, headers: Record<string, string> = {}) =>
  api('POST', `/custom_fields/${resource}`, { token: as('admin'), body, headers });

describe('custom field definitions', () => {
  it('lets an admin create a field of every type, and every role read them', async () => {
    const bodies = [
      { type: 'string' },
      { type: 'text' },
      { type: 'bool' },
      { type: 'list', choices: ['Gold', 'Silver'] },
      { type: 'multi_select_list', choices: ['Red', 'Green'] },
      { type: 'date' },
      { type: 'datetime' },
      { type: 'number' },
      { type: 'email' },
      { type: 'phone' },
      { type: 'address' },
      { type: 'url' },
    ];
    const ids: string[] = [];
    for (const body of bodies) {
      const res = await create('deals', { name: unique(body.type), ...body });
      expect(res.status, body.type).toBe(201);
      expect(res.body).toMatchObject({
        resource_type: 'deal',
        type: body.type,
        choices: body.choices ?? null,
        filterable: body.type !== 'address',
        value_count: 0,
        version: 1,
      });
      expect(res.headers.get('location')).toBe(`/custom_fields/deals/${res.body.id}`);
      expect(res.headers.get('etag')).toBe('"1"');
      ids.push(res.body.id);
    }
    for (const who of ['admin', 'manager', 'rep1']) {
      const listed: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await api('GET', `/custom_fields/deals?limit=100${cursor ? `&cursor=${cursor}` : ''}`, {
          token: as(who),
        });
        expect(page.status).toBe(200);
        listed.push(...page.body.items.map((d: { id: string }) => d.id));
        cursor = page.body.next_cursor;
      } while (cursor);
      expect(listed, who).toEqual(expect.arrayContaining(ids));
      const one = await api('GET', `/custom_fields/deals/${ids[3]}`, { token: as(who) });
      expect(one.body).toMatchObject({ id: ids[3], type: 'list', choices: ['Gold', 'Silver'] });
    }
    // A deal's field is not a lead's.
    expect((await api('GET', `/custom_fields/leads/${ids[0]}`, { token: as('admin') })).status).toBe(404);
  });

  it('refuses writes from managers and reps with 403', async () => {
    const field = await create('deals', { name: unique('Guarded'), type: 'string' });
    expect(
      (await api('POST', '/custom_fields/deals', { token: as('manager'), body: { name: unique('X'), type: 'string' } })).status,
    ).toBe(403);
    expect((await api('PATCH', `/custom_fields/deals/${field.body.id}`, { token: as('rep1'), body: { name: 'Y' } })).status).toBe(
      403,
    );
    expect((await api('DELETE', `/custom_fields/deals/${field.body.id}`, { token: as('rep1') })).status).toBe(403);
  });

  it('names the bad field: 501 choices, missing choices, an unknown resource type', async () => {
    const tooMany = await create('deals', {
      name: unique('Big'),
      type: 'list',
      choices: Array.from({ length: 501 }, (_, i) => `Choice ${i}`),
    });
    expect(tooMany.status).toBe(422);
    expect(tooMany.headers.get('content-type')).toBe('application/problem+json');
    expect(tooMany.body.errors).toEqual([{ field: 'body.choices', message: 'at most 500 choices' }]);
    const enough = await create('deals', {
      name: unique('Big'),
      type: 'list',
      choices: Array.from({ length: 500 }, (_, i) => `C${i}`),
    });
    expect(enough.status).toBe(201);
    const none = await create('deals', { name: unique('Empty'), type: 'multi_select_list' });
    expect(none.status).toBe(422);
    expect(none.body.errors[0].field).toBe('body.choices');
    const widgets = await create('widgets', { name: unique('W'), type: 'string' });
    expect(widgets.status).toBe(422);
    expect(widgets.body.errors[0].field).toBe('params.resource_type');
  });

  it('keeps names unique per resource type, ignoring case', async () => {
    const name = unique('Budget');
    expect((await create('contacts', { name, type: 'number' })).status).toBe(201);
    const again = await create('contacts', { name: name.toUpperCase(), type: 'string' });
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(/already exists/);
    expect((await create('leads', { name, type: 'number' })).status).toBe(201);
  });

  it('renames with If-Match, and answers a stale version with 412 and the current definition', async () => {
    const field = await create('deals', { name: unique('Versioned'), type: 'string' });
    const renamed = unique('Renamed');
    const ok = await api('PATCH', `/custom_fields/deals/${field.body.id}`, {
      token: as('admin'),
      body: { name: renamed },
      headers: { 'if-match': '"1"' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id: field.body.id, name: renamed, version: 2 });
    const stale = await api('PATCH', `/custom_fields/deals/${field.body.id}`, {
      token: as('admin'),
      body: { name: unique('Late') },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.current).toMatchObject({ name: renamed, version: 2 });
  });

  it('refuses to change the type or remove a choice while records hold values (409), and allows adding choices', async () => {
    const field = await create('deals', { name: unique('Tier'), type: 'list', choices: ['Gold', 'Silver'] });
    // What a deal write does inside its transaction when it sets the field (until deals do it over HTTP here).
    await crmTable().write(customFieldCountOps({ [field.body.id]: 1 }));
    expect((await api('GET', `/custom_fields/deals/${field.body.id}`, { token: as('admin') })).body.value_count).toBe(1);
    const retype = await api('PATCH', `/custom_fields/deals/${field.body.id}`, { token: as('admin'), body: { type: 'string' } });
    expect(retype.status).toBe(409);
    expect(retype.body.detail).toMatch(/holds values in 1 record/);
    const drop = await api('PATCH', `/custom_fields/deals/${field.body.id}`, { token: as('admin'), body: { choices: ['Gold'] } });
    expect(drop.status).toBe(409);
    const add = await api('PATCH', `/custom_fields/deals/${field.body.id}`, {
      token: as('admin'),
      body: { choices: ['Gold', 'Silver', 'Bronze'] },
    });
    expect(add.status).toBe(200);
    expect(add.body.choices).toEqual(['Gold', 'Silver', 'Bronze']);
    await crmTable().write(customFieldCountOps({ [field.body.id]: -1 }));
    const now = await api('PATCH', `/custom_fields/deals/${field.body.id}`, { token: as('admin'), body: { type: 'string' } });
    expect(now.status).toBe(200);
    expect(now.body).toMatchObject({ type: 'string', choices: null, value_count: 0 });
  });

  it('deletes a field: 204, then 404, gone from the list, and its name free again', async () => {
    const name = unique('Doomed');
    const field = await create('leads', { name, type: 'string' });
    const stale = await api('DELETE', `/custom_fields/leads/${field.body.id}`, {
      token: as('admin'),
      headers: { 'if-match': '"2"' },
    });
    expect(stale.status).toBe(412);
    const res = await api('DELETE', `/custom_fields/leads/${field.body.id}`, {
      token: as('admin'),
      headers: { 'if-match': '"1"' },
    });
    expect(res.status).toBe(204);
    expect((await api('GET', `/custom_fields/leads/${field.body.id}`, { token: as('admin') })).status).toBe(404);
    const list = await api('GET', '/custom_fields/leads?limit=100', { token: as('admin') });
    expect(list.body.items.map((d: { id: string }) => d.id)).not.toContain(field.body.id);
    expect((await create('leads', { name, type: 'number' })).status).toBe(201);
    expect((await api('DELETE', `/custom_fields/leads/${field.body.id}`, { token: as('admin') })).status).toBe(404);
  });

  it('replays a POST with the same Idempotency-Key', async () => {
    const key = `key-${unique('k')}`;
    const body = { name: unique('Once'), type: 'bool' };
    const first = await create('deals', body, { 'idempotency-key': key });
    const second = await create('deals', body, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
  });

  it('publishes custom_field.created, .updated and .deleted on the bus through the outbox', async () => {
    const field = await create('contacts', { name: unique('Evented'), type: 'string' });
    await api('PATCH', `/custom_fields/contacts/${field.body.id}`, { token: as('admin'), body: { filterable: false } });
    await api('DELETE', `/custom_fields/contacts/${field.body.id}`, { token: as('admin') });
    const types = () =>
      busEvents
        .filter((e) => (e.detail as { metadata: { resource_id: string } }).metadata.resource_id === field.body.id)
        .map((e) => e['detail-type'])
        .sort();
    const deadline = Date.now() + 3_000;
    while (types().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(types()).toEqual(['custom_field.created', 'custom_field.deleted', 'custom_field.updated']);
    const created = busEvents.find(
      (e) => e['detail-type'] === 'custom_field.created' && (e.detail as any).data.id === field.body.id,
    );
    expect((created?.detail as any).metadata).toMatchObject({ actor_id: users.admin!.user_id, resource_type: 'custom_field' });
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = await api('GET', '/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/custom_fields/{resource_type}', '/custom_fields/{resource_type}/{id}']),
    );
  });
});
