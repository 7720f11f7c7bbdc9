import { beforeAll, describe, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import type { createContactInput, updateContactInput } from '#shared/contacts/domain.ts';
import {
  createContactRoute,
  deleteContactRoute,
  getContactRoute,
  listContactDealsRoute,
  listContactsRoute,
  updateContactRoute,
} from '#shared/contacts/routes.ts';
import { createCustomFieldRoute } from '#shared/custom-fields/routes.ts';
import type { createDealInput } from '#shared/deals/domain.ts';
import { associateContactRoute, createDealRoute, deleteDealRoute, updateDealRoute } from '#shared/deals/routes.ts';
import { listPipelinesRoute, listStagesRoute, namedListRouteSets } from '#shared/pipelines/routes.ts';
import type { ResponseBody } from '#shared/platform/http/client.ts';
import { bodyOf, expectStatus, useTestCloud } from '#test/helpers/local-cloud.ts';

// Contacts over HTTP against the local cloud: people and organisations, their deals, and
// statuses that follow the deals through the bus (the contact-status consumer).

const { call, id } = useTestCloud();
let stages: Record<string, string>;
let lossReasonId: string;

beforeAll(async () => {
  const pipelineId = bodyOf(await call(listPipelinesRoute, { as: 'rep1' })).items[0]!.id;
  const stageList = bodyOf(await call(listStagesRoute, { as: 'rep1', query: { pipeline_id: pipelineId } }));
  stages = Object.fromEntries(stageList.items.map((s) => [s.name, s.id]));
  const lossReasons = namedListRouteSets.find((set) => set.kind === 'loss_reason')!.list;
  lossReasonId = bodyOf(await call(lossReasons, { as: 'rep1' })).items[0]!.id;
});

type ContactInput = z.input<typeof createContactInput>;
const newContact = async (who: string, body: ContactInput) => bodyOf(await call(createContactRoute, { as: who, body }), 201);
const person = (who: string, body: ContactInput = {}) =>
  newContact(who, { last_name: `Person ${Math.random().toString(36).slice(2)}`, ...body });
const organisation = (who: string, body: ContactInput = {}) =>
  newContact(who, { is_organization: true, name: `Org ${Math.random().toString(36).slice(2)}`, ...body });
const newDeal = async (who: string, body: z.input<typeof createDealInput>) =>
  bodyOf(await call(createDealRoute, { as: who, body }), 201);

const ids = (page: { items: { id: string }[] }) => page.items.map((x) => x.id);

/** Polls a contact until `check` holds (the bus consumer runs after the deal write). */
async function contactWhen(id: string, check: (c: ResponseBody<typeof getContactRoute>) => boolean): Promise<unknown> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const res = await call(getContactRoute, { as: 'admin', params: { id } });
    if ((res.ok && check(res.body)) || Date.now() > deadline) return res.body;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('contacts', () => {
  it('creates organisations and people in them, and lists the people of an organisation', async () => {
    const org = await organisation('rep1', { website: 'acme.example', billing_address: { country: 'FR' } });
    expect(org).toMatchObject({ is_organization: true, first_name: null, contact_id: null, prospect_status: 'none' });
    const jane = await person('rep1', { first_name: 'Jane', last_name: 'Doe', contact_id: org.id, title: 'CTO' });
    expect(jane).toMatchObject({ is_organization: false, name: 'Jane Doe', contact_id: org.id, customer_status: 'none' });
    // rep2 may not name rep1's organisation (issue 10); their manager may, for rep2.
    const joe = await person('manager', { contact_id: org.id, owner_id: id('rep2') });
    const all = bodyOf(await call(listContactsRoute, { as: 'manager', query: { contact_id: org.id } }));
    expect(ids(all)).toEqual([joe.id, jane.id]);
    const own = bodyOf(await call(listContactsRoute, { as: 'rep1', query: { contact_id: org.id } }));
    expect(ids(own)).toEqual([jane.id]);
    const orgs = bodyOf(await call(listContactsRoute, { as: 'rep1', query: { is_organization: 'true', limit: 100 } }));
    expect(orgs.items.every((c) => c.is_organization)).toBe(true);
  });

  it('refuses a person in a person, a changed is_organization and computed statuses, naming the field', async () => {
    const jane = await person('rep1');
    const inPerson = await call(createContactRoute, { as: 'rep1', body: { last_name: 'X', contact_id: jane.id } });
    expectStatus(inPerson, 422);
    expect(inPerson.body.errors?.[0]?.field).toBe('body.contact_id');
    const refused: z.input<typeof updateContactInput>[] = [
      { is_organization: true },
      { prospect_status: 'current' },
      { customer_status: 'current' },
      { name: 'X' },
    ];
    for (const body of refused) {
      const res = await call(updateContactRoute, { as: 'rep1', params: { id: jane.id }, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((res.body as { errors?: { field: string }[] }).errors?.[0]?.field).toBe(`body.${Object.keys(body)[0]}`);
    }
    const past = await call(updateContactRoute, { as: 'rep1', params: { id: jane.id }, body: { customer_status: 'past' } });
    expect(past.body).toMatchObject({ customer_status: 'past', version: 2 });
    const noLast = await call(createContactRoute, { as: 'rep1', body: { first_name: 'Only' } });
    expectStatus(noLast, 422);
    expect(noLast.body.errors).toEqual([{ field: 'body.last_name', message: 'a person needs a last name', code: 'invalid' }]);
  });

  it("answers 404 for another rep's contact and its deals", async () => {
    const theirs = await person('rep2');
    const params = { id: theirs.id };
    expect((await call(getContactRoute, { as: 'rep1', params })).status).toBe(404);
    expect((await call(listContactDealsRoute, { as: 'rep1', params })).status).toBe(404);
    expect((await call(updateContactRoute, { as: 'rep1', params, body: { title: 'x' } })).status).toBe(404);
    expect((await call(getContactRoute, { as: 'manager', params })).status).toBe(200);
    expect((await call(getContactRoute, { as: 'solo', params })).status).toBe(404);
  });

  it("lists a contact's deals, primary or associated, within the caller's visibility", async () => {
    const c = await person('rep1');
    const primary = await newDeal('rep1', { name: 'Primary', contact_id: c.id });
    const associated = await newDeal('rep1', { name: 'Associated' });
    const linked = await call(associateContactRoute, {
      as: 'rep1',
      params: { id: associated.id },
      body: { contact_id: c.id },
    });
    expectStatus(linked, 201);
    const managers = await newDeal('manager', { name: "Manager's", contact_id: c.id });
    const rep = await call(listContactDealsRoute, { as: 'rep1', params: { id: c.id } });
    expectStatus(rep, 200);
    expect(ids(rep.body).sort()).toEqual([primary.id, associated.id].sort());
    const manager = bodyOf(await call(listContactDealsRoute, { as: 'manager', params: { id: c.id }, query: { limit: 2 } }));
    expect(manager.items).toHaveLength(2);
    const rest = bodyOf(
      await call(listContactDealsRoute, {
        as: 'manager',
        params: { id: c.id },
        query: { limit: 2, cursor: manager.next_cursor ?? undefined },
      }),
    );
    expect([...ids(manager), ...ids(rest)].sort()).toEqual([primary.id, associated.id, managers.id].sort());
  });

  it('follows the deals: an open deal makes a prospect, a won one a customer, all lost a lost prospect', async () => {
    const c = await person('rep1');
    const deal = await newDeal('rep1', { name: 'Follow', contact_id: c.id });
    expect(await contactWhen(c.id, (x) => x.prospect_status === 'current')).toMatchObject({
      prospect_status: 'current',
      customer_status: 'none',
    });
    await call(updateDealRoute, { as: 'rep1', params: { id: deal.id }, body: { stage_id: stages.Won } });
    expect(await contactWhen(c.id, (x) => x.customer_status === 'current')).toMatchObject({
      prospect_status: 'none',
      customer_status: 'current',
    });
    await call(updateDealRoute, {
      as: 'rep1',
      params: { id: deal.id },
      body: { stage_id: stages.Lost, loss_reason_id: lossReasonId },
    });
    expect(await contactWhen(c.id, (x) => x.prospect_status === 'lost')).toMatchObject({
      prospect_status: 'lost',
      customer_status: 'none',
    });
    const customers = bodyOf(await call(listContactsRoute, { as: 'rep1', query: { prospect_status: 'lost', limit: 100 } }));
    expect(ids(customers)).toContain(c.id);
    await call(deleteDealRoute, { as: 'rep1', params: { id: deal.id } });
    expect(await contactWhen(c.id, (x) => x.prospect_status === 'none')).toMatchObject({
      prospect_status: 'none',
      customer_status: 'none',
    });
  });

  it('deleting an organisation detaches its people, as Sell does', async () => {
    const org = await organisation('rep1');
    const jane = await person('rep1', { contact_id: org.id });
    expect((await call(deleteContactRoute, { as: 'rep1', params: { id: org.id } })).status).toBe(204);
    expect(bodyOf(await call(getContactRoute, { as: 'rep1', params: { id: jane.id } }))).toMatchObject({ contact_id: null });
  });

  it('validates custom fields by name and filters on them and on the address', async () => {
    const field = bodyOf(
      await call(createCustomFieldRoute, {
        as: 'admin',
        params: { resource_type: 'contacts' },
        body: { name: `Since ${Date.now()}`, type: 'date' },
      }),
    );
    const bad = await call(createContactRoute, {
      as: 'rep1',
      body: { last_name: 'CF', custom_fields: { [field.name]: '2031-02-30' } },
    });
    expectStatus(bad, 422);
    expect(bad.body.errors?.map((e) => e.field)).toEqual([`body.custom_fields.${field.name}`]);
    const tag = `t${Date.now()}`;
    const c = await person('rep1', {
      tags: [tag],
      address: { city: 'Köln' },
      custom_fields: { [field.name]: '2031-02-28' },
    });
    await person('rep1', { tags: [tag], address: { city: 'Bonn' } });
    const byCity = bodyOf(await call(listContactsRoute, { as: 'rep1', query: { tags: tag, city: 'koln' } }));
    expect(ids(byCity)).toEqual([c.id]);
    const byField = bodyOf(
      await call(listContactsRoute, {
        as: 'rep1',
        query: { tags: tag, custom_fields: { [field.name]: '2031-02-28' } },
      }),
    );
    expect(ids(byField)).toEqual([c.id]);
  });
});
