import type { ContactDealStages, ContactListQuery, ContactReferences, ContactRepository } from '#shared/contacts/ports.ts';
import type { LeadListQuery, LeadReferences, LeadRepository } from '#shared/leads/ports.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import { EMPTY_ADDRESS } from '#shared/contacts/details.ts';
import type { Contact } from '#shared/contacts/domain.ts';
import { ConflictError, ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Lead } from '#shared/leads/domain.ts';

// In-memory fakes of the lead and contact repositories. Writes check what the DynamoDB
// adapters check inside their transactions (version, a person's organisation, an
// organisation's people) before changing anything; references to users, sources and reasons
// are the adapters' (integration tests). Lists filter on owners and the indexed filters
// only, newest first, and record what they were asked; records go in and out as copies.

const copy = <T>(value: T): T => structuredClone(value);

/** Index-order pages over `all` (ids sort by creation), cursor = the last id returned. */
function pageOf<T extends { id: string }>(all: T[], order: 'asc' | 'desc', page: PageQuery): Page<T> {
  const sorted = [...all].sort((a, b) => (order === 'asc' ? a.id.localeCompare(b.id) : b.id.localeCompare(a.id)));
  const start = page.cursor ? sorted.findIndex((r) => r.id === page.cursor) + 1 : 0;
  const items = sorted.slice(start, start + page.limit);
  const more = start + page.limit < sorted.length;
  return { items: items.map(copy), next_cursor: more ? items.at(-1)!.id : null };
}

class OffsetCursors {
  offsetCursor(shape: unknown, offset: number): string {
    return JSON.stringify({ shape, offset });
  }
  readOffsetCursor(shape: unknown, cursor: string | undefined): number {
    if (!cursor) return 0;
    const parsed = JSON.parse(cursor) as { shape: unknown; offset: number };
    if (JSON.stringify(parsed.shape) !== JSON.stringify(shape)) throw ValidationError.field('query.cursor', 'not this list');
    return parsed.offset;
  }
}

export class InMemoryLeadRepository extends OffsetCursors implements LeadRepository {
  readonly leads = new Map<string, Lead>();
  readonly events: DomainEvent[] = [];
  readonly writes: { op: 'create' | 'update' | 'delete'; refs?: LeadReferences }[] = [];
  readonly queries: LeadListQuery[] = [];

  seed(...leads: Lead[]): this {
    for (const lead of leads) this.leads.set(lead.id, copy(lead));
    return this;
  }

  async get(id: string): Promise<Lead | undefined> {
    const lead = this.leads.get(id);
    return lead && copy(lead);
  }

  async create(lead: Lead, refs: LeadReferences, events: DomainEvent[]): Promise<void> {
    if (this.leads.has(lead.id)) throw new ConflictError(`lead ${lead.id} exists`);
    this.leads.set(lead.id, copy(lead));
    this.writes.push({ op: 'create', refs: copy(refs) });
    this.events.push(...copy(events));
  }

  async update(before: Lead, after: Lead, refs: LeadReferences, events: DomainEvent[]): Promise<void> {
    const current = this.leads.get(before.id);
    if (!current || current.version !== before.version) throw new VersionMismatchError('lead', before.id, current ?? null);
    this.leads.set(after.id, copy(after));
    this.writes.push({ op: 'update', refs: copy(refs) });
    this.events.push(...copy(events));
  }

  async delete(lead: Lead, events: DomainEvent[]): Promise<void> {
    const current = this.leads.get(lead.id);
    if (!current || current.version !== lead.version) throw new VersionMismatchError('lead', lead.id, current ?? null);
    this.leads.delete(lead.id);
    this.writes.push({ op: 'delete' });
    this.events.push(...copy(events));
  }

  #matches(query: LeadListQuery): Lead[] {
    this.queries.push(copy(query));
    return [...this.leads.values()].filter(
      (l) =>
        (query.owners === 'all' || query.owners.includes(l.owner_id)) &&
        (query.status === undefined || l.status === query.status),
    );
  }

  async list(query: LeadListQuery, page: PageQuery): Promise<Page<Lead>> {
    return pageOf(this.#matches(query), query.order, page);
  }

  async collect(query: LeadListQuery, max: number): Promise<{ items: Lead[]; truncated: boolean }> {
    const all = this.#matches(query);
    return { items: all.slice(0, max).map(copy), truncated: all.length > max };
  }
}

export class InMemoryContactRepository extends OffsetCursors implements ContactRepository {
  readonly contacts = new Map<string, Contact>();
  readonly events: DomainEvent[] = [];
  readonly writes: { op: 'create' | 'update' | 'delete'; refs?: ContactReferences }[] = [];
  /** Conflicts to simulate: each update first meets this many concurrent changes. */
  concurrentChanges = 0;

  seed(...contacts: Contact[]): this {
    for (const contact of contacts) this.contacts.set(contact.id, copy(contact));
    return this;
  }

  async get(id: string): Promise<Contact | undefined> {
    const contact = this.contacts.get(id);
    return contact && copy(contact);
  }

  #checkOrganization(refs: ContactReferences): void {
    if (refs.contact_id && this.contacts.get(refs.contact_id)?.is_organization !== true) {
      throw ValidationError.field('body.contact_id', `no organisation contact ${refs.contact_id}`);
    }
  }

  async create(contact: Contact, refs: ContactReferences, events: DomainEvent[]): Promise<void> {
    if (this.contacts.has(contact.id)) throw new ConflictError(`contact ${contact.id} exists`);
    this.#checkOrganization(refs);
    this.contacts.set(contact.id, copy(contact));
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
    if (!current || current.version !== before.version) {
      throw new VersionMismatchError('contact', before.id, current ? copy(current) : null);
    }
    if (refs.contact_id !== before.contact_id) this.#checkOrganization(refs);
    this.contacts.set(after.id, copy(after));
    this.writes.push({ op: 'update', refs: copy(refs) });
    this.events.push(...copy(events));
  }

  async delete(contact: Contact, events: DomainEvent[]): Promise<void> {
    const current = this.contacts.get(contact.id);
    if (!current || current.version !== contact.version) {
      throw new VersionMismatchError('contact', contact.id, current ?? null);
    }
    if ([...this.contacts.values()].some((c) => c.contact_id === contact.id)) {
      throw new ConflictError(`Organisation ${contact.id} still has people`);
    }
    this.contacts.delete(contact.id);
    this.writes.push({ op: 'delete' });
    this.events.push(...copy(events));
  }

  #matches(query: ContactListQuery): Contact[] {
    return [...this.contacts.values()].filter(
      (c) =>
        (query.owners === 'all' || query.owners.includes(c.owner_id)) &&
        (query.contact_id === undefined || c.contact_id === query.contact_id),
    );
  }

  async list(query: ContactListQuery, page: PageQuery): Promise<Page<Contact>> {
    return pageOf(this.#matches(query), query.order, page);
  }

  async collect(query: ContactListQuery, max: number): Promise<{ items: Contact[]; truncated: boolean }> {
    const all = this.#matches(query);
    return { items: all.slice(0, max).map(copy), truncated: all.length > max };
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
