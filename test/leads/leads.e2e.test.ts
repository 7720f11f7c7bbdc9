import { beforeAll, describe, expect, it } from 'vitest';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { useTestCloud } from '#test/helpers/local-cloud.ts';

// Leads over HTTP against the local cloud (DynamoDB Local, outbox, bus), as the seeded users.

const { api, users, as } = useTestCloud({
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

beforeAll(async () => {
  reasonId = (await api('GET', '/lead_unqualified_reasons', { token: as('rep1') })).body.items[0].id;
  sourceId = (await api('GET', '/sources', { token: as('rep1') })).body.items[0].id;
});

const newLead = async (who: string, body: Record<string, unknown> = {}) => {
  const res = await api('POST', '/leads', {
    token: as(who),
    body: { last_name: `Lead ${Math.random().toString(36).slice(2)}`, ...body },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
};

async function eventsFor(id: string, type: string, count = 1): Promise<BusEvent[]> {
  const deadline = Date.now() + 3_000;
  const found = () =>
    busEvents.filter(
      (e) => e['detail-type'] === type && (e.detail as { metadata: { resource_id: string } }).metadata.resource_id === id,
    );
  while (found().length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return found();
}

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
    const nameless = await api('POST', '/leads', { token: as('rep1'), body: { first_name: 'Jane' } });
    expect(nameless.status).toBe(422);
    expect(nameless.body.errors).toEqual([{ field: 'body.last_name', message: expect.stringContaining('organization name') }]);
    expect((await api('POST', '/leads', { token: as('rep1'), body: { organization_name: 'Acme' } })).status).toBe(201);
    const converted = await api('POST', '/leads', { token: as('rep1'), body: { last_name: 'X', status: 'converted' } });
    expect(converted.status).toBe(422);
    expect(converted.body.errors[0].field).toBe('body.status');
  });

  it('needs an existing unqualified reason to unqualify, and publishes lead.status_changed', async () => {
    const lead = await newLead('rep1');
    const none = await api('PATCH', `/leads/${lead.id}`, { token: as('rep1'), body: { status: 'unqualified' } });
    expect(none.body.errors).toEqual([{ field: 'body.unqualified_reason_id', message: expect.any(String) }]);
    const unknown = await api('PATCH', `/leads/${lead.id}`, {
      token: as('rep1'),
      body: { status: 'unqualified', unqualified_reason_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0].field).toBe('body.unqualified_reason_id');
    const ok = await api('PATCH', `/leads/${lead.id}`, {
      token: as('rep1'),
      body: { status: 'unqualified', unqualified_reason_id: reasonId },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'unqualified', unqualified_reason_id: reasonId, version: 2 });
    const [changed] = await eventsFor(lead.id, 'lead.status_changed');
    expect((changed!.detail as { previous: unknown }).previous).toMatchObject({ status: 'new' });
    const back = await api('PATCH', `/leads/${lead.id}`, { token: as('rep1'), body: { status: 'working' } });
    expect(back.body).toMatchObject({ status: 'working', unqualified_reason_id: null });
  });

  it("answers 404 for another rep's lead, and lets a manager see and reassign a report's lead", async () => {
    const theirs = await newLead('rep2');
    expect((await api('GET', `/leads/${theirs.id}`, { token: as('rep1') })).status).toBe(404);
    expect((await api('PATCH', `/leads/${theirs.id}`, { token: as('rep1'), body: { title: 'CEO' } })).status).toBe(404);
    expect((await api('DELETE', `/leads/${theirs.id}`, { token: as('rep1') })).status).toBe(404);
    expect((await api('GET', `/leads/${theirs.id}`, { token: as('manager') })).status).toBe(200);
    const solo = await newLead('solo');
    expect((await api('GET', `/leads/${solo.id}`, { token: as('manager') })).status).toBe(404);
    const rep1List = await api('GET', '/leads?limit=100', { token: as('rep1') });
    expect(rep1List.body.items.map((l: { id: string }) => l.id)).not.toContain(theirs.id);

    const toPeer = await api('PATCH', `/leads/${theirs.id}`, { token: as('rep2'), body: { owner_id: users.rep1!.user_id } });
    expect(toPeer.status).toBe(403);
    const reassigned = await api('PATCH', `/leads/${theirs.id}`, {
      token: as('manager'),
      body: { owner_id: users.rep1!.user_id },
    });
    expect(reassigned.status).toBe(200);
    expect(await eventsFor(theirs.id, 'lead.owner_changed')).toHaveLength(1);
    expect((await api('GET', `/leads/${theirs.id}`, { token: as('rep1') })).status).toBe(200);
  });

  it('validates custom fields by name, naming each bad one, and filters on them', async () => {
    const field = await api('POST', '/custom_fields/leads', {
      token: as('admin'),
      body: { name: `Interest ${Date.now()}`, type: 'list', choices: ['Hot', 'Cold'] },
    });
    expect(field.status).toBe(201);
    const bad = await api('POST', '/leads', {
      token: as('rep1'),
      body: { last_name: 'CF', custom_fields: { [field.body.name]: 'Lukewarm', Nope: 1 } },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(
      [`body.custom_fields.${field.body.name}`, 'body.custom_fields.Nope'].sort(),
    );
    const lead = await newLead('rep1', { custom_fields: { [field.body.name]: 'hot' } });
    expect(lead.custom_fields).toEqual({ [field.body.name]: 'Hot' });
    const filtered = await api('GET', `/leads?${encodeURIComponent(`custom_fields[${field.body.name}]`)}=Hot`, {
      token: as('rep1'),
    });
    expect(filtered.body.items.map((l: { id: string }) => l.id)).toEqual([lead.id]);
  });

  it('filters by status, city and tags, sorts by name and pages with a cursor', async () => {
    const tag = `t${Date.now()}`;
    for (const [last_name, city] of [
      ['delta', 'Lyon'],
      ['Alpha', 'Zürich'],
      ['charlie', 'zurich'],
      ['Bravo', 'Paris'],
    ]) {
      await newLead('rep2', { last_name, tags: [tag], address: { city }, status: last_name === 'Bravo' ? 'working' : 'new' });
    }
    const zurich = await api('GET', `/leads?tags=${tag}&city=ZURICH&sort_by=last_name&sort_order=asc`, { token: as('rep2') });
    expect(zurich.body.items.map((l: { last_name: string }) => l.last_name)).toEqual(['Alpha', 'charlie']);
    const working = await api('GET', `/leads?tags=${tag}&status=working`, { token: as('manager') });
    expect(working.body.items.map((l: { last_name: string }) => l.last_name)).toEqual(['Bravo']);
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await api(
        'GET',
        `/leads?tags=${tag}&sort_by=last_name&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { token: as('rep2') },
      );
      expect(page.status).toBe(200);
      names.push(...page.body.items.map((l: { last_name: string }) => l.last_name));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(names).toEqual(['delta', 'charlie', 'Bravo', 'Alpha']);
    const typo = await api('GET', '/leads?stauts=new', { token: as('rep2') });
    expect(typo.status).toBe(422);
    expect(typo.body.errors[0].field).toBe('query.stauts');
  });

  it('answers 412 to a stale If-Match, and deletes with lead.deleted', async () => {
    const lead = await newLead('rep1');
    await api('PATCH', `/leads/${lead.id}`, { token: as('rep1'), body: { title: 'CTO' } });
    const stale = await api('PATCH', `/leads/${lead.id}`, {
      token: as('rep1'),
      body: { title: 'CEO' },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.current).toMatchObject({ title: 'CTO', version: 2 });
    expect((await api('DELETE', `/leads/${lead.id}`, { token: as('rep1') })).status).toBe(204);
    expect((await api('GET', `/leads/${lead.id}`, { token: as('rep1') })).status).toBe(404);
    expect(await eventsFor(lead.id, 'lead.deleted')).toHaveLength(1);
  });
});
