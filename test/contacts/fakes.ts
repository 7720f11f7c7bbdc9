import { tagKey } from '#shared/kernel/tags.ts';
import type {
  AddressFilter,
  ContactDealStages,
  ContactListQuery,
  ContactReferences,
  ContactRepository,
} from '#shared/contacts/ports.ts';
import type { LeadListQuery, LeadReferences, LeadRepository } from '#shared/leads/ports.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import { addressFilterValue, EMPTY_ADDRESS, type Address } from '#shared/contacts/details.ts';
import type { Contact } from '#shared/contacts/domain.ts';
import { valueCountChanges } from '#shared/custom-fields/domain.ts';
import { ConflictError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Lead } from '#shared/leads/domain.ts';
import {
  collected,
  copy,
  InMemoryStore,
  KeysetCursors,
  paginate,
  passesCustomFieldFilters,
} from '#test/helpers/in-memory-store.ts';

// In-memory fakes of the lead and contact repositories, on the shared store. Writes check what
// the DynamoDB adapters (shared/leads/dynamodb.ts, shared/contacts/dynamodb.ts) check inside
// their transactions: the version, the owner an active user, the source and the unqualified
// reason existing, a person's organisation being one, an organisation having no people left;
// and they move custom field value counts. Lists filter like the adapters' plans, newest or
// oldest first, and record what they were asked; records go in and out as copies.

/** The filters lists of leads and contacts share. */
function passesCommonFilters(
  record: Lead | Contact,
  query: { source_id?: string | undefined; address?: AddressFilter | undefined; tags?: readonly string[] | undefined },
): boolean {
  const address = Object.entries(query.address ?? {}) as [keyof Address, string][];
  return (
    (query.source_id === undefined || record.source_id === query.source_id) &&
    address.every(([part, value]) => addressFilterValue(record.address[part]) === value) &&
    (query.tags ?? []).every((t) => record.tags.some((held) => tagKey(held) === tagKey(t)))
  );
}

// ---- Leads ----

function checkLeadReferences(store: InMemoryStore, refs: LeadReferences, before: LeadReferences | null): void {
  if (!before || before.owner_id !== refs.owner_id) store.requireActiveUser(refs.owner_id);
  if (refs.source_id && refs.source_id !== before?.source_id) store.requireNamedEntry('source', refs.source_id, 'body.source_id');
  if (refs.unqualified_reason_id && refs.unqualified_reason_id !== before?.unqualified_reason_id) {
    store.requireNamedEntry('lead_unqualified_reason', refs.unqualified_reason_id, 'body.unqualified_reason_id');
  }
}

/**
 * leadConvertOps on the store, for a caller's transaction: the lead replaced by `after` only
 * while the store holds `before` (VersionMismatchError otherwise), its value counts moved.
 */
export function applyLeadReplace(store: InMemoryStore, before: Lead, after: Lead): void {
  const current = store.leads.get(before.id);
  if (!current || current.version !== before.version) {
    throw new VersionMismatchError('lead', before.id, current ? copy(current) : null);
  }
  store.leads.set(after.id, copy(after));
  store.moveValueCounts(valueCountChanges(before.custom_fields, after.custom_fields));
}

export class InMemoryLeadRepository extends KeysetCursors implements LeadRepository {
  readonly store: InMemoryStore;
  readonly events: DomainEvent[] = [];
  readonly writes: { op: 'create' | 'update' | 'delete'; refs?: LeadReferences }[] = [];
  readonly queries: LeadListQuery[] = [];
  constructor(store = new InMemoryStore()) {
    super();
    this.store = store;
  }

  /** The leads as stored, by id. */
  get leads(): Map<string, Lead> {
    return this.store.leads;
  }

  seed(...leads: Lead[]): this {
    this.store.seed({ leads });
    return this;
  }

  async get(id: string): Promise<Lead | undefined> {
    const lead = this.leads.get(id);
    return lead && copy(lead);
  }

  async create(lead: Lead, refs: LeadReferences, events: DomainEvent[]): Promise<void> {
    this.store.transact(() => {
      if (this.leads.has(lead.id)) throw new ConflictError(`lead ${lead.id} exists`);
      this.leads.set(lead.id, copy(lead));
      checkLeadReferences(this.store, refs, null);
      this.store.moveValueCounts(valueCountChanges({}, lead.custom_fields));
    });
    this.writes.push({ op: 'create', refs: copy(refs) });
    this.events.push(...copy(events));
  }

