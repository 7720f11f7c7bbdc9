import { presentCustomFields, type CustomFieldDefinition, type StoredCustomFields } from '#shared/custom-fields/domain.ts';
import { newContact, type Contact } from '#shared/contacts/domain.ts';
import type { Deal } from '#shared/deals/domain.ts';
import { ValidationError } from '#shared/kernel/errors.ts';
import { domainEvent, type DomainEvent } from '#shared/kernel/events.ts';
import { leadAsConverted, type Lead } from '#shared/leads/domain.ts';
import type { Note } from '#shared/notes/domain.ts';
import type { RecordRef } from '#shared/kernel/related-records.ts';
import type { Task } from '#shared/tasks/domain.ts';
import type { Appointment } from '#shared/appointments/domain.ts';
import { canSee, scopeOf, type Scope } from '#shared/kernel/visibility.ts';
import type { ContactRepository } from '#shared/contacts/ports.ts';
import { buildDeal, dealCreatedEvent, type DealsDeps } from '#shared/deals/use-cases.ts';
import type { LeadRepository } from '#shared/leads/ports.ts';
import { checkAssignee, visibleOwned } from '#shared/kernel/ownership.ts';
import type { ConvertLeadInput } from './domain.ts';
import type { Call } from '#shared/kernel/ports.ts';

// Lead conversion (F3.3): the lead becomes a person contact (and, if asked, their organisation
// contact) and optionally a deal, in ONE transaction with the lead marked converted: either all
// of it exists, or nothing changed. Its notes, tasks and appointments move to the new contact in the same
// transaction when they fit; the rest move right after (each move is idempotent). A conversion
// made here takes its own Sell id in that transaction (ConversionPlan.sellNumbered), so the /v2
// facade never numbers it by its lead (whose number an imported conversion may hold).

export type { ConvertLeadInput };

export interface ConversionPlan {
  before: Lead;
  after: Lead;
  /** New contacts: the person and/or the organisation. */
  contacts: Contact[];
  deal: Deal | null;
  notes: Note[];
  tasks: Task[];
  appointments: Appointment[];
  to: RecordRef;
  /** The caller's: the existing organisation a conversion names must lie in it when the write lands. */
  scope: Scope;
  /**
   * Whether the conversion takes its own Sell id (type `lead_conversion`, the number naming the
   * converted lead) from the sequence, in the same transaction: true for a conversion made here;
   * false for one imported from Sell, which keeps Sell's number (the importer writes it).
   */
  sellNumbered: boolean;
}

/** What follows a lead to its contact: its notes, tasks and appointments. */
export interface Followers {
  notes: Note[];
  tasks: Task[];
  appointments: Appointment[];
}

export interface ConversionWriter {
  /** The conversion's one transaction, with as many note/task/appointment moves as fit; answers the rest. */
  convert(plan: ConversionPlan, events: DomainEvent[]): Promise<Followers>;
  /** Moves left-over notes, tasks and appointments; a record changed meanwhile is skipped (it moved or was edited). */
  moveRest(rest: Followers, to: RecordRef, at: string): Promise<void>;
}

export interface ConversionDeps {
  leads: LeadRepository;
  contacts: ContactRepository;
  deals: DealsDeps;
  customFields: { definitions(resource: 'lead' | 'contact'): Promise<CustomFieldDefinition[]> };
  notes: { notesOf(ref: RecordRef, limit: number): Promise<{ items: Note[]; truncated: boolean }> };
  tasks: { tasksOf(ref: RecordRef, limit: number): Promise<{ items: Task[]; truncated: boolean }> };
  appointments: { appointmentsOf(ref: RecordRef, limit: number): Promise<{ items: Appointment[]; truncated: boolean }> };
  /** Re-points every document of `from` to `to` (after the conversion's transaction). */
  documents: { moveAll(from: RecordRef, to: RecordRef, at: string): Promise<void> };
  writer: ConversionWriter;
}

/** Notes, tasks and appointments that follow a lead: all of them, up to a bound no real lead reaches. */
const MAX_FOLLOWERS = 2_000;

export interface ConversionResult {
  lead: Lead;
  contact: Contact;
  organization: Contact | null;
  deal: Deal | null;
}

