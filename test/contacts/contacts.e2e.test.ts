import { beforeAll, describe, expect, it } from 'vitest';
import { useTestCloud } from '#test/helpers/local-cloud.ts';

// Contacts over HTTP against the local cloud: people and organisations, their deals, and
// statuses that follow the deals through the bus (the contact-status consumer).

const { api, as } = useTestCloud();
let stages: Record<string, string>;
let lossReasonId: string;

beforeAll(async () => {
  const pipelineId = (await api('GET', '/pipelines', { token: as('rep1') })).body.items[0].id;
  const stageList = await api('GET', `/stages?pipeline_id=${pipelineId}`, { token: as('rep1') });
  stages = Object.fromEntries(stageList.body.items.map((s: { name: string; id: string }) => [s.name, s.id]));
  lossReasonId = (await api('GET', '/loss_reasons', { token: as('rep1') })).body.items[0].id;
});

const post = async (who: string, path: string, body: Record<string, unknown>) => {
  const res = await api('POST', path, { token: as(who), body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
};
const person = (who: string, body: Record<string, unknown> = {}) =>
  post(who, '/contacts', { last_name: `Person ${Math.random().toString(36).slice(2)}`, ...body });
const organisation = (who: string, body: Record<string, unknown> = {}) =>
  post(who, '/contacts', { is_organization: true, name: `Org ${Math.random().toString(36).slice(2)}`, ...body });

/** Polls a contact until `check` holds (the bus consumer runs after the deal write). */
async function contactWhen(id: string, check: (c: any) => boolean): Promise<any> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const res = await api('GET', `/contacts/${id}`, { token: as('admin') });
    if (check(res.body) || Date.now() > deadline) return res.body;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('contacts', () => {
  it('creates organisations and people in them, and lists the people of an organisation', async () => {
    const org = await organisation('rep1', { website: 'acme.example', billing_address: { country: 'FR' } });
    expect(org).toMatchObject({ is_organization: true, first_name: null, contact_id: null, prospect_status: 'none' });
    const jane = await person('rep1', { first_name: 'Jane', last_name: 'Doe', contact_id: org.id, title: 'CTO' });
    expect(jane).toMatchObject({ is_organization: false, name: 'Jane Doe', contact_id: org.id, customer_status: 'none' });
    const joe = await person('rep2', { contact_id: org.id });
    const all = await api('GET', `/contacts?contact_id=${org.id}`, { token: as('manager') });
    expect(all.body.items.map((c: { id: string }) => c.id)).toEqual([joe.id, jane.id]);
    const own = await api('GET', `/contacts?contact_id=${org.id}`, { token: as('rep1') });
    expect(own.body.items.map((c: { id: string }) => c.id)).toEqual([jane.id]);
    const orgs = await api('GET', '/contacts?is_organization=true&limit=100', { token: as('rep1') });
    expect(orgs.body.items.every((c: { is_organization: boolean }) => c.is_organization)).toBe(true);
  });

  it('refuses a person in a person, a changed is_organization and computed statuses, naming the field', async () => {
    const jane = await person('rep1');
    const inPerson = await api('POST', '/contacts', { token: as('rep1'), body: { last_name: 'X', contact_id: jane.id } });
    expect(inPerson.status).toBe(422);
    expect(inPerson.body.errors[0].field).toBe('body.contact_id');
    for (const body of [
      { is_organization: true },
      { prospect_status: 'current' },
      { customer_status: 'current' },
      { name: 'X' },
    ]) {
      const res = await api('PATCH', `/contacts/${jane.id}`, { token: as('rep1'), body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.errors[0].field).toBe(`body.${Object.keys(body)[0]}`);
    }
    const past = await api('PATCH', `/contacts/${jane.id}`, { token: as('rep1'), body: { customer_status: 'past' } });
    expect(past.body).toMatchObject({ customer_status: 'past', version: 2 });
    const noLast = await api('POST', '/contacts', { token: as('rep1'), body: { first_name: 'Only' } });
    expect(noLast.body.errors).toEqual([{ field: 'body.last_name', message: 'a person needs a last name' }]);
  });

  it("answers 404 for another rep's contact and its deals", async () => {
    const theirs = await person('rep2');
    expect((await api('GET', `/contacts/${theirs.id}`, { token: as('rep1') })).status).toBe(404);
    expect((await api('GET', `/contacts/${theirs.id}/deals`, { token: as('rep1') })).status).toBe(404);
    expect((await api('PATCH', `/contacts/${theirs.id}`, { token: as('rep1'), body: { title: 'x' } })).status).toBe(404);
    expect((await api('GET', `/contacts/${theirs.id}`, { token: as('manager') })).status).toBe(200);
    expect((await api('GET', `/contacts/${theirs.id}`, { token: as('solo') })).status).toBe(404);
  });

  it("lists a contact's deals, primary or associated, within the caller's visibility", async () => {
    const c = await person('rep1');
    const primary = await post('rep1', '/deals', { name: 'Primary', contact_id: c.id });
    const associated = await post('rep1', '/deals', { name: 'Associated' });
    await post('rep1', `/deals/${associated.id}/associated_contacts`, { contact_id: c.id });
    const managers = await post('manager', '/deals', { name: "Manager's", contact_id: c.id });
    const rep = await api('GET', `/contacts/${c.id}/deals`, { token: as('rep1') });
    expect(rep.status).toBe(200);
    expect(rep.body.items.map((d: { id: string }) => d.id).sort()).toEqual([primary.id, associated.id].sort());
    const manager = await api('GET', `/contacts/${c.id}/deals?limit=2`, { token: as('manager') });
    expect(manager.body.items).toHaveLength(2);
    const rest = await api('GET', `/contacts/${c.id}/deals?limit=2&cursor=${encodeURIComponent(manager.body.next_cursor)}`, {
      token: as('manager'),
    });
    expect([...manager.body.items, ...rest.body.items].map((d: { id: string }) => d.id).sort()).toEqual(
      [primary.id, associated.id, managers.id].sort(),
    );
  });

  it('follows the deals: an open deal makes a prospect, a won one a customer, all lost a lost prospect', async () => {
    const c = await person('rep1');
    const deal = await post('rep1', '/deals', { name: 'Follow', contact_id: c.id });
    expect(await contactWhen(c.id, (x) => x.prospect_status === 'current')).toMatchObject({
      prospect_status: 'current',
      customer_status: 'none',
    });
    await api('PATCH', `/deals/${deal.id}`, { token: as('rep1'), body: { stage_id: stages.Won } });
    expect(await contactWhen(c.id, (x) => x.customer_status === 'current')).toMatchObject({
      prospect_status: 'none',
      customer_status: 'current',
    });
    await api('PATCH', `/deals/${deal.id}`, { token: as('rep1'), body: { stage_id: stages.Lost, loss_reason_id: lossReasonId } });
    expect(await contactWhen(c.id, (x) => x.prospect_status === 'lost')).toMatchObject({
      prospect_status: 'lost',
      customer_status: 'none',
    });
    const customers = await api('GET', '/contacts?prospect_status=lost&limit=100', { token: as('rep1') });
    expect(customers.body.items.map((x: { id: string }) => x.id)).toContain(c.id);
    await api('DELETE', `/deals/${deal.id}`, { token: as('rep1') });
    expect(await contactWhen(c.id, (x) => x.prospect_status === 'none')).toMatchObject({
      prospect_status: 'none',
      customer_status: 'none',
    });
  });

  it('keeps an organisation while people belong to it', async () => {
    const org = await organisation('rep1');
    const jane = await person('rep1', { contact_id: org.id });
    const refused = await api('DELETE', `/contacts/${org.id}`, { token: as('rep1') });
    expect(refused.status).toBe(409);
    expect((await api('DELETE', `/contacts/${jane.id}`, { token: as('rep1') })).status).toBe(204);
    expect((await api('DELETE', `/contacts/${org.id}`, { token: as('rep1') })).status).toBe(204);
  });

  it('validates custom fields by name and filters on them and on the address', async () => {
    const field = await api('POST', '/custom_fields/contacts', {
      token: as('admin'),
      body: { name: `Since ${Date.now()}`, type: 'date' },
    });
    const bad = await api('POST', '/contacts', {
      token: as('rep1'),
      body: { last_name: 'CF', custom_fields: { [field.body.name]: '2031-02-30' } },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual([`body.custom_fields.${field.body.name}`]);
    const tag = `t${Date.now()}`;
    const c = await person('rep1', {
      tags: [tag],
      address: { city: 'Köln' },
      custom_fields: { [field.body.name]: '2031-02-28' },
    });
    await person('rep1', { tags: [tag], address: { city: 'Bonn' } });
    const byCity = await api('GET', `/contacts?tags=${tag}&city=koln`, { token: as('rep1') });
    expect(byCity.body.items.map((x: { id: string }) => x.id)).toEqual([c.id]);
    const byField = await api(
      'GET',
      `/contacts?tags=${tag}&${encodeURIComponent(`custom_fields[${field.body.name}]`)}=2031-02-28`,
      {
        token: as('rep1'),
      },
    );
    expect(byField.body.items.map((x: { id: string }) => x.id)).toEqual([c.id]);
  });
});
