import { describe, expect, it } from 'vitest';
import { createContactRoute, getContactRoute, listContactDealsRoute } from '#shared/contacts/routes.ts';
import { updateDealRoute } from '#shared/deals/routes.ts';
import { convertLeadRoute } from '#shared/lead-conversion/routes.ts';
import { createLeadRoute, getLeadRoute, updateLeadRoute } from '#shared/leads/routes.ts';
import { createNoteRoute, listNotesRoute } from '#shared/notes/routes.ts';
import { listStagesRoute } from '#shared/pipelines/routes.ts';
import { searchRecordsRoute } from '#shared/search/routes.ts';
import { createTaskRoute, listTasksRoute } from '#shared/tasks/routes.ts';
import { bodyOf, expectStatus, useTestCloud } from '#test/helpers/local-cloud.ts';

// The walk of the leads issue, over HTTP as a rep would do it: a lead, qualified, with a note
// and a task, converted with a deal; everything found again from the contact; the deal won,
// and the contact becomes a current customer.

const { call } = useTestCloud();

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 3_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ids = (page: { items: { id: string }[] }) => page.items.map((x) => x.id);

describe('lead conversion', () => {
  it('walks a lead to a won deal and a current customer', async () => {
    const lead = await call(createLeadRoute, {
      as: 'rep1',
      body: {
        first_name: 'Zoë',
        last_name: 'Müller',
        organization_name: 'Acme Robotics',
        email: 'zoe@acme.example',
        status: 'new',
      },
    });
    expectStatus(lead, 201);
    const leadId = { id: lead.body.id };
    const qualified = await call(updateLeadRoute, { as: 'rep1', params: leadId, body: { status: 'working' } });
    expect(bodyOf(qualified).status).toBe('working');
    const note = await call(createNoteRoute, {
      as: 'rep1',
      body: { content: 'Met at the fair', resource_type: 'lead', resource_id: lead.body.id },
    });
    expectStatus(note, 201);
    const task = await call(createTaskRoute, {
      as: 'rep1',
      body: {
        content: 'Send the quote',
        due_date: '2030-01-15T09:00:00+01:00',
        resource_type: 'lead',
        resource_id: lead.body.id,
      },
    });
    expectStatus(task, 201);

    const converted = await call(convertLeadRoute, {
      as: 'rep1',
      params: leadId,
      body: { deal: { name: 'Acme robots', value: '12000.00' } },
    });
    expectStatus(converted, 200);
    const { contact, organization, deal } = converted.body;
    expect(contact).toMatchObject({
      first_name: 'Zoë',
      last_name: 'Müller',
      is_organization: false,
      contact_id: organization!.id,
    });
    expect(organization).toMatchObject({ name: 'Acme Robotics', is_organization: true });
    expect(deal).toMatchObject({
      name: 'Acme robots',
      value: '12000.00',
      contact_id: contact.id,
      organization_id: organization!.id,
    });
    expect(converted.body.lead).toMatchObject({
      status: 'converted',
      converted_contact_id: contact.id,
      converted_organization_id: organization!.id,
      converted_deal_id: deal!.id,
    });

    // Everything is found from the contact.
    const onContact = { resource_type: 'contact', resource_id: contact.id } as const;
    expect((await call(getContactRoute, { as: 'rep1', params: { id: contact.id } })).status).toBe(200);
    const deals = bodyOf(await call(listContactDealsRoute, { as: 'rep1', params: { id: contact.id } }));
    expect(ids(deals)).toEqual([deal!.id]);
    const notes = bodyOf(await call(listNotesRoute, { as: 'rep1', query: onContact }));
    expect(ids(notes)).toEqual([note.body.id]);
    const tasks = bodyOf(await call(listTasksRoute, { as: 'rep1', query: onContact }));
    expect(ids(tasks)).toEqual([task.body.id]);
    const found = bodyOf(await call(searchRecordsRoute, { as: 'rep1', query: { q: 'zoe mu' } }));
    expect(found.items.map((h) => `${h.kind}:${h.id}`)).toContain(`contact:${contact.id}`);
    // The converted lead stays readable, and cannot convert twice.
    expect(bodyOf(await call(getLeadRoute, { as: 'rep1', params: leadId })).status).toBe('converted');
    expect((await call(convertLeadRoute, { as: 'rep1', params: leadId, body: {} })).status).toBe(409);

    // Won: the contact becomes a current customer (the contact-status consumer on the bus).
    const readContact = () => call(getContactRoute, { as: 'rep1', params: { id: contact.id } });
    const prospect = await eventually(readContact, (r) => r.ok && r.body.prospect_status === 'current');
    expect(bodyOf(prospect).prospect_status).toBe('current');
    const stages = bodyOf(await call(listStagesRoute, { as: 'rep1', query: { pipeline_id: deal!.pipeline_id } }));
    const won = stages.items.find((s) => s.category === 'won');
    expect((await call(updateDealRoute, { as: 'rep1', params: { id: deal!.id }, body: { stage_id: won!.id } })).status).toBe(200);
    const customer = await eventually(readContact, (r) => r.ok && r.body.customer_status === 'current');
    expect(bodyOf(customer).customer_status).toBe('current');
  });

  it('converts a company lead into its organisation, and links an existing organisation', async () => {
    const company = bodyOf(await call(createLeadRoute, { as: 'rep2', body: { organization_name: 'Solo Org Ltd' } }));
    const converted = await call(convertLeadRoute, { as: 'rep2', params: { id: company.id }, body: {} });
    expectStatus(converted, 200);
    expect(converted.body.contact).toMatchObject({ is_organization: true, name: 'Solo Org Ltd' });
    expect(converted.body.deal).toBeNull();

    const person = bodyOf(await call(createLeadRoute, { as: 'rep2', body: { first_name: 'Ann', last_name: 'Link' } }));
    const linked = await call(convertLeadRoute, {
      as: 'rep2',
      params: { id: person.id },
      body: { organization_id: converted.body.contact.id },
    });
    expectStatus(linked, 200);
    expect(linked.body.contact.contact_id).toBe(converted.body.contact.id);
  });

  it("refuses to convert another rep's lead (404) and a bad organisation, writing nothing", async () => {
    const theirs = bodyOf(await call(createLeadRoute, { as: 'solo', body: { last_name: 'Private' } }));
    expect((await call(convertLeadRoute, { as: 'rep1', params: { id: theirs.id }, body: {} })).status).toBe(404);
    const lead = bodyOf(
      await call(createLeadRoute, { as: 'rep1', body: { last_name: 'Careful', organization_name: 'Careful Co' } }),
    );
    const person = bodyOf(await call(createContactRoute, { as: 'rep1', body: { last_name: 'Not An Org' } }));
    const bad = await call(convertLeadRoute, {
      as: 'rep1',
      params: { id: lead.id },
      body: { organization_id: person.id, deal: { name: 'Never' } },
    });
    expectStatus(bad, 422);
    expect(bad.body.errors?.[0]?.field).toBe('body.organization_id');
    expect(bodyOf(await call(getLeadRoute, { as: 'rep1', params: { id: lead.id } })).status).toBe('new');
    const dealsNamedNever = bodyOf(await call(searchRecordsRoute, { as: 'rep1', query: { q: 'never', types: 'deals' } }));
    expect(dealsNamedNever.items).toEqual([]);
  });
});
