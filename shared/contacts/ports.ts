import type { Contact, ProspectStatus, CustomerStatus } from './domain.ts';
import type { AddressPart } from './details.ts';
import type { CustomFieldFilter } from '#shared/custom-fields/domain.ts';
import type { DealView } from '#shared/deals/domain.ts';
import type { DomainEvent, EventContext } from '#shared/kernel/events.ts';
import type { Call, Page, PageQuery } from '#shared/kernel/ports.ts';
import type { SortableRepository } from '#shared/kernel/sorted-lists.ts';
import type { Scope } from '#shared/kernel/visibility.ts';

/** Filters on address parts (normalised by addressFilterValue); line1 is not filtered on. */
export type AddressFilter = Partial<Record<Exclude<AddressPart, 'line1'>, string>>;

/** References a contact write must find valid when it lands (checked inside the transaction). */
export interface ContactReferences {
  owner_id: string;
  source_id: string | null;
  /** A person's organisation: must be an organisation contact. */
  contact_id: string | null;
  /** Whose organisations contact_id may name (the caller's scope); absent: anyone's. */
  scope?: Scope | undefined;
}

export interface ContactListQuery {
  /** Owners in the caller's scope (already narrowed by owner_id), or all for admins. */
  owners: 'all' | readonly string[];
  /** People of this organisation. */
  contact_id?: string | undefined;
  is_organization?: boolean | undefined;
  source_id?: string | undefined;
  prospect_status?: ProspectStatus | undefined;
  customer_status?: CustomerStatus | undefined;
  address?: AddressFilter | undefined;
  tags?: readonly string[] | undefined;
  custom_fields?: readonly CustomFieldFilter[] | undefined;
  order: 'asc' | 'desc';
}

export interface ContactRepository extends SortableRepository<ContactListQuery, Contact> {
  get(id: string): Promise<Contact | undefined>;
  /**
   * One transaction: the contact, its search terms, field counts, reference checks (the
   * organisation of a person exists and is one), the organisation's count of people, events.
   */
  create(contact: Contact, refs: ContactReferences, events: DomainEvent[]): Promise<void>;
  /** VersionMismatchError when `before` is stale; ValidationError naming a bad reference. */
  update(before: Contact, after: Contact, refs: ContactReferences, events: DomainEvent[]): Promise<void>;
  /** ConflictError for an organisation that still has people. */
  /**
   * The contact, and what it does to what points at it (README "What deleting a record does to
   * what points at it"): their events beside `events`, made with `ctx`.
   */
  delete(contact: Contact, events: DomainEvent[], ctx?: EventContext): Promise<void>;
}

/** The deals of a contact (primary or associated) the caller may see: the deals module's list. */
export interface ContactDeals {
  ofContact(call: Call, contactId: string, page: PageQuery): Promise<Page<DealView>>;
}

/** The stages of every deal of a contact (primary or associated), whoever owns them. */
export interface ContactDealStages {
  /** Stage ids of up to `max` deals, newest first; `truncated` when the contact has more. */
  stageIdsOf(contactId: string, max: number): Promise<{ stage_ids: string[]; truncated: boolean }>;
}
