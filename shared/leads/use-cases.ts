import { addressFilterValue, EMPTY_ADDRESS, mergeAddress } from '#shared/contacts/details.ts';
import type { CustomFieldDefinition } from '#shared/custom-fields/domain.ts';
import { parseCustomFieldFilters } from '#shared/custom-fields/domain.ts';
import { normalizeTags } from '#shared/deals/domain.ts';
import { changedFields, domainEvent, type DomainEvent } from '#shared/kernel/events.ts';
import {
  assertNotConverted,
  checkLead,
  type CreateLeadInput,
  type Lead,
  type LeadStatus,
  type LeadView,
  type UpdateLeadInput,
} from './domain.ts';
import { ownersToQuery, scopeOf } from '#shared/kernel/visibility.ts';
import type { AddressFilter } from '#shared/contacts/ports.ts';
import type { LeadListQuery, LeadReferences, LeadRepository } from './ports.ts';
import { checkAssignee, visibleOwned } from '#shared/kernel/ownership.ts';
import { fieldNamesOf, filteredFieldNames, storedCustomFields, withCustomFieldNames } from '#shared/custom-fields/use-cases.ts';
import type { Call, Page } from '#shared/kernel/ports.ts';
import { sortedPage, textKey } from '#shared/kernel/sorted-lists.ts';
import { checkIfMatch, updateVersioned } from '#shared/kernel/versioned-update.ts';

// Leads (F3.1): every rule of a lead's life up to its conversion, over ports. Visibility is
// the domain's policy: a lead the caller may not see is "not found", so ids leak nothing.

export interface LeadsDeps {
  leads: LeadRepository;
  customFields: { definitions(resource: 'lead', naming?: Iterable<string>): Promise<CustomFieldDefinition[]> };
}

export const LEAD_SORT_FIELDS = ['created_at', 'updated_at', 'first_name', 'last_name', 'organization_name', 'status'] as const;
export type LeadSortField = (typeof LEAD_SORT_FIELDS)[number];

const present = (definitions: CustomFieldDefinition[], lead: Lead): LeadView => withCustomFieldNames(definitions, lead);

async function view(deps: LeadsDeps, lead: Lead): Promise<LeadView> {
  return present(await deps.customFields.definitions('lead'), lead);
}

async function visibleLead(deps: LeadsDeps, call: Call, id: string, forChange = false): Promise<Lead> {
  return visibleOwned('lead', id, await deps.leads.get(id), call.principal, { forChange });
}

export async function getLead(deps: LeadsDeps, call: Call, id: string): Promise<LeadView> {
  return view(deps, await visibleLead(deps, call, id));
}

const refsOf = (lead: Lead): LeadReferences => ({
  owner_id: lead.owner_id,
  source_id: lead.source_id,
  unqualified_reason_id: lead.unqualified_reason_id,
});

export const leadResource = (lead: Pick<Lead, 'id'>) => ({ resource_type: 'lead', resource_id: lead.id });

export async function createLead(deps: LeadsDeps, call: Call, input: CreateLeadInput): Promise<LeadView> {
  const owner = input.owner_id ?? call.principal.user_id;
  checkAssignee(call.principal, owner, 'lead');
  const now = call.events.now.toISOString();
  const definitions = await deps.customFields.definitions('lead', fieldNamesOf(input.custom_fields));
  const lead = checkLead({
    id: call.events.newId(),
    first_name: input.first_name ?? null,
    last_name: input.last_name ?? null,
    organization_name: input.organization_name ?? null,
    title: input.title ?? null,
    description: input.description ?? null,
    status: input.status ?? 'new',
    unqualified_reason_id: input.unqualified_reason_id ?? null,
    owner_id: owner,
    creator_id: call.principal.user_id,
    source_id: input.source_id ?? null,
    email: input.email ?? null,
    phone: input.phone ?? null,
    mobile: input.mobile ?? null,
    website: input.website ?? null,
    industry: input.industry ?? null,
    address: mergeAddress(EMPTY_ADDRESS, input.address),
    tags: normalizeTags(input.tags ?? []),
    custom_fields: storedCustomFields(definitions, input.custom_fields, {}),
    converted_at: null,
    converted_contact_id: null,
    converted_organization_id: null,
    converted_deal_id: null,
    created_at: now,
    updated_at: now,
    version: 1,
  });
  await deps.leads.create(lead, refsOf(lead), [domainEvent(call.events, 'lead.created', leadResource(lead), lead)]);
  return present(definitions, lead);
}

export async function updateLead(
  deps: LeadsDeps,
  call: Call,
  id: string,
  patch: UpdateLeadInput,
  ifMatch?: number,
): Promise<LeadView> {
  // Without If-Match a concurrent change is merged by replaying the patch on the new state;
  // with it, the caller asked to fail instead (412).
  return updateVersioned({
    resource: 'lead',
    id,
    ifMatch,
    load: () => visibleLead(deps, call, id, true),
    reload: () => deps.leads.get(id),
    present: (lead) => view(deps, lead),
    apply: (before) => {
      assertNotConverted(before);
      return applyPatch(deps, call, before, patch);
    },
  });
}