export async function convertLead(
  deps: ConversionDeps,
  call: Call,
  id: string,
  input: ConvertLeadInput,
): Promise<ConversionResult> {
  const lead = visibleOwned('lead', id, await deps.leads.get(id), call.principal, { forChange: true });
  const owner = input.owner_id ?? lead.owner_id;
  checkAssignee(call.principal, owner, 'record');
  const now = call.events.now.toISOString();

  const organization = await organizationFor(deps, call, lead, input, owner, now);
  const contactFields = await carriedCustomFields(deps, lead.custom_fields);
  const person = lead.last_name
    ? newContact(
        {
          is_organization: false,
          first_name: lead.first_name,
          last_name: lead.last_name,
          contact_id: organization?.id ?? null,
          title: lead.title,
          description: lead.description,
          owner_id: owner,
          source_id: lead.source_id,
          email: lead.email,
          phone: lead.phone,
          mobile: lead.mobile,
          website: lead.website,
          industry: lead.industry,
          address: lead.address,
          tags: lead.tags,
          custom_fields: contactFields,
        },
        { id: call.events.newId(), creator_id: call.principal.user_id, now },
      )
    : null;
  const contact = person ?? organization;
  if (!contact)
    throw ValidationError.field('body.create_organization', 'a lead with no last name converts into its organisation: keep it', {
      code: 'lead_conversion.organization_required',
    });

  const deal = input.deal
    ? await buildDeal(deps.deals, call, {
        name: input.deal.name,
        value: input.deal.value,
        currency: input.deal.currency,
        pipeline_id: input.deal.pipeline_id,
        owner_id: owner,
        contact_id: contact.id,
        organization_id: organization?.id ?? null,
        source_id: lead.source_id,
      })
    : null;

  const after = leadAsConverted(lead, {
    contact_id: contact.id,
    organization_id: organization?.id ?? null,
    deal_id: deal?.id ?? null,
    at: now,
  });
  const from: RecordRef = { resource_type: 'lead', resource_id: lead.id };
  const to: RecordRef = { resource_type: 'contact', resource_id: contact.id };
  const notes = (await deps.notes.notesOf(from, MAX_FOLLOWERS)).items;
  const tasks = (await deps.tasks.tasksOf(from, MAX_FOLLOWERS)).items;
  const appointments = (await deps.appointments.appointmentsOf(from, MAX_FOLLOWERS)).items;
  const created = [organization && !input.organization_id ? organization : null, person].filter((c): c is Contact => c !== null);

  const events: DomainEvent[] = [
    ...created.map((c) => domainEvent(call.events, 'contact.created', { resource_type: 'contact', resource_id: c.id }, c)),
    ...(deal ? [dealCreatedEvent(call, deal)] : []),
    domainEvent(call.events, 'lead.converted', { resource_type: 'lead', resource_id: lead.id }, after, {
      previous: { status: lead.status },
    }),
  ];
  const rest = await deps.writer.convert(
    {
      before: lead,
      after,
      contacts: created,
      deal,
      notes,
      tasks,
      appointments,
      to,
      scope: scopeOf(call.principal),
      sellNumbered: true,
    },
    events,
  );
  if (rest.notes.length > 0 || rest.tasks.length > 0 || rest.appointments.length > 0) await deps.writer.moveRest(rest, to, now);
  await deps.documents.moveAll(from, to, now);
  return { lead: after, contact, organization, deal };
}

/** The organisation: an existing one (visible, and an organisation), a new one, or none. */
async function organizationFor(
  deps: ConversionDeps,
  call: Call,
  lead: Lead,
  input: ConvertLeadInput,
  owner: string,
  now: string,
): Promise<Contact | null> {
  if (input.organization_id) {
    const existing = await deps.contacts.get(input.organization_id);
    if (!existing || !canSee(call.principal, existing.owner_id)) {
      throw ValidationError.field('body.organization_id', `no organisation ${input.organization_id}`, {
        fieldCode: 'unknown_reference',
      });
    }
    if (!existing.is_organization) throw ValidationError.field('body.organization_id', 'is a person, not an organisation');
    return existing;
  }
  const create = input.create_organization ?? Boolean(lead.organization_name);
  if (!create) return null;
  if (!lead.organization_name) {
    throw ValidationError.field('body.create_organization', 'the lead has no organization_name to create the organisation from', {
      code: 'lead_conversion.no_organization_name',
    });
  }
  return newContact(
    {
      is_organization: true,
      name: lead.organization_name,
      owner_id: owner,
      source_id: lead.source_id,
      website: lead.website,
      industry: lead.industry,
      address: lead.address,
      tags: lead.tags,
      custom_fields: {},
    },
    { id: call.events.newId(), creator_id: call.principal.user_id, now },
  );
}

