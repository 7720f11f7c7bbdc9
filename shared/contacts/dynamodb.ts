import type { ContactListQuery, ContactReferences, ContactRepository } from './ports.ts';
import type { Contact } from './domain.ts';
import { addressFilterValue, type Address } from './details.ts';
import { valueCountChanges } from '#shared/custom-fields/domain.ts';
import { domainEvent, type DomainEvent, type EventContext } from '#shared/kernel/events.ts';
import { searchTerms } from '#shared/search/domain.ts';
import { customFieldCountOps } from '#shared/custom-fields/dynamodb.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import { ListFilter, tagFilterAttributes } from '#shared/platform/dynamodb/list-filters.ts';
import { indexKeys, indexPartition, indexPartitions } from '#shared/platform/dynamodb/partitions.ts';
import {
  activeUserCheck,
  backReferenceDetachments,
  cascadeContext,
  DeleteCascade,
  GATHER_MAX,
  organizationCheck,
  withoutDuplicateChecks,
  type Detachment,
} from '#shared/platform/dynamodb/reference-checks.ts';
import { dealDetachments } from '#shared/deals/dynamodb.ts';
import { noteDetachments } from '#shared/notes/dynamodb.ts';
import { taskDetachments } from '#shared/tasks/dynamodb.ts';
import { appointmentDetachments } from '#shared/appointments/dynamodb.ts';
import { namedEntryCheck } from '#shared/pipelines/dynamodb.ts';
import { searchIndexOps, type Searchable } from '#shared/search/index-terms.ts';
import { phoneIndexOps, type PhoneIndexed } from '#shared/calls/dynamodb.ts';
import { INDEX } from '#shared/platform/dynamodb/table-spec.ts';
import {
  fromItem,
  type Item,
  type ItemKeys,
  type PartitionQuery,
  type Table,
  type WriteOp,
} from '#shared/platform/dynamodb/table.ts';
import {
  ListedRepository,
  versionedDelete,
  versionedReplace,
  type ListPlan,
  type VersionedKind,
} from '#shared/platform/dynamodb/versioned.ts';

/** Address parts as lists filter them (normalised, see addressFilterValue): internal attributes. */
export function addressFilterAttributes(address: Address): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const part of ['city', 'state', 'country', 'postal_code'] as const) {
    const value = addressFilterValue(address[part]);
    if (value !== null) attributes[`_address_${part}`] = value;
  }
  return attributes;
}

// Contacts on the single table. A contact's partition ("contact#<id>", recordKey) holds the
// contact, its search terms and, for an organisation, the count of its people (kept by the
// people's writes, in their transactions, so that an organisation with people is never
// deleted from under them). Lists read the partitions of contactIndex.

const contactKey = (id: string) => recordKey('contact', id);
const CONTACT: VersionedKind<Contact> = { name: 'contact', key: contactKey };

/** How many people belong to an organisation contact: an item in its partition, moved by people's writes. */
export const organizationPeopleKey = (organizationId: string) => ({ pk: contactKey(organizationId).pk, sk: 'people' });

/** The partitions contact lists read, newest first (ULIDs). */
export const contactIndex = {
  byOwner: indexPartitions<[ownerId: string]>(INDEX.owner, 'contact'),
  all: indexPartition(INDEX.all, 'contact'),
  /** The people of an organisation. */
  byOrganization: indexPartitions<[organizationId: string]>(INDEX.relation, 'contact_org'),
};

function contactItem(contact: Contact): Item & ItemKeys {
  const keys = indexKeys(
    contact.id,
    contactIndex.byOwner(contact.owner_id),
    contactIndex.all(),
    contact.contact_id ? contactIndex.byOrganization(contact.contact_id) : null,
  );
  return {
    ...contactKey(contact.id),
    ...keys,
    kind: 'contact',
    ...contact,
    ...addressFilterAttributes(contact.address),
    ...tagFilterAttributes(contact.tags),
  };
}

/** A contact is found by its name (an organisation's, or a person's first and last) and e-mail. */
function searchable(contact: Contact): Searchable {
  return {
    kind: 'contact',
    id: contact.id,
    name: contact.name,
    email: contact.email,
    owner_id: contact.owner_id,
    terms: searchTerms([contact.name], [contact.email]),
  };
}

