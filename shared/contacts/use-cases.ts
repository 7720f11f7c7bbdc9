import {
  checkContact,
  contactInputProblems,
  newContact,
  type Contact,
  type ContactView,
  type CreateContactInput,
  type CustomerStatus,
  type ProspectStatus,
  type UpdateContactInput,
} from './domain.ts';
import { EMPTY_ADDRESS, mergeAddress } from './details.ts';
import type { CustomFieldDefinition } from '#shared/custom-fields/domain.ts';
import { parseCustomFieldFilters } from '#shared/custom-fields/domain.ts';
import type { DealView } from '#shared/deals/domain.ts';
import { normalizeTags } from '#shared/deals/domain.ts';
import { ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import { changedFields, domainEvent, type DomainEvent } from '#shared/kernel/events.ts';
import { ownersToQuery, scopeOf } from '#shared/kernel/visibility.ts';
import type { ContactDeals, ContactListQuery, ContactReferences, ContactRepository } from './ports.ts';
import { addressFilterOf } from '#shared/leads/use-cases.ts';
import { checkAssignee, visibleOwned } from '#shared/kernel/ownership.ts';
import { fieldNamesOf, filteredFieldNames, storedCustomFields, withCustomFieldNames } from '#shared/custom-fields/use-cases.ts';
import type { Call, Page, PageQuery } from '#shared/kernel/ports.ts';
import { sortedPage, textKey } from '#shared/kernel/sorted-lists.ts';
import { checkIfMatch, updateVersioned } from '#shared/kernel/versioned-update.ts';

// Contacts (F3.2): people and organisations, over ports. Visibility is the domain's policy: a
// contact the caller may not see is "not found". Statuses follow the deals (contact-status.ts);
// a request may only say "past customer".

export interface ContactsDeps {
  contacts: ContactRepository;
  customFields: { definitions(resource: 'contact', naming?: Iterable<string>): Promise<CustomFieldDefinition[]> };
  deals: ContactDeals;
}

export const CONTACT_SORT_FIELDS = ['created_at', 'updated_at', 'name', 'first_name', 'last_name'] as const;
export type ContactSortField = (typeof CONTACT_SORT_FIELDS)[number];

const present = (definitions: CustomFieldDefinition[], contact: Contact): ContactView =>
  withCustomFieldNames(definitions, contact);

async function view(deps: ContactsDeps, contact: Contact): Promise<ContactView> {
  return present(await deps.customFields.definitions('contact'), contact);
}

async function visibleContact(deps: ContactsDeps, call: Call, id: string, forChange = false): Promise<Contact> {
  return visibleOwned('contact', id, await deps.contacts.get(id), call.principal, { forChange });
}

export async function getContact(deps: ContactsDeps, call: Call, id: string): Promise<ContactView> {
  return view(deps, await visibleContact(deps, call, id));
}

export const contactRefsOf = (contact: Contact): ContactReferences => ({
  owner_id: contact.owner_id,
  source_id: contact.source_id,
  contact_id: contact.contact_id,
});

export const contactResource = (contact: Pick<Contact, 'id'>) => ({ resource_type: 'contact', resource_id: contact.id });

export async function createContact(deps: ContactsDeps, call: Call, input: CreateContactInput): Promise<ContactView> {
  const isOrganization = input.is_organization ?? false;
  const problems = contactInputProblems(input, isOrganization);
  if (problems.length > 0) throw new ValidationError(problems);
  const owner = input.owner_id ?? call.principal.user_id;
  checkAssignee(call.principal, owner, 'contact');
  const now = call.events.now.toISOString();
  const definitions = await deps.customFields.definitions('contact', fieldNamesOf(input.custom_fields));
  const contact = newContact(
    {
      ...input,
      name: input.name ?? '',
      is_organization: isOrganization,
      owner_id: owner,
      address: mergeAddress(EMPTY_ADDRESS, input.address),
      billing_address: mergeAddress(EMPTY_ADDRESS, input.billing_address),
      shipping_address: mergeAddress(EMPTY_ADDRESS, input.shipping_address),
      tags: normalizeTags(input.tags ?? []),
      custom_fields: storedCustomFields(definitions, input.custom_fields, {}),
    },
    { id: call.events.newId(), creator_id: call.principal.user_id, now },
  );
  await deps.contacts.create(contact, { ...contactRefsOf(contact), scope: scopeOf(call.principal) }, [
    domainEvent(call.events, 'contact.created', contactResource(contact), contact),
  ]);
  return present(definitions, contact);
}

export async function updateContact(
  deps: ContactsDeps,
  call: Call,
  id: string,
  patch: UpdateContactInput,
  ifMatch?: number,
): Promise<ContactView> {
  return updateVersioned({
    resource: 'contact',
    id,
    ifMatch,
    load: () => visibleContact(deps, call, id, true),
    reload: () => deps.contacts.get(id),
    present: (contact) => view(deps, contact),
    apply: (before) => applyPatch(deps, call, before, patch),
  });
}

async function applyPatch(deps: ContactsDeps, call: Call, before: Contact, patch: UpdateContactInput): Promise<ContactView> {
  const problems = contactInputProblems(patch, before.is_organization);
  if (patch.is_organization !== undefined && patch.is_organization !== before.is_organization) {
    problems.push({
      field: 'body.is_organization',
      message: 'is fixed when the contact is created; create a new contact to change it',
    });
  }
  if (problems.length > 0) throw new ValidationError(problems);
  const definitions = await deps.customFields.definitions('contact', fieldNamesOf(patch.custom_fields));
  const {
    custom_fields,
    tags,
    address,
    billing_address,
    shipping_address,
    is_organization: _fixed,
    prospect_status: _computed,
    ...plain
  } = patch;
  const merged: Contact = { ...before };
  for (const [key, v] of Object.entries(plain)) if (v !== undefined) (merged as unknown as Record<string, unknown>)[key] = v;
  if (before.is_organization && merged.name === null) merged.name = '';
  if (tags !== undefined) merged.tags = normalizeTags(tags);
  merged.address = mergeAddress(before.address, address);
  merged.billing_address = mergeAddress(before.billing_address, billing_address);
  merged.shipping_address = mergeAddress(before.shipping_address, shipping_address);
  if (custom_fields !== undefined) merged.custom_fields = storedCustomFields(definitions, custom_fields, before.custom_fields);
  if (merged.owner_id !== before.owner_id) checkAssignee(call.principal, merged.owner_id, 'contact');
  const after = checkContact(merged);

  const previous = changedFields(before, after);
  if (Object.keys(previous).length === 0) return present(definitions, before);
  after.updated_at = call.events.now.toISOString();
  after.version = before.version + 1;
  const events: DomainEvent[] = [domainEvent(call.events, 'contact.updated', contactResource(after), after, { previous })];
  if (after.owner_id !== before.owner_id) {
    events.push(
      domainEvent(call.events, 'contact.owner_changed', contactResource(after), after, {
        previous: { owner_id: before.owner_id },
      }),
    );
  }
  await deps.contacts.update(before, after, { ...contactRefsOf(after), scope: scopeOf(call.principal) }, events);
  return present(definitions, after);
}

/**
 * Deletes the contact and does what that does to what points at it (the repository's delete).
 * Without If-Match, a change meanwhile (the contact-status consumer follows its deals) is not
 * the caller's conflict: the delete reads the contact again, up to three times.
 */
export async function deleteContact(deps: ContactsDeps, call: Call, id: string, ifMatch?: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const contact = await visibleContact(deps, call, id, true);
    await checkIfMatch('contact', id, contact, ifMatch, (r) => view(deps, r));
    try {
      const event = domainEvent(call.events, 'contact.deleted', contactResource(contact), contact);
      await deps.contacts.delete(contact, [event], call.events);
      return;
    } catch (error) {
      if (ifMatch !== undefined || !(error instanceof VersionMismatchError) || attempt >= 3) throw error;
    }
  }
}

