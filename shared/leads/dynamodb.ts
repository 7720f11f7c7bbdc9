import type { LeadListQuery, LeadReferences, LeadRepository } from './ports.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import { valueCountChanges } from '#shared/custom-fields/domain.ts';
import { VersionMismatchError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { leadDisplayName, type Lead } from './domain.ts';
import { searchTerms } from '#shared/search/domain.ts';
import { customFieldCountOps } from '#shared/custom-fields/dynamodb.ts';
import { leadKey } from '#shared/platform/dynamodb/keys.ts';
import { ListFilter } from '#shared/platform/dynamodb/list-filters.ts';
import { addressFilterAttributes } from '#shared/contacts/dynamodb.ts';
import { activeUserCheck } from '#shared/platform/dynamodb/reference-checks.ts';
import { namedEntryCheck } from '#shared/pipelines/dynamodb.ts';
import { searchIndexOps, type Searchable } from '#shared/search/index-terms.ts';
import {
  fromItem,
  type Item,
  type ItemKeys,
  type PageRequest,
  type PartitionQuery,
  type Table,
  type WriteOp,
} from '#shared/platform/dynamodb/table.ts';

// Leads on the single table. A lead's partition holds the lead and its search terms. Its
// indexes: gsi1 by owner, gsi2 all, gsi3 by status, gsi4 by status and owner (a rep's "new
// leads" is one query), each newest first (ULIDs).

function leadKeys(lead: Lead): ItemKeys {
  return {
    ...leadKey(lead.id),
    gsi1pk: `lead#${lead.owner_id}`,
    gsi1sk: lead.id,
    gsi2pk: 'lead',
    gsi2sk: lead.id,
    gsi3pk: `lead_status#${lead.status}`,
    gsi3sk: lead.id,
    gsi4pk: `lead_status#${lead.status}#${lead.owner_id}`,
    gsi4sk: lead.id,
  };
}

function leadItem(lead: Lead): Item & ItemKeys {
  return { ...leadKeys(lead), kind: 'lead', ...lead, ...addressFilterAttributes(lead.address) };
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

/** The lead written over `before`, only while `before` is what the table holds. */
function replaceOp(before: Lead, after: Lead): WriteOp {
  return {
    type: 'replace',
    item: leadItem(after),
    expectedVersion: before.version,
    onConflict: (current) => new VersionMismatchError('lead', before.id, current ? fromItem(current) : null),
  };
}

/**
 * The writes that mark a lead converted (F3.3), for the conversion to put in ITS transaction
 * beside the contact, organisation and deal it creates: the lead replaced by `after` (from
 * leadAsConverted) only while the table holds `before` (VersionMismatchError otherwise), its
 * search terms removed, and its custom field counts moved if `after` changed them. Events are
 * the caller's (Table.write's second argument).
 */
export function leadConvertOps(before: Lead, after: Lead): WriteOp[] {
  return [
    replaceOp(before, after),
    ...customFieldCountOps(valueCountChanges(before.custom_fields, after.custom_fields)),
    ...searchIndexOps(searchable(before), searchable(after)),
  ];
}

export class DynamoLeadRepository implements LeadRepository {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async get(id: string): Promise<Lead | undefined> {
    const item = await this.#table.get(leadKey(id));
    return item ? fromItem<Lead>(item) : undefined;
  }

  async create(lead: Lead, refs: LeadReferences, events: DomainEvent[]): Promise<void> {
    await this.#table.write(
      [
        { type: 'create', item: leadItem(lead) },
        ...referenceChecks(refs, null),
        ...customFieldCountOps(valueCountChanges({}, lead.custom_fields)),
        ...searchIndexOps(null, searchable(lead)),
      ],
      events,
    );
  }

  async update(before: Lead, after: Lead, refs: LeadReferences, events: DomainEvent[]): Promise<void> {
    await this.#table.write(
      [
        replaceOp(before, after),
        ...referenceChecks(refs, refsOf(before)),
        ...customFieldCountOps(valueCountChanges(before.custom_fields, after.custom_fields)),
        ...searchIndexOps(searchable(before), searchable(after)),
      ],
      events,
    );
  }

  async delete(lead: Lead, events: DomainEvent[]): Promise<void> {
    // The partition holds the lead and its search terms (at most MAX_SEARCH_TERMS).
    const children = (await this.#table.partition(leadKey(lead.id).pk)).filter((i) => i.sk !== 'lead');
    await this.#table.write(
      [
        {
          type: 'delete',
          key: leadKey(lead.id),
          expectedVersion: lead.version,
          onConflict: (current) => new VersionMismatchError('lead', lead.id, current ? fromItem(current) : null),
        },
        ...customFieldCountOps(valueCountChanges(lead.custom_fields, {})),
        ...children.map((i): WriteOp => ({ type: 'remove', key: { pk: String(i.pk), sk: String(i.sk) } })),
      ],
      events,
    );
  }

  async list(query: LeadListQuery, page: PageQuery): Promise<Page<Lead>> {
    const result = await this.#table.page({ ...plan(query), limit: page.limit, cursor: page.cursor });
    return { items: result.items.map((i) => fromItem<Lead>(i)), next_cursor: result.next_cursor };
  }

  async collect(query: LeadListQuery, max: number): Promise<{ items: Lead[]; truncated: boolean }> {
    const result = await this.#table.collect(plan(query), max);
    return { items: result.items.map((i) => fromItem<Lead>(i)), truncated: result.truncated };
  }

  offsetCursor(shape: unknown, offset: number): string {
    return this.#table.offsetCursor(shape, offset);
  }

  readOffsetCursor(shape: unknown, cursor: string | undefined): number {
    return this.#table.readOffsetCursor(shape, cursor);
  }
}

/** Which partitions to read (by status when asked, per owner in scope) and what to filter. */
function plan(query: LeadListQuery): Omit<PageRequest, 'limit' | 'cursor'> {
  const owners = query.owners === 'all' ? null : [...query.owners];
  let partitions: PartitionQuery[];
  if (query.status) {
    partitions = owners
      ? owners.map((o) => ({ index: 'gsi4' as const, pk: `lead_status#${query.status}#${o}` }))
      : [{ index: 'gsi3', pk: `lead_status#${query.status}` }];
  } else {
    partitions = owners ? owners.map((o) => ({ index: 'gsi1' as const, pk: `lead#${o}` })) : [{ index: 'gsi2', pk: 'lead' }];
  }
  const filter = new ListFilter()
    .eq('source_id', query.source_id)
    .eqEach('_address_', query.address)
    .containsAll('tags', query.tags)
    .mapEntries('custom_fields', query.custom_fields)
    .build();
  return { partitions, order: query.order, ...(filter ? { filter } : {}) };
}