const refsOf = (contact: Contact): ContactReferences => ({
  owner_id: contact.owner_id,
  source_id: contact.source_id,
  contact_id: contact.contact_id,
});

function peopleCount(organizationId: string, delta: number): WriteOp {
  return {
    type: 'update',
    key: organizationPeopleKey(organizationId),
    update: 'SET kind = :kind, organization_id = :org ADD people :d',
    values: { ':kind': 'organization_people', ':org': organizationId, ':d': delta },
  };
}

/** People moved in and out of organisations by some writes, as one count change per organisation. */
function peopleCountOps(moves: readonly { from: string | null; to: string | null }[]): WriteOp[] {
  const deltas = new Map<string, number>();
  for (const { from, to } of moves) {
    if (from === to) continue;
    if (from) deltas.set(from, (deltas.get(from) ?? 0) - 1);
    if (to) deltas.set(to, (deltas.get(to) ?? 0) + 1);
  }
  return [...deltas].filter(([, d]) => d !== 0).map(([org, d]) => peopleCount(org, d));
}

function referenceChecks(refs: ContactReferences, before: ContactReferences | null, createdTogether: ReadonlySet<string>) {
  const ops: WriteOp[] = [];
  if (!before || before.owner_id !== refs.owner_id) ops.push(activeUserCheck(refs.owner_id));
  if (refs.source_id && refs.source_id !== before?.source_id)
    ops.push(namedEntryCheck('source', refs.source_id, 'body.source_id'));
  if (refs.contact_id && refs.contact_id !== before?.contact_id && !createdTogether.has(refs.contact_id)) {
    ops.push(organizationCheck(refs.contact_id, 'body.contact_id', refs.scope));
  }
  return ops;
}

/**
 * The writes that create contacts, for a caller's transaction (a lead conversion creates the
 * person and, if asked, their organisation; give both here, in one call): each contact with
 * its search terms, the reference checks (owner active, source exists, a person's
 * organisation exists and is one, unless it is created in the same call), the people count of
 * organisations, and the custom field counts, each item written once. Events are the caller's
 * (Table.write's second argument); join with other modules' ops through withoutDuplicateChecks.
 */
export function contactCreateOps(...contacts: readonly { contact: Contact; refs: ContactReferences }[]): WriteOp[] {
  const created = new Set(contacts.filter((c) => c.contact.is_organization).map((c) => c.contact.id));
  const counts: Record<string, number> = {};
  for (const { contact } of contacts) {
    for (const [id, d] of Object.entries(valueCountChanges({}, contact.custom_fields))) counts[id] = (counts[id] ?? 0) + d;
  }
  return withoutDuplicateChecks([
    ...contacts.map(({ contact }): WriteOp => ({ type: 'create', item: contactItem(contact) })),
    ...contacts.flatMap(({ refs }) => referenceChecks(refs, null, created)),
    ...peopleCountOps(contacts.map(({ contact }) => ({ from: null, to: contact.contact_id }))),
    ...customFieldCountOps(counts),
    ...contacts.flatMap(({ contact }) => searchIndexOps(null, searchable(contact))),
    ...contacts.flatMap(({ contact }) => phoneIndexOps(null, phones(contact))),
  ]);
}

/** The contact as the phone index reads it (its phone and mobile; shared/calls). */
const phones = (contact: Contact): PhoneIndexed => ({ ...contact, type: 'contact' });

export class DynamoContactRepository extends ListedRepository<ContactListQuery, Contact> implements ContactRepository {
  protected readonly kind = CONTACT;

  async create(contact: Contact, refs: ContactReferences, events: DomainEvent[]): Promise<void> {
    await this.table.write(contactCreateOps({ contact, refs }), events);
  }