  async update(before: Lead, after: Lead, refs: LeadReferences, events: DomainEvent[]): Promise<void> {
    this.store.transact(() => {
      applyLeadReplace(this.store, before, after);
      checkLeadReferences(this.store, refs, {
        owner_id: before.owner_id,
        source_id: before.source_id,
        unqualified_reason_id: before.unqualified_reason_id,
      });
    });
    this.writes.push({ op: 'update', refs: copy(refs) });
    this.events.push(...copy(events));
  }

  async delete(lead: Lead, events: DomainEvent[]): Promise<void> {
    this.store.transact(() => {
      const current = this.leads.get(lead.id);
      if (!current || current.version !== lead.version) {
        throw new VersionMismatchError('lead', lead.id, current ? copy(current) : null);
      }
      this.leads.delete(lead.id);
      this.store.moveValueCounts(valueCountChanges(lead.custom_fields, {}));
    });
    this.writes.push({ op: 'delete' });
    this.events.push(...copy(events));
  }

  #matches(query: LeadListQuery): Lead[] {
    this.queries.push(copy(query));
    return [...this.leads.values()].filter(
      (l) =>
        (query.owners === 'all' || query.owners.includes(l.owner_id)) &&
        (query.status === undefined || l.status === query.status) &&
        passesCommonFilters(l, query) &&
        passesCustomFieldFilters(l.custom_fields, query.custom_fields),
    );
  }

  async list(query: LeadListQuery, page: PageQuery): Promise<Page<Lead>> {
    return paginate(this.#matches(query), page, { order: query.order });
  }

  async collect(query: LeadListQuery, max: number): Promise<{ items: Lead[]; truncated: boolean }> {
    return collected(paginate(this.#matches(query), { limit: Infinity }, { order: query.order }).items, max);
  }
}

// ---- Contacts ----

function checkContactReferences(
  store: InMemoryStore,
  refs: ContactReferences,
  before: ContactReferences | null,
  createdTogether: ReadonlySet<string> = new Set(),
): void {
  if (!before || before.owner_id !== refs.owner_id) store.requireActiveUser(refs.owner_id);
  if (refs.source_id && refs.source_id !== before?.source_id) store.requireNamedEntry('source', refs.source_id, 'body.source_id');
  if (refs.contact_id && refs.contact_id !== before?.contact_id && !createdTogether.has(refs.contact_id)) {
    store.requireOrganization(refs.contact_id, 'body.contact_id');
  }
}

/**
 * contactCreateOps on the store, for a caller's transaction: each contact with its reference
 * checks (an organisation created in the same call is not checked) and value counts.
 */
export function applyContactCreates(
  store: InMemoryStore,
  ...contacts: readonly { contact: Contact; refs: ContactReferences }[]
): void {
  const created = new Set(contacts.filter((c) => c.contact.is_organization).map((c) => c.contact.id));
  for (const { contact } of contacts) {
    if (store.contacts.has(contact.id)) throw new ConflictError(`contact ${contact.id} exists`);
    store.contacts.set(contact.id, copy(contact));
  }
  for (const { refs } of contacts) checkContactReferences(store, refs, null, created);
  for (const { contact } of contacts) store.moveValueCounts(valueCountChanges({}, contact.custom_fields));
}

export class InMemoryContactRepository extends KeysetCursors implements ContactRepository {
  readonly store: InMemoryStore;
  readonly events: DomainEvent[] = [];
  readonly writes: { op: 'create' | 'update' | 'delete'; refs?: ContactReferences }[] = [];
  readonly queries: ContactListQuery[] = [];
  /** Conflicts to simulate: each update first meets this many concurrent changes. */
  concurrentChanges = 0;
  constructor(store = new InMemoryStore()) {
    super();
    this.store = store;
  }

  /** The contacts as stored, by id. */
  get contacts(): Map<string, Contact> {
    return this.store.contacts;
  }

  seed(...contacts: Contact[]): this {
    this.store.seed({ contacts });
    return this;
  }

  async get(id: string): Promise<Contact | undefined> {
    const contact = this.contacts.get(id);
    return contact && copy(contact);
  }

  async create(contact: Contact, refs: ContactReferences, events: DomainEvent[]): Promise<void> {
    this.store.transact(() => applyContactCreates(this.store, { contact, refs }));
    this.writes.push({ op: 'create', refs: copy(refs) });
    this.events.push(...copy(events));
  }

  async update(before: Contact, after: Contact, refs: ContactReferences, events: DomainEvent[]): Promise<void> {
    const current = this.contacts.get(before.id);
    if (current && this.concurrentChanges > 0) {
      this.concurrentChanges--;
      current.version += 1;
      current.title = `changed meanwhile ${current.version}`;
    }
    this.store.transact(() => {
      if (!current || current.version !== before.version) {
        throw new VersionMismatchError('contact', before.id, current ? copy(current) : null);
      }
      this.contacts.set(after.id, copy(after));
      checkContactReferences(this.store, refs, {
        owner_id: before.owner_id,
        source_id: before.source_id,
        contact_id: before.contact_id,
      });
      this.store.moveValueCounts(valueCountChanges(before.custom_fields, after.custom_fields));
    });
    this.writes.push({ op: 'update', refs: copy(refs) });
    this.events.push(...copy(events));
  }

  async delete(contact: Contact, events: DomainEvent[]): Promise<void> {
    this.store.transact(() => {
      const current = this.contacts.get(contact.id);
      if (!current || current.version !== contact.version) {
        throw new VersionMismatchError('contact', contact.id, current ? copy(current) : null);
      }
      this.contacts.delete(contact.id);
      this.store.moveValueCounts(valueCountChanges(contact.custom_fields, {}));
      const people = [...this.contacts.values()].filter((c) => c.contact_id === contact.id).length;
      if (contact.is_organization && people > 0) {
        throw new ConflictError(
          `Organisation ${contact.id} still has ${people} people: move them to another organisation or delete them first`,
        );
      }
    });
    this.writes.push({ op: 'delete' });
    this.events.push(...copy(events));
  }

  #matches(query: ContactListQuery): Contact[] {
    this.queries.push(copy(query));
    return [...this.contacts.values()].filter(
      (c) =>
        (query.owners === 'all' || query.owners.includes(c.owner_id)) &&
        (query.contact_id === undefined || c.contact_id === query.contact_id) &&
        (query.is_organization === undefined || c.is_organization === query.is_organization) &&
        (query.prospect_status === undefined || c.prospect_status === query.prospect_status) &&
        (query.customer_status === undefined || c.customer_status === query.customer_status) &&
        passesCommonFilters(c, query) &&
        passesCustomFieldFilters(c.custom_fields, query.custom_fields),
    );
  }

  async list(query: ContactListQuery, page: PageQuery): Promise<Page<Contact>> {
    return paginate(this.#matches(query), page, { order: query.order });
  }

  async collect(query: ContactListQuery, max: number): Promise<{ items: Contact[]; truncated: boolean }> {
    return collected(paginate(this.#matches(query), { limit: Infinity }, { order: query.order }).items, max);
  }
}

/** The deals of each contact, as stage ids; counts the reads. */
export class FakeContactDealStages implements ContactDealStages {
  readonly stagesByContact = new Map<string, string[]>();
  readonly reads: string[] = [];

  set(contactId: string, stageIds: string[]): this {
    this.stagesByContact.set(contactId, stageIds);
    return this;
  }

  async stageIdsOf(contactId: string, max: number): Promise<{ stage_ids: string[]; truncated: boolean }> {
    this.reads.push(contactId);
    const all = this.stagesByContact.get(contactId) ?? [];
    return { stage_ids: all.slice(0, max), truncated: all.length > max };
  }
}

// ---- Builders ----

export function makeLead(id: string, overrides: Partial<Lead> = {}): Lead {
  return {
    id,
    first_name: 'Jane',
    last_name: 'Doe',
    organization_name: null,
    title: null,
    description: null,
    status: 'new',
    unqualified_reason_id: null,
    owner_id: 'owner',
    creator_id: 'owner',
    source_id: null,
    email: null,
    phone: null,
    mobile: null,
    website: null,
    industry: null,
    address: { ...EMPTY_ADDRESS },
    tags: [],
    custom_fields: {},
    converted_at: null,
    converted_contact_id: null,
    converted_organization_id: null,
    converted_deal_id: null,
    created_at: '2031-01-01T00:00:00.000Z',
    updated_at: '2031-01-01T00:00:00.000Z',
    version: 1,
    ...overrides,
  };
}

export function makeContact(id: string, overrides: Partial<Contact> = {}): Contact {
  const isOrganization = overrides.is_organization ?? false;
  return {
    id,
    is_organization: isOrganization,
    name: isOrganization ? 'Acme' : 'Jane Doe',
    first_name: isOrganization ? null : 'Jane',
    last_name: isOrganization ? null : 'Doe',
    contact_id: null,
    title: null,
    description: null,
    owner_id: 'owner',
    creator_id: 'owner',
    source_id: null,
    email: null,
    phone: null,
    mobile: null,
    website: null,
    industry: null,
    address: { ...EMPTY_ADDRESS },
    billing_address: { ...EMPTY_ADDRESS },
    shipping_address: { ...EMPTY_ADDRESS },
    prospect_status: 'none',
    customer_status: 'none',
    tags: [],
    custom_fields: {},
    created_at: '2031-01-01T00:00:00.000Z',
    updated_at: '2031-01-01T00:00:00.000Z',
    version: 1,
    ...overrides,
  };
}
