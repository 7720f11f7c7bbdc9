import { beforeAll, describe, expect, it } from 'vitest';
import type { ConversionDeps, ConversionPlan, ConversionWriter } from '#shared/lead-conversion/use-cases.ts';
import { convertLead } from '#shared/lead-conversion/use-cases.ts';
import { callContext, systemClock } from '#shared/kernel/ports.ts';
import { createLead } from '#shared/leads/use-cases.ts';
import { createNote } from '#shared/notes/use-cases.ts';
import { ConflictError } from '#shared/kernel/errors.ts';
import { newId } from '#shared/kernel/ids.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { useTestTable } from '#test/helpers/table.ts';

// Lead conversion against DynamoDB Local, with a failure injected INSIDE its transaction (a
// condition that cannot hold, as when a record changes under it): nothing may be left behind.

let deps: ConversionDeps;
let principal: Principal;
let table: Table;

beforeAll(async () => {
  await useTestTable();
  process.env.CRM_ACCOUNT_DEFAULTS = JSON.stringify({
    company_name: 'Test',
    currency: 'EUR',
    time_zone: 'Etc/UTC',
    time_format: '24h',
  });
  const { crmTable, runtimeIds } = await import('#shared/platform/runtime.ts');
  const { identityAdapters } = await import('#shared/identity/runtime.ts');
  const { seedSalesDefaults } = await import('#shared/pipelines/sales-defaults.ts');
  const { pipelineAdapters } = await import('#shared/pipelines/runtime.ts');
  const { createUser } = await import('#shared/identity/use-cases.ts');
  const { loadConfig } = await import('#infra/config/load.ts');
  const { conversionAdapters } = await import('#shared/lead-conversion/runtime.ts');
  const system: Principal = { user_id: 'system', email: '', role: 'admin', direct_reports: [] };
  const call = callContext(system, 'test', systemClock, runtimeIds);
  const rep = await createUser(identityAdapters(), call, { name: 'Rep', email: `rep-${newId()}@example.com`, role: 'user' });
  await seedSalesDefaults(pipelineAdapters(), call, loadConfig());
  principal = { user_id: rep.id, email: rep.email, role: 'user', direct_reports: [] };
  deps = conversionAdapters();
  table = crmTable();
});

/** The real writer, with one impossible condition added to its transaction. */
function failingWriter(real: ConversionWriter): ConversionWriter {
  return {
    convert: async (plan: ConversionPlan, events: DomainEvent[]) => {
      const write = table.write.bind(table);
      table.write = async (ops, evs) => {
        table.write = write;
        const impossible = { type: 'check' as const, key: { pk: 'nothing', sk: 'here' }, condition: 'attribute_exists(pk)' };
        return write([...ops, { ...impossible, onConflict: () => new ConflictError('injected') }], evs);
      };
      try {
        return await real.convert(plan, events);
      } finally {
        table.write = write;
      }
    },
    moveRest: real.moveRest.bind(real),
  };
}

describe('lead conversion, one transaction', () => {
  it('leaves nothing behind when the transaction fails half-way, and converts when run again', async () => {
    const call = () => callContext(principal, 'test', systemClock, () => newId());
    const { leadAdapters } = await import('#shared/leads/runtime.ts');
    const lead = await createLead(leadAdapters(), call(), {
      first_name: 'Ada',
      last_name: 'Half',
      organization_name: 'Halfway Ltd',
    });
    const note = await createNote((await import('#shared/notes/runtime.ts')).noteAdapters(), call(), {
      content: 'follows the lead',
      resource_type: 'lead',
      resource_id: lead.id,
    });
    const before = await table.partition(`lead#${lead.id}`);

    await expect(
      convertLead({ ...deps, writer: failingWriter(deps.writer) }, call(), lead.id, {
        deal: { name: 'Halfway deal', value: '10' },
      }),
    ).rejects.toThrow('injected');

    expect(await table.partition(`lead#${lead.id}`)).toEqual(before);
    expect((await deps.leads.get(lead.id))?.status).toBe('new');
    const contacts = await deps.contacts.list({ owners: [principal.user_id], order: 'desc' }, { limit: 100 });
    expect(contacts.items).toEqual([]);
    const deals = await deps.deals.deals.list({ owners: [principal.user_id], order: 'desc' }, { limit: 100 });
    expect(deals.items).toEqual([]);
    expect((await deps.notes.notesOf({ resource_type: 'lead', resource_id: lead.id }, 10)).items.map((n) => n.id)).toEqual([
      note.id,
    ]);

    const done = await convertLead(deps, call(), lead.id, { deal: { name: 'Halfway deal', value: '10' } });
    expect(done.lead.status).toBe('converted');
    expect(
      (await deps.notes.notesOf({ resource_type: 'contact', resource_id: done.contact.id }, 10)).items.map((n) => n.id),
    ).toEqual([note.id]);
    await expect(convertLead(deps, call(), lead.id, {})).rejects.toMatchObject({ name: 'ConflictError' });
  });
});

describe('appointments follow the lead (F3.3)', () => {
  it('moves every appointment of the lead to the contact, in its attendees’ calendars too, also those past the transaction', async () => {
    const call = () => callContext(principal, 'test', systemClock, () => newId());
    const { leadAdapters } = await import('#shared/leads/runtime.ts');
    const { appointmentAdapters } = await import('#shared/appointments/runtime.ts');
    const { createAppointment, listAppointments } = await import('#shared/appointments/use-cases.ts');
    const appointments = appointmentAdapters();
    const lead = await createLead(leadAdapters(), call(), { first_name: 'Ada', last_name: 'Calendar' });
    const from = { resource_type: 'lead' as const, resource_id: lead.id };
    // 50 appointments of 2 writes each (the appointment and its owner's entry) do not all fit
    // in the conversion's transaction: the rest move right after it.
    const made: string[] = [];
    for (let i = 0; i < 50; i++) {
      const start = new Date(Date.UTC(2031, 0, 1 + i, 9)).toISOString();
      made.push(
        (await createAppointment(appointments, call(), { name: `Visit ${i}`, start_at: start, end_at: start, ...from })).id,
      );
    }
    expect((await appointments.appointments.appointmentsOf(from, 100)).items).toHaveLength(50);

    const done = await convertLead(deps, call(), lead.id, {});
    const to = { resource_type: 'contact' as const, resource_id: done.contact.id };
    expect((await appointments.appointments.appointmentsOf(from, 100)).items).toEqual([]);
    const moved = (await appointments.appointments.appointmentsOf(to, 100)).items;
    expect(moved.map((a) => a.id).sort()).toEqual([...made].sort());
    expect(moved.every((a) => a.version === 2 && a.updated_at === done.lead.converted_at)).toBe(true);
    // The calendar entries are the moved copies.
    const calendar = await listAppointments(appointments, call(), { attendee_id: principal.user_id, limit: 100 });
    expect(calendar.items.filter((a) => made.includes(a.id)).every((a) => a.resource_id === done.contact.id)).toBe(true);
  });
});
