import type { CustomFieldFilter } from '#shared/custom-fields/domain.ts';
import type { DomainEvent, EventContext } from '#shared/kernel/events.ts';
import type { Lead, LeadStatus } from './domain.ts';
import type { AddressFilter } from '#shared/contacts/ports.ts';
import type { SortableRepository } from '#shared/kernel/sorted-lists.ts';

/** References a lead write must find valid when it lands (checked inside the transaction). */
export interface LeadReferences {
  owner_id: string;
  source_id: string | null;
  unqualified_reason_id: string | null;
}

export interface LeadListQuery {
  /** Owners in the caller's scope (already narrowed by owner_id), or all for admins. */
  owners: 'all' | readonly string[];
  status?: LeadStatus | undefined;
  source_id?: string | undefined;
  /** Address parts, as addressFilterValue normalises them. */
  address?: AddressFilter | undefined;
  /** Leads carrying every one of these tags. */
  tags?: readonly string[] | undefined;
  custom_fields?: readonly CustomFieldFilter[] | undefined;
  order: 'asc' | 'desc';
}

export interface LeadRepository extends SortableRepository<LeadListQuery, Lead> {
  get(id: string): Promise<Lead | undefined>;
  /** One transaction: the lead, its search terms, field counts, reference checks, events. */
  create(lead: Lead, refs: LeadReferences, events: DomainEvent[]): Promise<void>;
  /** VersionMismatchError when `before` is stale; ValidationError naming a bad reference. */
  update(before: Lead, after: Lead, refs: LeadReferences, events: DomainEvent[]): Promise<void>;
  /** The lead, with its notes and tasks (their events beside `events`, made with `ctx`). */
  delete(lead: Lead, events: DomainEvent[], ctx?: EventContext): Promise<void>;
}
