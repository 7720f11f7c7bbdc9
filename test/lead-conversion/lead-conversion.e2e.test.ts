import { describe, expect, it } from 'vitest';
import { useTestCloud } from '#test/helpers/local-cloud.ts';

// The walk of the leads issue, over HTTP as a rep would do it: a lead, qualified, with a note
// and a task, converted with a deal; everything found again from the contact; the deal won,
// and the contact becomes a current customer.

const { api, as } = useTestCloud();

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 3_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('lead conversion', () => {
  it('walks a lead to a won deal and a current customer', async () => {
    const lead = await api('POST', '/leads', {
      token: as('rep1'),
      body: {
        first_name: 'Zoë',
        last_name: 'Müller',
        organization_name: 'Acme Robotics',
        email: 'zoe@acme.example',
        status: 'new',
      },
    });
    expect(lead.status).toBe(201);
    const qualified = await api('PATCH', `/leads/${lead.body.id}`, { token: as('rep1'), body: { status: 'working' } });
    expect(qualified.body.status).toBe('working');
    const note = await api('POST', '/notes', {
      token: as('rep1'),
      body: { content: 'Met at the fair', resource_type: 'lead', resource_id: lead.body.id },
    });
    expect(note.status).toBe(201);
    const task = await api('POST', '/tasks', {
      token: as('rep1'),
      body: {
        content: 'Send the quote',
        due_date: '2030-01-15T09:00:00+01:00',
        resource_type: 'lead',
        resource_id: lead.body.id,
      },
    });
    expect(task.status).toBe(201);

    const converted = await api('POST', `/leads/${lead.body.id}/convert`, {
      token: as('rep1'),
      body: { deal: { name: 'Acme robots', value: '12000.00' } },
    });
    expect(converted.status).toBe(200);
    const { contact, organization, deal } = converted.body;
    expect(contact).toMatchObject({
      first_name: 'Zoë',
      last_name: 'Müller',
      is_organization: false,
      contact_id: organization.id,
    });
    expect(organization).toMatchObject({ name: 'Acme Robotics', is_organization: true });
    expect(deal).toMatchObject({
      name: 'Acme robots',
      value: '12000.00',
      contact_id: contact.id,
      organization_id: organization.id,
    });
    expect(converted.body.lead).toMatchObject({
      status: 'converted',
      converted_contact_id: contact.id,
      converted_organization_id: organization.id,
      converted_deal_id: deal.id,
    });

    // Everything is found from the contact.
    expect((await api('GET', `/contacts/${contact.id}`, { token: as('rep1') })).status).toBe(200);
    const deals = await api('GET', `/contacts/${contact.id}/deals`, { token: as('rep1') });
    expect(deals.body.items.map((d: { id: string }) => d.id)).toEqual([deal.id]);
    const notes = await api('GET', `/notes?resource_type=contact&resource_id=${contact.id}`, { token: as('rep1') });
    expect(notes.body.items.map((n: { id: string }) => n.id)).toEqual([note.body.id]);
    const tasks = await api('GET', `/tasks?resource_type=contact&resource_id=${contact.id}`, { token: as('rep1') });
    expect(tasks.body.items.map((t: { id: string }) => t.id)).toEqual([task.body.id]);
    const found = await api('GET', '/search?q=zoe mu', { token: as('rep1') });
    expect(found.body.items.map((h: { kind: string; id: string }) => `${h.kind}:${h.id}`)).toContain(`contact:${contact.id}`);
    // The converted lead stays readable, and cannot convert twice.
    expect((await api('GET', `/leads/${lead.body.id}`, { token: as('rep1') })).body.status).toBe('converted');
    expect((await api('POST', `/leads/${lead.body.id}/convert`, { token: as('rep1'), body: {} })).status).toBe(409);

    // Won: the contact becomes a current customer (the contact-status consumer on the bus).
    const prospect = await eventually(
      () => api('GET', `/contacts/${contact.id}`, { token: as('rep1') }),
      (r) => r.body.prospect_status === 'current',
    );
    expect(prospect.body.prospect_status).toBe('current');
    const stages = await api('GET', `/stages?pipeline_id=${deal.pipeline_id}`, { token: as('rep1') });
    const won = stages.body.items.find((s: { category: string }) => s.category === 'won');
    expect((await api('PATCH', `/deals/${deal.id}`, { token: as('rep1'), body: { stage_id: won.id } })).status).toBe(200);
    const customer = await eventually(
      () => api('GET', `/contacts/${contact.id}`, { token: as('rep1') }),
      (r) => r.body.customer_status === 'current',
    );
    expect(customer.body.customer_status).toBe('current');
  });

  it('converts a company lead into its organisation, and links an existing organisation', async () => {
    const company = await api('POST', '/leads', { token: as('rep2'), body: { organization_name: 'Solo Org Ltd' } });
    const converted = await api('POST', `/leads/${company.body.id}/convert`, { token: as('rep2'), body: {} });
    expect(converted.status).toBe(200);
    expect(converted.body.contact).toMatchObject({ is_organization: true, name: 'Solo Org Ltd' });
    expect(converted.body.deal).toBeNull();

    const person = await api('POST', '/leads', { token: as('rep2'), body: { first_name: 'Ann', last_name: 'Link' } });
    const linked = await api('POST', `/leads/${person.body.id}/convert`, {
      token: as('rep2'),
      body: { organization_id: converted.body.contact.id },
    });
    expect(linked.status).toBe(200);
    expect(linked.body.contact.contact_id).toBe(converted.body.contact.id);
  });

  it("refuses to convert another rep's lead (404) and a bad organisation, writing nothing", async () => {
    const theirs = await api('POST', '/leads', { token: as('solo'), body: { last_name: 'Private' } });
    expect((await api('POST', `/leads/${theirs.body.id}/convert`, { token: as('rep1'), body: {} })).status).toBe(404);
    const lead = await api('POST', '/leads', {
      token: as('rep1'),
      body: { last_name: 'Careful', organization_name: 'Careful Co' },
    });
    const person = await api('POST', '/contacts', { token: as('rep1'), body: { last_name: 'Not An Org' } });
    const bad = await api('POST', `/leads/${lead.body.id}/convert`, {
      token: as('rep1'),
      body: { organization_id: person.body.id, deal: { name: 'Never' } },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('body.organization_id');
    expect((await api('GET', `/leads/${lead.body.id}`, { token: as('rep1') })).body.status).toBe('new');
    const dealsNamedNever = await api('GET', '/search?q=never&types=deals', { token: as('rep1') });
    expect(dealsNamedNever.body.items).toEqual([]);
  });
});