async function applyPatch(deps: LeadsDeps, call: Call, before: Lead, patch: UpdateLeadInput): Promise<LeadView> {
  const definitions = await deps.customFields.definitions('lead', fieldNamesOf(patch.custom_fields));
  const { custom_fields, tags, address, ...plain } = patch;
  const merged: Lead = { ...before };
  for (const [key, v] of Object.entries(plain)) if (v !== undefined) (merged as unknown as Record<string, unknown>)[key] = v;
  if (tags !== undefined) merged.tags = normalizeTags(tags);
  merged.address = mergeAddress(before.address, address);
  if (custom_fields !== undefined) merged.custom_fields = storedCustomFields(definitions, custom_fields, before.custom_fields);
  if (merged.owner_id !== before.owner_id) checkAssignee(call.principal, merged.owner_id, 'lead');
  const after = checkLead(merged);

  const previous = changedFields(before, after);
  if (Object.keys(previous).length === 0) return present(definitions, before);
  after.updated_at = call.events.now.toISOString();
  after.version = before.version + 1;
  const events: DomainEvent[] = [domainEvent(call.events, 'lead.updated', leadResource(after), after, { previous })];
  if (after.status !== before.status) {
    events.push(
      domainEvent(call.events, 'lead.status_changed', leadResource(after), after, {
        previous: { status: before.status, unqualified_reason_id: before.unqualified_reason_id },
      }),
    );
  }
  if (after.owner_id !== before.owner_id) {
    events.push(
      domainEvent(call.events, 'lead.owner_changed', leadResource(after), after, { previous: { owner_id: before.owner_id } }),
    );
  }
  await deps.leads.update(before, after, refsOf(after), events);
  return present(definitions, after);
}

/** A converted lead is kept (read-only) as the record of the conversion: it cannot be deleted. */
export async function deleteLead(deps: LeadsDeps, call: Call, id: string, ifMatch?: number): Promise<void> {
  const lead = await visibleLead(deps, call, id, true);
  await checkIfMatch('lead', id, lead, ifMatch, (r) => view(deps, r));
  assertNotConverted(lead);
  await deps.leads.delete(lead, [domainEvent(call.events, 'lead.deleted', leadResource(lead), lead)], call.events);
}

export interface LeadListRequest {
  limit: number;
  cursor?: string | undefined;
  owner_id?: string | undefined;
  status?: LeadStatus | undefined;
  source_id?: string | undefined;
  city?: string | undefined;
  state?: string | undefined;
  country?: string | undefined;
  postal_code?: string | undefined;
  tags?: string | undefined;
  sort_by?: LeadSortField | undefined;
  sort_order?: 'asc' | 'desc' | undefined;
  /** Everything else of the query string: the custom_fields[<name>] filters. */
  raw: Record<string, unknown>;
}

/** The address filters of a list request, normalised as the records' filter values are. */
export function addressFilterOf(request: Partial<Record<keyof AddressFilter, string | undefined>>): AddressFilter | undefined {
  const filter: AddressFilter = {};
  for (const part of ['city', 'state', 'country', 'postal_code'] as const) {
    const value = request[part] === undefined ? null : addressFilterValue(request[part]);
    if (value !== null) filter[part] = value;
  }
  return Object.keys(filter).length > 0 ? filter : undefined;
}

export async function listLeads(deps: LeadsDeps, call: Call, request: LeadListRequest): Promise<Page<LeadView>> {
  const owners = ownersToQuery(scopeOf(call.principal), request.owner_id);
  const definitions = await deps.customFields.definitions('lead', filteredFieldNames(request.raw));
  const filters = parseCustomFieldFilters(definitions, request.raw);
  if (owners !== 'all' && owners.length === 0) return { items: [], next_cursor: null };
  const sortBy = request.sort_by ?? 'created_at';
  const query: LeadListQuery = {
    owners,
    status: request.status,
    source_id: request.source_id,
    address: addressFilterOf(request),
    tags: request.tags ? normalizeTags(request.tags.split(',')) : undefined,
    custom_fields: filters,
    order: request.sort_order ?? 'desc',
  };
  const page = await sortedPage(deps.leads, query, {
    sortBy,
    order: query.order,
    key: (lead) => (sortBy === 'created_at' || sortBy === 'updated_at' ? lead[sortBy] : textKey(lead[sortBy])),
    page: { limit: request.limit, cursor: request.cursor },
    noun: 'leads',
  });
  return { items: page.items.map((lead) => present(definitions, lead)), next_cursor: page.next_cursor };
}