  async update(before: Contact, after: Contact, refs: ContactReferences, events: DomainEvent[]): Promise<void> {
    await this.table.write(
      [
        versionedReplace(CONTACT, before, contactItem(after)),
        ...referenceChecks(refs, refsOf(before), new Set()),
        ...peopleCountOps([{ from: before.contact_id, to: after.contact_id }]),
        ...customFieldCountOps(valueCountChanges(before.custom_fields, after.custom_fields)),
        ...searchIndexOps(searchable(before), searchable(after)),
        ...phoneIndexOps(phones(before), phones(after)),
      ],
      events,
    );
  }

  /**
   * The contact with its partition, and what it does to what points at it (README "What
   * deleting a record does to what points at it"): deals keep going without it, its people
   * leave the organisation, its notes and tasks go with it, a lead converted into it keeps no id
   * of it. Each of those writes has its event beside `events`.
   */
  async delete(contact: Contact, events: DomainEvent[], ctx: EventContext = cascadeContext(events)): Promise<void> {
    // The partition holds the contact, its search terms, its phone index items, an
    // organisation's people count and the back-references of leads converted into it.
    const key = contactKey(contact.id);
    const children = (await this.table.partition(key.pk)).filter((i) => i.sk !== key.sk);
    // A person joining meanwhile may create the people count after that read: removed anyway.
    const people = organizationPeopleKey(contact.id);
    if (contact.is_organization && !children.some((i) => i.sk === people.sk)) children.push(people);
    const own: WriteOp[] = [
      versionedDelete(CONTACT, contact),
      ...peopleCountOps([{ from: contact.contact_id, to: null }]),
      ...customFieldCountOps(valueCountChanges(contact.custom_fields, {})),
      ...children.map((i): WriteOp => ({ type: 'remove', key: { pk: String(i.pk), sk: String(i.sk) } })),
    ];
    const cascade = new DeleteCascade(this.table, async () => {
      const ref = { resource_type: 'contact', resource_id: contact.id } as const;
      const found = await Promise.all([
        dealDetachments(this.table, contact.id, ctx),
        contact.is_organization ? peopleDetachments(this.table, contact.id, ctx) : [],
        noteDetachments(this.table, ref, ctx),
        taskDetachments(this.table, ref, ctx),
        appointmentDetachments(this.table, ref, ctx),
        backReferenceDetachments(this.table, children, ctx),
      ]);
      return found.flat();
    });
    const rest = await cascade.fitting(100 - own.length - events.length);
    await this.table.write([...own, ...rest.ops], [...events, ...rest.events]);
    await cascade.sweep();
  }

  /** Which partitions to read (an organisation's people, or per owner in scope) and what to filter. */
  protected plan(query: ContactListQuery): ListPlan {
    const owners = query.owners === 'all' ? null : [...query.owners];
    const filter = new ListFilter();
    let partitions: PartitionQuery[];
    if (query.contact_id) {
      partitions = [contactIndex.byOrganization(query.contact_id)];
      if (owners) filter.in('owner_id', owners);
    } else {
      partitions = owners ? owners.map((o) => contactIndex.byOwner(o)) : [contactIndex.all()];
    }
    const built = filter
      .eq('is_organization', query.is_organization)
      .eq('source_id', query.source_id)
      .eq('prospect_status', query.prospect_status)
      .eq('customer_status', query.customer_status)
      .eqEach('_address_', query.address)
      .tagged(query.tags)
      .mapEntries('custom_fields', query.custom_fields)
      .build();
    return { partitions, order: query.order, ...(built ? { filter: built } : {}) };
  }
}

/** Deleting an organisation detaches its people (contact_id cleared, contact.updated each). */
async function peopleDetachments(table: Table, organizationId: string, ctx: EventContext): Promise<Detachment[]> {
  const { items } = await table.collect({ partitions: [contactIndex.byOrganization(organizationId)], order: 'asc' }, GATHER_MAX);
  return items.map((item) => {
    const before = fromItem<Contact>(item);
    const after: Contact = { ...before, contact_id: null, updated_at: ctx.now.toISOString(), version: before.version + 1 };
    return {
      key: `contact#${before.id}`,
      ops: [versionedReplace(CONTACT, before, contactItem(after))],
      event: domainEvent(ctx, 'contact.updated', { resource_type: 'contact', resource_id: after.id }, after, {
        previous: { contact_id: before.contact_id },
      }),
    };
  });
}
