import { describe, expect, it } from 'vitest';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import type * as z from 'zod/mini';
import { createContactRoute, getContactRoute, listContactsRoute } from '#shared/contacts/routes.ts';
import type { createCustomFieldInput } from '#shared/custom-fields/domain.ts';
import { createDealRoute, getDealRoute, listDealsRoute } from '#shared/deals/routes.ts';
import { createLeadRoute, getLeadRoute, listLeadsRoute } from '#shared/leads/routes.ts';
import { customFieldCountOps } from '#shared/custom-fields/dynamodb.ts';
import {
  createCustomFieldRoute,
  deleteCustomFieldRoute,
  getCustomFieldRoute,
  listCustomFieldsRoute,
  updateCustomFieldRoute,
} from '#shared/custom-fields/routes.ts';
import type { ResponseBody, RouteInput } from '#shared/platform/http/client.ts';
import { openApiRoute } from '#shared/platform/http/platform-routes.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { bodyOf, expectStatus, useTestCloud } from '#test/helpers/local-cloud.ts';

// Custom field definitions over HTTP (F6.1), as clients call them: /custom_fields/{leads|contacts|deals}.

const { api, call, users, as } = useTestCloud({
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

type Resource = 'leads' | 'contacts' | 'deals';
const create = (resource_type: Resource, body: z.input<typeof createCustomFieldInput>, headers: Record<string, string> = {}) =>
  call(createCustomFieldRoute, { as: 'admin', params: { resource_type }, body, headers });
const field = (resource_type: Resource, id: string) => ({ resource_type, id });
/** The body of an answer with `status`, untyped (the body is the message when the status differs). */
function answered(status: number, answer: { status: number; body: unknown }): any {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  return answer.body;
}

describe('custom field definitions', () => {
  it('lets an admin create a field of every type, and every role read them', async () => {
    const bodies: Omit<z.input<typeof createCustomFieldInput>, 'name'>[] = [
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
      expectStatus(res, 201);
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
        const page: ResponseBody<typeof listCustomFieldsRoute> = bodyOf(
          await call(listCustomFieldsRoute, {
            as: who,
            params: { resource_type: 'deals' },
            query: { limit: 100, cursor: cursor ?? undefined },
          }),
          200,
        );
        listed.push(...page.items.map((d) => d.id));
        cursor = page.next_cursor;
      } while (cursor);
      expect(listed, who).toEqual(expect.arrayContaining(ids));
      const one = await call(getCustomFieldRoute, { as: who, params: field('deals', ids[3]!) });
      expect(one.body).toMatchObject({ id: ids[3], type: 'list', choices: ['Gold', 'Silver'] });
    }
    // A deal's field is not a lead's.
    expect((await call(getCustomFieldRoute, { as: 'admin', params: field('leads', ids[0]!) })).status).toBe(404);
  });

  it('refuses writes from managers and reps with 403', async () => {
    const guarded = field('deals', bodyOf(await create('deals', { name: unique('Guarded'), type: 'string' })).id);
    const byManager = await call(createCustomFieldRoute, {
      as: 'manager',
      params: { resource_type: 'deals' },
      body: { name: unique('X'), type: 'string' },
    });
    expect(byManager.status).toBe(403);
    expect((await call(updateCustomFieldRoute, { as: 'rep1', params: guarded, body: { name: 'Y' } })).status).toBe(403);
    expect((await call(deleteCustomFieldRoute, { as: 'rep1', params: guarded })).status).toBe(403);
  });

  it('names the bad field: 501 choices, missing choices, an unknown resource type', async () => {
    const tooMany = await create('deals', {
      name: unique('Big'),
      type: 'list',
      choices: Array.from({ length: 501 }, (_, i) => `Choice ${i}`),
    });
    expectStatus(tooMany, 422);
    expect(tooMany.headers.get('content-type')).toBe('application/problem+json');
    expect(tooMany.body.errors).toEqual([{ field: 'body.choices', message: 'at most 500 choices', code: 'invalid' }]);
    const enough = await create('deals', {
      name: unique('Big'),
      type: 'list',
      choices: Array.from({ length: 500 }, (_, i) => `C${i}`),
    });
    expect(enough.status).toBe(201);
    const none = await create('deals', { name: unique('Empty'), type: 'multi_select_list' });
    expectStatus(none, 422);
    expect(none.body.errors?.[0]?.field).toBe('body.choices');
    // A resource type the contract does not know: the raw client.
    const widgets = await api('POST', '/custom_fields/widgets', {
      token: as('admin'),
      body: { name: unique('W'), type: 'string' },
    });
    expect(widgets.status).toBe(422);
    expect(widgets.body.errors[0].field).toBe('params.resource_type');
  });

  it('keeps names unique per resource type, ignoring case', async () => {
    const name = unique('Budget');
    expect((await create('contacts', { name, type: 'number' })).status).toBe(201);
    const again = await create('contacts', { name: name.toUpperCase(), type: 'string' });
    expectStatus(again, 409);
    expect(again.body.detail).toMatch(/already exists/);
    expect((await create('leads', { name, type: 'number' })).status).toBe(201);
  });

  it('renames with If-Match, and answers a stale version with 412 and the current definition', async () => {
    const versioned = bodyOf(await create('deals', { name: unique('Versioned'), type: 'string' }));
    const params = field('deals', versioned.id);
    const renamed = unique('Renamed');
    const ok = await call(updateCustomFieldRoute, {
      as: 'admin',
      params,
      body: { name: renamed },
      headers: { 'if-match': '"1"' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id: versioned.id, name: renamed, version: 2 });
    const stale = await call(updateCustomFieldRoute, {
      as: 'admin',
      params,
      body: { name: unique('Late') },
      headers: { 'if-match': '"1"' },
    });
    expectStatus(stale, 412);
    expect(stale.body.current).toMatchObject({ name: renamed, version: 2 });
  });

  it('refuses to change the type or remove a choice while records hold values (409), and allows adding choices', async () => {
    const tier = bodyOf(await create('deals', { name: unique('Tier'), type: 'list', choices: ['Gold', 'Silver'] }));
    const params = field('deals', tier.id);
    const patch = (body: NonNullable<RouteInput<typeof updateCustomFieldRoute>['body']>) =>
      call(updateCustomFieldRoute, { as: 'admin', params, body });
    // What a deal write does inside its transaction when it sets the field (until deals do it over HTTP here).
    await crmTable().write(customFieldCountOps({ [tier.id]: 1 }));
    expect(bodyOf(await call(getCustomFieldRoute, { as: 'admin', params })).value_count).toBe(1);
    const retype = await patch({ type: 'string' });
    expectStatus(retype, 409);
    expect(retype.body.detail).toMatch(/holds values in 1 record/);
    const drop = await patch({ choices: ['Gold'] });
    expect(drop.status).toBe(409);
    const add = await patch({ choices: ['Gold', 'Silver', 'Bronze'] });
    expectStatus(add, 200);
    expect(add.body.choices).toEqual(['Gold', 'Silver', 'Bronze']);
    await crmTable().write(customFieldCountOps({ [tier.id]: -1 }));
    const now = await patch({ type: 'string' });
    expect(now.status).toBe(200);
    expect(now.body).toMatchObject({ type: 'string', choices: null, value_count: 0 });
  });

  it('deletes a field: 204, then 404, gone from the list, and its name free again', async () => {
    const name = unique('Doomed');
    const doomed = bodyOf(await create('leads', { name, type: 'string' }));
    const params = field('leads', doomed.id);
    const stale = await call(deleteCustomFieldRoute, { as: 'admin', params, headers: { 'if-match': '"2"' } });
    expect(stale.status).toBe(412);
    const res = await call(deleteCustomFieldRoute, { as: 'admin', params, headers: { 'if-match': '"1"' } });
    expect(res.status).toBe(204);
    expect((await call(getCustomFieldRoute, { as: 'admin', params })).status).toBe(404);
    const list = bodyOf(
      await call(listCustomFieldsRoute, { as: 'admin', params: { resource_type: 'leads' }, query: { limit: 100 } }),
    );
    expect(list.items.map((d) => d.id)).not.toContain(doomed.id);
    expect((await create('leads', { name, type: 'number' })).status).toBe(201);
    expect((await call(deleteCustomFieldRoute, { as: 'admin', params })).status).toBe(404);
  });

  it.each([
    {
      resource: 'deals' as const,
      create: async (custom_fields: Record<string, string>) =>
        answered(201, await call(createDealRoute, { as: 'rep1', body: { name: unique('Deal'), custom_fields } })),
      read: async (id: string) => answered(200, await call(getDealRoute, { as: 'rep1', params: { id } })),
      list: async () => answered(200, await call(listDealsRoute, { as: 'rep1', query: { limit: 100 } })),
    },
    {
      resource: 'leads' as const,
      create: async (custom_fields: Record<string, string>) =>
        answered(201, await call(createLeadRoute, { as: 'rep1', body: { last_name: unique('Lead'), custom_fields } })),
      read: async (id: string) => answered(200, await call(getLeadRoute, { as: 'rep1', params: { id } })),
      list: async () => answered(200, await call(listLeadsRoute, { as: 'rep1', query: { limit: 100 } })),
    },
    {
      resource: 'contacts' as const,
      create: async (custom_fields: Record<string, string>) =>
        answered(
          201,
          await call(createContactRoute, { as: 'rep1', body: { is_organization: true, name: unique('Org'), custom_fields } }),
        ),
      read: async (id: string) => answered(200, await call(getContactRoute, { as: 'rep1', params: { id } })),
      list: async () => answered(200, await call(listContactsRoute, { as: 'rep1', query: { limit: 100 } })),
    },
  ])(
    "shows a rename or delete made through the custom fields function at once in the $resource function's reads",
    async ({ resource, create: createRecord, read, list }) => {
      const made = bodyOf(await create(resource, { name: unique('Region'), type: 'string' }), 201);
      const record = await createRecord({ [made.name]: 'North' });
      const fieldsOfRead = async () => (await read(record.id)).custom_fields;
      const fieldsOfList = async () => (await list()).items.find((r: { id: string }) => r.id === record.id).custom_fields;
      // The record's function has the definitions cached now.
      expect(await fieldsOfRead()).toEqual({ [made.name]: 'North' });
      const renamed = unique('Area');
      bodyOf(await call(updateCustomFieldRoute, { as: 'admin', params: field(resource, made.id), body: { name: renamed } }), 200);
      expect(await fieldsOfRead()).toEqual({ [renamed]: 'North' });
      expect(await fieldsOfList()).toEqual({ [renamed]: 'North' });
      expectStatus(await call(deleteCustomFieldRoute, { as: 'admin', params: field(resource, made.id) }), 204);
      expect(await fieldsOfRead()).toEqual({});
      expect(await fieldsOfList()).toEqual({});
    },
  );

  it('replays a POST with the same Idempotency-Key', async () => {
    const key = `key-${unique('k')}`;
    const body = { name: unique('Once'), type: 'bool' } as const;
    const first = await create('deals', body, { 'idempotency-key': key });
    const second = await create('deals', body, { 'idempotency-key': key });
    expectStatus(first, 201);
    expectStatus(second, 201);
    expect(second.body.id).toBe(first.body.id);
  });

  it('publishes custom_field.created, .updated and .deleted on the bus through the outbox', async () => {
    const evented = bodyOf(await create('contacts', { name: unique('Evented'), type: 'string' }));
    const params = field('contacts', evented.id);
    await call(updateCustomFieldRoute, { as: 'admin', params, body: { filterable: false } });
    await call(deleteCustomFieldRoute, { as: 'admin', params });
    const types = () =>
      busEvents
        .filter((e) => (e.detail as { metadata: { resource_id: string } }).metadata.resource_id === evented.id)
        .map((e) => e['detail-type'])
        .sort();
    const deadline = Date.now() + 3_000;
    while (types().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(types()).toEqual(['custom_field.created', 'custom_field.deleted', 'custom_field.updated']);
    const created = busEvents.find(
      (e) => e['detail-type'] === 'custom_field.created' && (e.detail as any).data.id === evented.id,
    );
    expect((created?.detail as any).metadata).toMatchObject({ actor_id: users.admin!.user_id, resource_type: 'custom_field' });
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = bodyOf(await call(openApiRoute, {}));
    expect(Object.keys(doc.paths as object)).toEqual(
      expect.arrayContaining(['/custom_fields/{resource_type}', '/custom_fields/{resource_type}/{id}']),
    );
  });
});