/** Lead custom field values carry over to contact fields of the same name and type. */
async function carriedCustomFields(deps: ConversionDeps, stored: StoredCustomFields): Promise<StoredCustomFields> {
  const [leadFields, contactFields] = await Promise.all([
    deps.customFields.definitions('lead'),
    deps.customFields.definitions('contact'),
  ]);
  const carried: StoredCustomFields = {};
  for (const [id, value] of Object.entries(stored)) {
    const from = leadFields.find((f) => f.id === id);
    const to = from && contactFields.find((f) => f.name.toLowerCase() === from.name.toLowerCase() && f.type === from.type);
    if (to) carried[to.id] = value;
  }
  return carried;
}

/** The conversion as the API shows it: custom fields by name. */
export async function conversionView(deps: ConversionDeps, result: ConversionResult) {
  const [leadFields, contactFields, dealFields] = await Promise.all([
    deps.customFields.definitions('lead'),
    deps.customFields.definitions('contact'),
    deps.deals.customFields.definitions('deal'),
  ]);
  const contactView = (c: Contact) => ({ ...c, custom_fields: presentCustomFields(contactFields, c.custom_fields) });
  return {
    lead: { ...result.lead, custom_fields: presentCustomFields(leadFields, result.lead.custom_fields) },
    contact: contactView(result.contact),
    organization: result.organization ? contactView(result.organization) : null,
    deal: result.deal ? { ...result.deal, custom_fields: presentCustomFields(dealFields, result.deal.custom_fields) } : null,
  };
}

/** An existing contact (and optionally organisation and deal) a lead was converted into elsewhere (a Sell import). */
export interface ExistingConversion {
  /** The person (or organisation) contact the lead became: must exist and be visible to the caller. */
  contact_id: string;
  organization_id?: string | null;
  deal_id?: string | null;
}

/**
 * Marks the lead converted into records that exist already (a Sell conversion whose contact and
 * deal were imported first): same rules as a conversion (the caller may change the lead; a
 * converted lead is read-only, ConflictError lead.already_converted) and the same `lead.converted`
 * event; its notes, tasks, appointments and documents move to the contact. Repeating the same
 * conversion (an import resumed after a crash) answers the lead and writes nothing. Throws
 * ValidationError when a named contact or deal does not exist or is not visible.
 */
export async function convertLeadInto(deps: ConversionDeps, call: Call, id: string, into: ExistingConversion): Promise<Lead> {
  const lead = visibleOwned('lead', id, await deps.leads.get(id), call.principal);
  const organizationId = into.organization_id ?? null;
  const dealId = into.deal_id ?? null;
  if (
    lead.status === 'converted' &&
    lead.converted_contact_id === into.contact_id &&
    lead.converted_organization_id === organizationId &&
    lead.converted_deal_id === dealId
  ) {
    return lead;
  }
  visibleOwned('lead', id, lead, call.principal, { forChange: true });
  for (const [field, contactId] of [
    ['contact_id', into.contact_id],
    ['organization_id', organizationId],
  ] as const) {
    if (contactId === null) continue;
    const contact = await deps.contacts.get(contactId);
    if (!contact || !canSee(call.principal, contact.owner_id)) {
      throw ValidationError.field(`body.${field}`, `no contact ${contactId}`, { fieldCode: 'unknown_reference' });
    }
  }
  if (dealId !== null) {
    const deal = await deps.deals.deals.get(dealId);
    if (!deal || !canSee(call.principal, deal.owner_id)) {
      throw ValidationError.field('body.deal_id', `no deal ${dealId}`, { fieldCode: 'unknown_reference' });
    }
  }
  const now = call.events.now.toISOString();
  const after = leadAsConverted(lead, { contact_id: into.contact_id, organization_id: organizationId, deal_id: dealId, at: now });
  const from: RecordRef = { resource_type: 'lead', resource_id: lead.id };
  const to: RecordRef = { resource_type: 'contact', resource_id: into.contact_id };
  const notes = (await deps.notes.notesOf(from, MAX_FOLLOWERS)).items;
  const tasks = (await deps.tasks.tasksOf(from, MAX_FOLLOWERS)).items;
  const appointments = (await deps.appointments.appointmentsOf(from, MAX_FOLLOWERS)).items;
  const events = [domainEvent(call.events, 'lead.converted', from, after, { previous: { status: lead.status } })];
  const rest = await deps.writer.convert(
    {
      before: lead,
      after,
      contacts: [],
      deal: null,
      notes,
      tasks,
      appointments,
      to,
      scope: scopeOf(call.principal),
      sellNumbered: false,
    },
    events,
  );
  if (rest.notes.length > 0 || rest.tasks.length > 0 || rest.appointments.length > 0) await deps.writer.moveRest(rest, to, now);
  await deps.documents.moveAll(from, to, now);
  return after;
}