export interface ContactListRequest {
  limit: number;
  cursor?: string | undefined;
  owner_id?: string | undefined;
  contact_id?: string | undefined;
  is_organization?: boolean | undefined;
  source_id?: string | undefined;
  prospect_status?: ProspectStatus | undefined;
  customer_status?: CustomerStatus | undefined;
  city?: string | undefined;
  state?: string | undefined;
  country?: string | undefined;
  postal_code?: string | undefined;
  tags?: string | undefined;
  sort_by?: ContactSortField | undefined;
  sort_order?: 'asc' | 'desc' | undefined;
  /** Everything else of the query string: the custom_fields[<name>] filters. */
  raw: Record<string, unknown>;
}

export async function listContacts(deps: ContactsDeps, call: Call, request: ContactListRequest): Promise<Page<ContactView>> {
  const owners = ownersToQuery(scopeOf(call.principal), request.owner_id);
  const definitions = await deps.customFields.definitions('contact', filteredFieldNames(request.raw));
  const filters = parseCustomFieldFilters(definitions, request.raw);
  if (owners !== 'all' && owners.length === 0) return { items: [], next_cursor: null };
  const sortBy = request.sort_by ?? 'created_at';
  const query: ContactListQuery = {
    owners,
    contact_id: request.contact_id,
    is_organization: request.is_organization,
    source_id: request.source_id,
    prospect_status: request.prospect_status,
    customer_status: request.customer_status,
    address: addressFilterOf(request),
    tags: request.tags ? normalizeTags(request.tags.split(',')) : undefined,
    custom_fields: filters,
    order: request.sort_order ?? 'desc',
  };
  const page = await sortedPage(deps.contacts, query, {
    sortBy,
    order: query.order,
    key: (contact) => (sortBy === 'created_at' || sortBy === 'updated_at' ? contact[sortBy] : textKey(contact[sortBy])),
    page: { limit: request.limit, cursor: request.cursor },
    noun: 'contacts',
  });
  return { items: page.items.map((contact) => present(definitions, contact)), next_cursor: page.next_cursor };
}

/** The deals of a contact the caller can see (primary or associated), within their visibility. */
export async function listContactDeals(deps: ContactsDeps, call: Call, id: string, page: PageQuery): Promise<Page<DealView>> {
  await visibleContact(deps, call, id);
  return deps.deals.ofContact(call, id, page);
}
