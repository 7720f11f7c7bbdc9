import type { LeadListQuery, LeadReferences, LeadRepository } from './ports.ts';
import { valueCountChanges } from '#shared/custom-fields/domain.ts';
import type { DomainEvent, EventContext } from '#shared/kernel/events.ts';
import { leadDisplayName, type Lead, type LeadStatus } from './domain.ts';
import { searchTerms } from '#shared/search/domain.ts';
import { customFieldCountOps } from '#shared/custom-fields/dynamodb.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import { ListFilter, tagFilterAttributes } from '#shared/platform/dynamodb/list-filters.ts';
import { addressFilterAttributes } from '#shared/contacts/dynamodb.ts';
import { indexKeys, indexPartition, indexPartitions } from '#shared/platform/dynamodb/partitions.ts';
import {
  activeUserCheck,
  backReferenceItem,
  cascadeContext,
  DeleteCascade,
  type Detachment,
} from '#shared/platform/dynamodb/reference-checks.ts';
import { noteDetachments } from '#shared/notes/dynamodb.ts';
import { taskDetachments } from '#shared/tasks/dynamodb.ts';
import { appointmentDetachments } from '#shared/appointments/dynamodb.ts';
import { namedEntryCheck } from '#shared/pipelines/dynamodb.ts';
import { searchIndexOps, type Searchable } from '#shared/search/index-terms.ts';
import { phoneIndexOps, type PhoneIndexed } from '#shared/calls/dynamodb.ts';
import { INDEX } from '#shared/platform/dynamodb/table-spec.ts';
import type { Item, ItemKeys, PartitionQuery, Table, WriteOp } from '#shared/platform/dynamodb/table.ts';
import {
  ListedRepository,
  versionedDelete,
  versionedReplace,
  type ListPlan,
  type VersionedKind,
} from '#shared/platform/dynamodb/versioned.ts';

// Leads on the single table. A lead's partition ("lead#<id>", recordKey) holds the lead and
// its search terms. Lists read the partitions of leadIndex.

const leadKey = (id: string) => recordKey('lead', id);
const LEAD: VersionedKind<Lead> = { name: 'lead', key: leadKey };

/** The partitions lead lists read, newest first (ULIDs): a rep's "new leads" is one Query. */
export const leadIndex = {
  byOwner: indexPartitions<[ownerId: string]>(INDEX.owner, 'lead'),
  all: indexPartition(INDEX.all, 'lead'),
  byStatus: indexPartitions<[status: LeadStatus]>(INDEX.relation, 'lead_status'),
  byStatusOwner: indexPartitions<[status: LeadStatus, ownerId: string]>(INDEX.relationOwner, 'lead_status'),
};

function leadItem(lead: Lead): Item & ItemKeys {
  const keys = indexKeys(
    lead.id,
    leadIndex.byOwner(lead.owner_id),
    leadIndex.all(),
    leadIndex.byStatus(lead.status),
    leadIndex.byStatusOwner(lead.status, lead.owner_id),
  );
  return {
    ...leadKey(lead.id),
    ...keys,
    kind: 'lead',
    ...lead,
    ...addressFilterAttributes(lead.address),
    ...tagFilterAttributes(lead.tags),
  };
}

/**
 * A lead is found by its person's name, its organisation and its e-mail (F1.6) until it is
 * converted: then the contact it became is what people look for.
 */
function searchable(lead: Lead): Searchable | null {
  if (lead.status === 'converted') return null;
  return {
    kind: 'lead',
    id: lead.id,
    name: leadDisplayName(lead),
    email: lead.email,
    owner_id: lead.owner_id,
    terms: searchTerms([`${lead.first_name ?? ''} ${lead.last_name ?? ''}`, lead.organization_name], [lead.email]),
  };
}

function referenceChecks(refs: LeadReferences, before: LeadReferences | null): WriteOp[] {
  const ops: WriteOp[] = [];
  if (!before || before.owner_id !== refs.owner_id) ops.push(activeUserCheck(refs.owner_id));
  if (refs.source_id && refs.source_id !== before?.source_id) {
    ops.push(namedEntryCheck('source', refs.source_id, 'body.source_id'));
  }
  if (refs.unqualified_reason_id && refs.unqualified_reason_id !== before?.unqualified_reason_id) {
    ops.push(namedEntryCheck('lead_unqualified_reason', refs.unqualified_reason_id, 'body.unqualified_reason_id'));
  }
  return ops;
}

const refsOf = (lead: Lead): LeadReferences => ({
  owner_id: lead.owner_id,
  source_id: lead.source_id,
  unqualified_reason_id: lead.unqualified_reason_id,
});

/**
 * The writes that mark a lead converted (F3.3), for the conversion to put in ITS transaction
 * beside the contact, organisation and deal it creates: the lead replaced by `after` (from
 * leadAsConverted) only while the table holds `before` (VersionMismatchError otherwise), its
 * search terms removed, and its custom field counts moved if `after` changed them. Events are
 * the caller's (Table.write's second argument).
 */
