import { beforeAll, describe, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { createCustomFieldRoute } from '#shared/custom-fields/routes.ts';
import type { createLeadInput, updateLeadInput } from '#shared/leads/domain.ts';
import { createLeadRoute, deleteLeadRoute, getLeadRoute, listLeadsRoute, updateLeadRoute } from '#shared/leads/routes.ts';
import { namedListRouteSets } from '#shared/pipelines/routes.ts';
import type { ResponseBody } from '#shared/platform/http/client.ts';
import { bodyOf, expectStatus, useTestCloud } from '#test/helpers/local-cloud.ts';

// Leads over HTTP against the local cloud (DynamoDB Local, outbox, bus), as the seeded users.

const { api, call, users, as } = useTestCloud({
  extraRules: [
    {
      name: 'test-leads',
      pattern: { source: ['crm'], 'detail-type': [{ prefix: 'lead.' }] },
      target: async (e) => void busEvents.push(e),
    },
  ],
});
const busEvents: BusEvent[] = [];
let reasonId: string;
let sourceId: string;

const namedList = (kind: string) => namedListRouteSets.find((set) => set.kind === kind)!.list;

beforeAll(async () => {
  reasonId = bodyOf(await call(namedList('lead_unqualified_reason'), { as: 'rep1' })).items[0]!.id;
  sourceId = bodyOf(await call(namedList('source'), { as: 'rep1' })).items[0]!.id;
});

const newLead = async (who: string, body: z.input<typeof createLeadInput> = {}) =>
  bodyOf(
    await call(createLeadRoute, { as: who, body: { last_name: `Lead ${Math.random().toString(36).slice(2)}`, ...body } }),
    201,
  );

const patchLead = (who: string, id: string, body: z.input<typeof updateLeadInput>, headers?: Record<string, string>) =>
  call(updateLeadRoute, { as: who, params: { id }, body, ...(headers ? { headers } : {}) });

async function eventsFor(id: string, type: string, count = 1): Promise<BusEvent[]> {
  const deadline = Date.now() + 3_000;
  const found = () =>
    busEvents.filter(
      (e) => e['detail-type'] === type && (e.detail as { metadata: { resource_id: string } }).metadata.resource_id === id,
    );
  while (found().length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return found();
}

const lastNames = (page: { items: { last_name: string | null }[] }) => page.items.map((l) => l.last_name);

describe('leads', () => {
  it('creates a new lead owned by the caller, with its details, and publishes lead.created', async () => {
    const lead = await newLead('rep1', {
      first_name: 'Zoë',
      last_name: 'Müller',
      organization_name: 'Acme GmbH',
      email: 'zoe@acme.example',
      source_id: sourceId,
      address: { city: 'Zürich', country: 'CH' },
      tags: ['fair', 'fair'],
    });
    expect(lead).toMatchObject({
      status: 'new',
      owner_id: users.rep1!.user_id,
      source_id: sourceId,
      address: { line1: null, city: 'Zürich', postal_code: null, state: null, country: 'CH' },
      tags: ['fair'],
      converted_at: null,
      converted_contact_id: null,
      converted_organization_id: null,
      converted_deal_id: null,
      version: 1,
    });
    expect(await eventsFor(lead.id, 'lead.created')).toHaveLength(1);
  });

  it('needs a last name or an organization name, and never accepts converted as a status', async () => {
    const nameless = await call(createLeadRoute, { as: 'rep1', body: { first_name: 'Jane' } });
    expectStatus(nameless, 422);
    expect(nameless.body.errors).toEqual([
      { field: 'body.last_name', message: expect.stringContaining('organization name'), code: 'invalid' },
    ]);
    expect((await call(createLeadRoute, { as: 'rep1', body: { organization_name: 'Acme' } })).status).toBe(201);
    // `converted` is not a status the contract takes: the raw client.
    const converted = await api('POST', '/leads', { token: as('rep1'), body: { last_name: 'X', status: 'converted' } });
    expect(converted.status).toBe(422);
    expect(converted.body.errors[0].field).toBe('body.status');
  });

  it('needs an existing unqualified reason to unqualify, and publishes lead.status_changed', async () => {
    const lead = await newLead('rep1');
    const none = await patchLead('rep1', lead.id, { status: 'unqualified' });
    expectStatus(none, 422);
    expect(none.body.errors).toEqual([{ field: 'body.unqualified_reason_id', message: expect.any(String), code: 'invalid' }]);
    const unknown = await patchLead('rep1', lead.id, {
      status: 'unqualified',
      unqualified_reason_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
    });
    expectStatus(unknown, 422);
    expect(unknown.body.errors?.[0]?.field).toBe('body.unqualified_reason_id');
    const ok = await patchLead('rep1', lead.id, { status: 'unqualified', unqualified_reason_id: reasonId });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'unqualified', unqualified_reason_id: reasonId, version: 2 });
    const [changed] = await eventsFor(lead.id, 'lead.status_changed');
    expect((changed!.detail as { previous: unknown }).previous).toMatchObject({ status: 'new' });
    const back = await patchLead('rep1', lead.id, { status: 'working' });
    expect(back.body).toMatchObject({ status: 'working', unqualified_reason_id: null });
  });

  it("answers 404 for another rep's lead, and lets a manager see and reassign a report's lead", async () => {
    const theirs = await newLead('rep2');
    expect((await call(getLeadRoute, { as: 'rep1', params: { id: theirs.id } })).status).toBe(404);
    expect((await patchLead('rep1', theirs.id, { title: 'CEO' })).status).toBe(404);
    expect((await call(deleteLeadRoute, { as: 'rep1', params: { id: theirs.id } })).status).toBe(404);
    expect((await call(getLeadRoute, { as: 'manager', params: { id: theirs.id } })).status).toBe(200);
    const solo = await newLead('solo');
    expect((await call(getLeadRoute, { as: 'manager', params: { id: solo.id } })).status).toBe(404);
    const rep1List = bodyOf(await call(listLeadsRoute, { as: 'rep1', query: { limit: 100 } }));
    expect(rep1List.items.map((l) => l.id)).not.toContain(theirs.id);

    const toPeer = await patchLead('rep2', theirs.id, { owner_id: users.rep1!.user_id });
    expect(toPeer.status).toBe(403);
    const reassigned = await patchLead('manager', theirs.id, { owner_id: users.rep1!.user_id });
    expect(reassigned.status).toBe(200);
    expect(await eventsFor(theirs.id, 'lead.owner_changed')).toHaveLength(1);
    expect((await call(getLeadRoute, { as: 'rep1', params: { id: theirs.id } })).status).toBe(200);
  });

  it('validates custom fields by name, naming each bad one, and filters on them', async () => {
    const field = await call(createCustomFieldRoute, {
      as: 'admin',
      params: { resource_type: 'leads' },
      body: { name: `Interest ${Date.now()}`, type: 'list', choices: ['Hot', 'Cold'] },
    });
    expectStatus(field, 201);
    const bad = await call(createLeadRoute, {
      as: 'rep1',
      body: { last_name: 'CF', custom_fields: { [field.body.name]: 'Lukewarm', Nope: 1 } },
    });
    expectStatus(bad, 422);
    expect(bad.body.errors?.map((e) => e.field).sort()).toEqual(
      [`body.custom_fields.${field.body.name}`, 'body.custom_fields.Nope'].sort(),
    );
    const lead = await newLead('rep1', { custom_fields: { [field.body.name]: 'hot' } });
    expect(lead.custom_fields).toEqual({ [field.body.name]: 'Hot' });
    const filtered = bodyOf(await call(listLeadsRoute, { as: 'rep1', query: { custom_fields: { [field.body.name]: 'Hot' } } }));
    expect(filtered.items.map((l) => l.id)).toEqual([lead.id]);
  });

  it('filters by status, city and tags, sorts by name and pages with a cursor', async () => {
    const tag = `t${Date.now()}`;
    for (const [last_name, city] of [
      ['delta', 'Lyon'],
      ['Alpha', 'Zürich'],
      ['charlie', 'zurich'],
      ['Bravo', 'Paris'],
    ] as const) {
      await newLead('rep2', { last_name, tags: [tag], address: { city }, status: last_name === 'Bravo' ? 'working' : 'new' });
    }
    const zurich = bodyOf(
      await call(listLeadsRoute, {
        as: 'rep2',
        query: { tags: tag, city: 'ZURICH', sort_by: 'last_name', sort_order: 'asc' },
      }),
    );
    expect(lastNames(zurich)).toEqual(['Alpha', 'charlie']);
    const working = bodyOf(await call(listLeadsRoute, { as: 'manager', query: { tags: tag, status: 'working' } }));
    expect(lastNames(working)).toEqual(['Bravo']);
    const names: (string | null)[] = [];
    let cursor: string | null = null;
    do {
      const page: ResponseBody<typeof listLeadsRoute> = bodyOf(
        await call(listLeadsRoute, {
          as: 'rep2',
          query: { tags: tag, sort_by: 'last_name', limit: 3, cursor: cursor ?? undefined },
        }),
        200,
      );
      names.push(...lastNames(page));
      cursor = page.next_cursor;
    } while (cursor);
    expect(names).toEqual(['delta', 'charlie', 'Bravo', 'Alpha']);
    const typo = await call(listLeadsRoute, { as: 'rep2', query: { stauts: 'new' } });
    expectStatus(typo, 422);
    expect(typo.body.errors?.[0]?.field).toBe('query.stauts');
  });

  it('answers 412 to a stale If-Match, and deletes with lead.deleted', async () => {
    const lead = await newLead('rep1');
    await patchLead('rep1', lead.id, { title: 'CTO' });
    const stale = await patchLead('rep1', lead.id, { title: 'CEO' }, { 'if-match': '"1"' });
    expectStatus(stale, 412);
    expect(stale.body.current).toMatchObject({ title: 'CTO', version: 2 });
    expect((await call(deleteLeadRoute, { as: 'rep1', params: { id: lead.id } })).status).toBe(204);
    expect((await call(getLeadRoute, { as: 'rep1', params: { id: lead.id } })).status).toBe(404);
    expect(await eventsFor(lead.id, 'lead.deleted')).toHaveLength(1);
  });
});
