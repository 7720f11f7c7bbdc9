import type { CustomFieldFilter } from '#shared/custom-fields/domain.ts';
import type { AssociatedContact, Deal, StageChange } from './domain.ts';
import type { DomainEvent, EventContext } from '#shared/kernel/events.ts';
import type { Page } from '#shared/kernel/ports.ts';
import type { SortPosition } from '#shared/kernel/sorted-lists.ts';
import type { Scope } from '#shared/kernel/visibility.ts';

/** References a deal write must find valid when it lands (checked inside the transaction). */
export interface DealReferences {
  owner_id: string;
  /** Null when the contact is created in the same write (lead conversion). */
  contact_id: string | null;
  organization_id: string | null;
  source_id: string | null;
  loss_reason_id: string | null;
  unqualified_reason_id: string | null;
  /** Whose contacts contact_id and organization_id may name (the caller's scope); absent: anyone's. */
  scope?: Scope | undefined;
}

export interface DealListQuery {
  /** Owners in the caller's scope (already narrowed by owner_id), or all for admins. */
  owners: 'all' | readonly string[];
  stage_id?: string | undefined;
  pipeline_id?: string | undefined;
  contact_id?: string | undefined;
  organization_id?: string | undefined;
  hot?: boolean | undefined;
  source_id?: string | undefined;
  estimated_close_date_from?: string | undefined;
  estimated_close_date_to?: string | undefined;
  value_from_minor?: number | undefined;
  value_to_minor?: number | undefined;
  /** Deals carrying every one of these tags. */
  tags?: readonly string[] | undefined;
  custom_fields?: readonly CustomFieldFilter[] | undefined;
  order: 'asc' | 'desc';
}

/** Count and total value of the deals in one stage, for one owner and currency. */
export interface StageStat {
  stage_id: string;
  owner_id: string;
  currency: string;
  count: number;
  value_minor: number;
}

export interface DealRepository {
  get(id: string): Promise<Deal | undefined>;
  create(deal: Deal, refs: DealReferences, events: DomainEvent[]): Promise<void>;
  /** One transaction: the deal, its stage history, stage and board counters, field counts. */
  update(before: Deal, after: Deal, refs: DealReferences, events: DomainEvent[]): Promise<void>;
  /** The deal with its history and links, its notes and tasks (their events beside `events`, made with `ctx`). */
  delete(deal: Deal, events: DomainEvent[], ctx?: EventContext): Promise<void>;
  list(query: DealListQuery, page: { limit: number; cursor?: string | undefined }): Promise<Page<Deal>>;
  /** Up to `max` matching deals, for orders no index serves. */
  collect(query: DealListQuery, max: number): Promise<{ items: Deal[]; truncated: boolean }>;
  keysetCursor(shape: unknown, after: SortPosition): Promise<string>;
  readKeysetCursor(shape: unknown, cursor: string | undefined): Promise<SortPosition | null>;
  stageChanges(dealId: string): Promise<StageChange[]>;
  associatedContacts(dealId: string): Promise<AssociatedContact[]>;
  /** Links a contact that exists and lies in `scope` (else 422 unknown_reference, alike). */
  associate(deal: Deal, link: AssociatedContact, events: DomainEvent[], scope?: Scope): Promise<void>;
  dissociate(deal: Deal, contactId: string, events: DomainEvent[]): Promise<void>;
  /** The board's counters of a pipeline: one read whatever the number of deals. */
  stageStats(pipelineId: string): Promise<StageStat[]>;
  /** Ids of deals in a stage, oldest first (for moving them all). */
  idsInStage(stageId: string, limit: number): Promise<string[]>;
}