export function leadConvertOps(before: Lead, after: Lead): WriteOp[] {
  const from = { resource_type: 'lead', resource_id: after.id, key: leadKey(after.id) };
  const targets = [
    ['contact', 'converted_contact_id'],
    ['contact', 'converted_organization_id'],
    ['deal', 'converted_deal_id'],
  ] as const;
  return [
    versionedReplace(LEAD, before, leadItem(after)),
    // No index finds a lead by what it became: the records it became name it, so that deleting
    // one clears the lead's reference to it (backReferenceDetachments).
    ...targets.flatMap(([type, field]): WriteOp[] => {
      const id = after[field];
      return id ? [{ type: 'put', item: backReferenceItem(recordKey(type, id).pk, id, from, field) }] : [];
    }),
    ...customFieldCountOps(valueCountChanges(before.custom_fields, after.custom_fields)),
    ...searchIndexOps(searchable(before), searchable(after)),
    ...phoneIndexOps(phones(before), phones(after)),
  ];
}

/** The lead as the phone index reads it (its phone and mobile; shared/calls). */
const phones = (lead: Lead): PhoneIndexed => ({ ...lead, type: 'lead' });

/** A lead's notes and tasks: they go with it; its appointments are unlinked. */
async function leadFollowers(table: Table, leadId: string, ctx: EventContext): Promise<Detachment[]> {
  const ref = { resource_type: 'lead', resource_id: leadId } as const;
  const [notes, tasks, appointments] = await Promise.all([
    noteDetachments(table, ref, ctx),
    taskDetachments(table, ref, ctx),
    appointmentDetachments(table, ref, ctx),
  ]);
  return [...notes, ...tasks, ...appointments];
}

export class DynamoLeadRepository extends ListedRepository<LeadListQuery, Lead> implements LeadRepository {
  protected readonly kind = LEAD;

  async create(lead: Lead, refs: LeadReferences, events: DomainEvent[]): Promise<void> {
    await this.table.write(
      [
        { type: 'create', item: leadItem(lead) },
        ...referenceChecks(refs, null),
        ...customFieldCountOps(valueCountChanges({}, lead.custom_fields)),
        ...searchIndexOps(null, searchable(lead)),
        ...phoneIndexOps(null, phones(lead)),
      ],
      events,
    );
  }

  async update(before: Lead, after: Lead, refs: LeadReferences, events: DomainEvent[]): Promise<void> {
    await this.table.write(
      [
        versionedReplace(LEAD, before, leadItem(after)),
        ...referenceChecks(refs, refsOf(before)),
        ...customFieldCountOps(valueCountChanges(before.custom_fields, after.custom_fields)),
        ...searchIndexOps(searchable(before), searchable(after)),
        ...phoneIndexOps(phones(before), phones(after)),
      ],
      events,
    );
  }

  /** The lead, its search terms, and its notes and tasks (README "What deleting a record does to what points at it"). */
  async delete(lead: Lead, events: DomainEvent[], ctx: EventContext = cascadeContext(events)): Promise<void> {
    // The partition holds the lead, its search terms (at most MAX_SEARCH_TERMS) and phone index items.
    const key = leadKey(lead.id);
    const children = (await this.table.partition(key.pk)).filter((i) => i.sk !== key.sk);
    const own: WriteOp[] = [
      versionedDelete(LEAD, lead),
      ...customFieldCountOps(valueCountChanges(lead.custom_fields, {})),
      ...children.map((i): WriteOp => ({ type: 'remove', key: { pk: String(i.pk), sk: String(i.sk) } })),
    ];
    const cascade = new DeleteCascade(this.table, () => leadFollowers(this.table, lead.id, ctx));
    const rest = await cascade.fitting(100 - own.length - events.length);
    await this.table.write([...own, ...rest.ops], [...events, ...rest.events]);
    await cascade.sweep();
  }

  /** Which partitions to read (by status when asked, per owner in scope) and what to filter. */
  protected plan(query: LeadListQuery): ListPlan {
    const owners = query.owners === 'all' ? null : [...query.owners];
    const status = query.status;
    let partitions: PartitionQuery[];
    if (status) {
      partitions = owners ? owners.map((o) => leadIndex.byStatusOwner(status, o)) : [leadIndex.byStatus(status)];
    } else {
      partitions = owners ? owners.map((o) => leadIndex.byOwner(o)) : [leadIndex.all()];
    }
    const filter = new ListFilter()
      .eq('source_id', query.source_id)
      .eqEach('_address_', query.address)
      .tagged(query.tags)
      .mapEntries('custom_fields', query.custom_fields)
      .build();
    return { partitions, order: query.order, ...(filter ? { filter } : {}) };
  }
}
