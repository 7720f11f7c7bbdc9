import type { DealListQuery, DealReferences, DealRepository, StageStat } from './ports.ts';
import { valueCountChanges } from '#shared/custom-fields/domain.ts';
import type { AssociatedContact, Deal, StageChange } from './domain.ts';
import { dealReferences } from './use-cases.ts';
import { ConflictError, NotFoundError, ValidationError } from '#shared/kernel/errors.ts';
import { changedFields, domainEvent, type DomainEvent, type EventContext } from '#shared/kernel/events.ts';
import type { Scope } from '#shared/kernel/visibility.ts';
import { toMinor } from '#shared/kernel/money.ts';
import { customFieldCountOps } from '#shared/custom-fields/dynamodb.ts';
import { namedEntryCheck, stageKey } from '#shared/pipelines/dynamodb.ts';
import { searchIndexOps, type Searchable } from '#shared/search/index-terms.ts';
import { searchTerms } from '#shared/search/domain.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import { ListFilter, tagFilterAttributes } from '#shared/platform/dynamodb/list-filters.ts';
import { indexKeys, indexPartition, indexPartitions, tablePartitions } from '#shared/platform/dynamodb/partitions.ts';
import {
  activeUserCheck,
  backReferenceDetachments,
  cascadeContext,
  DeleteCascade,
  GATHER_MAX,
  organizationCheck,
  recordExistsCheck,
  type Detachment,
} from '#shared/platform/dynamodb/reference-checks.ts';
import { noteDetachments } from '#shared/notes/dynamodb.ts';
import { taskDetachments } from '#shared/tasks/dynamodb.ts';
import { appointmentDetachments } from '#shared/appointments/dynamodb.ts';
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

// Deals on the single table. A deal's partition ("deal#<id>", recordKey) holds the deal, its
// stays in stages, its associated contacts and its search terms. Lists read the partitions of
// dealIndex. The board's counters live in one partition per pipeline, one item per (stage,
// owner, currency), kept in the same transaction as every deal write.

const dealKey = (id: string) => recordKey('deal', id);
const DEAL: VersionedKind<Deal> = { name: 'deal', key: dealKey };

/** The partitions deal lists read, each sorted by deal id (a ULID: newest first is reverse order). */
export const dealIndex = {
  byOwner: indexPartitions<[ownerId: string]>(INDEX.owner, 'deal'),
  all: indexPartition(INDEX.all, 'deal'),
  byStage: indexPartitions<[stageId: string]>(INDEX.relation, 'deal_stage'),
  byStageOwner: indexPartitions<[stageId: string, ownerId: string]>(INDEX.relationOwner, 'deal_stage'),
  /** By primary contact, and by associated contact (links, carrying the deal's owner). */
  byContact: indexPartitions<[contactId: string]>(INDEX.secondRelation, 'deal_contact'),
  byOrganization: indexPartitions<[organizationId: string]>(INDEX.thirdRelation, 'deal_org'),
};

/** The board's counters of a pipeline: "deal_stats#<pipeline>", one item per (stage, owner, currency). */
export const dealStatsPartition = tablePartitions<[pipelineId: string]>('deal_stats');

/** A stay in a stage, keyed by when it began: the open one is found from the deal alone. */
const stageChangeSk = (deal: Pick<Deal, 'last_stage_change_at' | 'stage_id'>) =>
  `stage_change#${deal.last_stage_change_at}#${deal.stage_id}`;
const linkSk = (contactId: string) => `contact#${contactId}`;

function dealItem(deal: Deal): Item & ItemKeys {
  const keys = indexKeys(
    deal.id,
    dealIndex.byOwner(deal.owner_id),
    dealIndex.all(),
    dealIndex.byStage(deal.stage_id),
    dealIndex.byStageOwner(deal.stage_id, deal.owner_id),
    deal.contact_id ? dealIndex.byContact(deal.contact_id) : null,
    deal.organization_id ? dealIndex.byOrganization(deal.organization_id) : null,
  );
  return {
    ...dealKey(deal.id),
    ...keys,
    kind: 'deal',
    ...deal,
    _value_minor: toMinor(deal.value),
    ...tagFilterAttributes(deal.tags),
  };
}

/** A deal is found by its name (F1.6). */
function searchable(deal: Deal): Searchable {
  return { kind: 'deal', id: deal.id, name: deal.name, email: null, owner_id: deal.owner_id, terms: searchTerms([deal.name]) };
}

function stayItem(deal: Deal, id: string): Item & ItemKeys {
  const stay: StageChange = {
    id,
    deal_id: deal.id,
    pipeline_id: deal.pipeline_id,
    stage_id: deal.stage_id,
    entered_at: deal.last_stage_change_at,
    entered_by_id: deal.last_stage_change_by_id,
    left_at: null,
    left_by_id: null,
  };
  return { pk: dealKey(deal.id).pk, sk: stageChangeSk(deal), kind: 'stage_change', ...stay };
}

function linkItem(link: AssociatedContact, ownerId: string): Item & ItemKeys {
  return {
    pk: dealKey(link.deal_id).pk,
    sk: linkSk(link.contact_id),
    kind: 'deal_contact',
    ...link,
    owner_id: ownerId,
    ...indexKeys(link.deal_id, dealIndex.byContact(link.contact_id)),
  };
}

// --- counters: deals per stage, and the board's ---------------------------------------------

function stageCount(stageId: string, pipelineId: string, delta: number): WriteOp {
  return {
    type: 'update',
    key: stageKey(stageId),
    update: 'ADD deal_count :d',
    // A deleted stage (a tombstone) takes no deal: as unknown.
    condition: 'attribute_exists(pk) AND attribute_not_exists(deleted_at) AND pipeline_id = :p',
    values: { ':d': delta, ':p': pipelineId },
    onConflict: () =>
      ValidationError.field('body.stage_id', `no stage ${stageId} in pipeline ${pipelineId}`, {
        code: 'deal.stage_not_in_pipeline',
        fieldCode: 'unknown_reference',
      }),
  };
}

const statsSk = (s: { stage_id: string; owner_id: string; currency: string }) => `${s.stage_id}#${s.owner_id}#${s.currency}`;

function statsOp(deal: Deal, count: number, minor: number): WriteOp {
  return {
    type: 'update',
    key: { pk: dealStatsPartition(deal.pipeline_id), sk: statsSk(deal) },
    update: 'SET stage_id = :s, owner_id = :o, currency = :c ADD #count :n, value_minor :v',
    names: { '#count': 'count' },
    values: { ':s': deal.stage_id, ':o': deal.owner_id, ':c': deal.currency, ':n': count, ':v': minor },
  };
}

/** Board counters: what leaves one (stage, owner, currency) bucket and enters another. */
function statsOps(before: Deal | null, after: Deal | null): WriteOp[] {
  if (before && after && statsSk(before) === statsSk(after) && before.pipeline_id === after.pipeline_id) {
    const delta = toMinor(after.value) - toMinor(before.value);
    return delta === 0 ? [] : [statsOp(after, 0, delta)];
  }
  return [
    ...(before ? [statsOp(before, -1, -toMinor(before.value))] : []),
    ...(after ? [statsOp(after, 1, toMinor(after.value))] : []),
  ];
}

// --- reference checks -------------------------------------------------------------------------

const NAMED_REFERENCES = [
  ['source_id', 'source'],
  ['loss_reason_id', 'loss_reason'],
  ['unqualified_reason_id', 'deal_unqualified_reason'],
] as const;

/** What the deal points at exists when the write lands: only references new or changed since `before`. */
function referenceChecks(refs: DealReferences, before: DealReferences | null): WriteOp[] {
  const ops: WriteOp[] = [];
  if (!before || before.owner_id !== refs.owner_id) ops.push(activeUserCheck(refs.owner_id));
  if (refs.contact_id && refs.contact_id !== before?.contact_id) {
    ops.push(recordExistsCheck('contact', refs.contact_id, 'body.contact_id', refs.scope));
  }
  if (refs.organization_id && refs.organization_id !== before?.organization_id) {
    ops.push(organizationCheck(refs.organization_id, 'body.organization_id', refs.scope));
  }
  for (const [field, kind] of NAMED_REFERENCES) {
    const id = refs[field];
    if (id && id !== before?.[field]) ops.push(namedEntryCheck(kind, id, `body.${field}`));
  }
  return ops;
}

/**
 * Everything a new deal writes: the deal, its first stay, the stage and board counters, the
 * reference checks, custom field counts and search terms. Exported for writes that create a
 * deal among other records (lead conversion).
 */
export function dealCreateOps(deal: Deal, refs: DealReferences, stayId: string): WriteOp[] {
  return [
    { type: 'create', item: dealItem(deal) },
    { type: 'create', item: stayItem(deal, stayId) },
    stageCount(deal.stage_id, deal.pipeline_id, 1),
    ...statsOps(null, deal),
    ...referenceChecks(refs, null),
    ...customFieldCountOps(valueCountChanges({}, deal.custom_fields)),
    ...searchIndexOps(null, searchable(deal)),
  ];
}

/**
 * What deleting contact `contactId` does to deals (README "What deleting a record does to what
 * points at it"): a deal naming it as its contact or organisation is kept with that reference
 * cleared (deal.updated), an association with it is removed (deal.contact_dissociated). Up to
 * GATHER_MAX deals of each kind a call.
 */
export async function dealDetachments(table: Table, contactId: string, ctx: EventContext): Promise<Detachment[]> {
  const [byContact, byOrganization] = await Promise.all([
    table.collect({ partitions: [dealIndex.byContact(contactId)], order: 'asc' }, GATHER_MAX),
    table.collect({ partitions: [dealIndex.byOrganization(contactId)], order: 'asc' }, GATHER_MAX),
  ]);
  const deals = new Map<string, Deal>();
  const out: Detachment[] = [];
  for (const item of [...byContact.items, ...byOrganization.items]) {
    if (item.kind === 'deal') deals.set(String(item.id), fromItem<Deal>(item));
    if (item.kind !== 'deal_contact') continue;
    const { deal_id, owner_id } = item as { deal_id: string; owner_id: string };
    out.push({
      key: `deal_contact#${deal_id}`,
      ops: [{ type: 'remove', key: { pk: dealKey(deal_id).pk, sk: linkSk(contactId) } }],
      event: domainEvent(
        ctx,
        'deal.contact_dissociated',
        { resource_type: 'deal', resource_id: deal_id },
        { deal_id, contact_id: contactId, owner_id },
      ),
    });
  }
  for (const before of deals.values()) {
    const after: Deal = {
      ...before,
      contact_id: before.contact_id === contactId ? null : before.contact_id,
      organization_id: before.organization_id === contactId ? null : before.organization_id,
      updated_at: ctx.now.toISOString(),
      version: before.version + 1,
    };
    out.push({
      key: `deal#${before.id}`,
      ops: [versionedReplace(DEAL, before, dealItem(after))],
      event: domainEvent(ctx, 'deal.updated', { resource_type: 'deal', resource_id: after.id }, after, {
        previous: changedFields(before, after),
      }),
    });
  }
  return out;
}

export class DynamoDealRepository extends ListedRepository<DealListQuery, Deal> implements DealRepository {
  protected readonly kind = DEAL;

  async create(deal: Deal, refs: DealReferences, events: DomainEvent[]): Promise<void> {
    await this.table.write(dealCreateOps(deal, refs, events[0]?.metadata.event_id ?? deal.id), events);
  }

  async update(before: Deal, after: Deal, refs: DealReferences, events: DomainEvent[]): Promise<void> {
    const ops: WriteOp[] = [];
    if (after.stage_id !== before.stage_id) {
      const moved =
        events.find((e) => e.metadata.event_type === 'deal.stage_changed')?.metadata.event_id ?? `${after.id}-${after.version}`;
      ops.push(
        {
          type: 'update',
          key: { pk: dealKey(before.id).pk, sk: stageChangeSk(before) },
          update: 'SET left_at = :at, left_by_id = :by',
          condition: 'attribute_exists(pk)',
          values: { ':at': after.last_stage_change_at, ':by': after.last_stage_change_by_id },
        },
        { type: 'create', item: stayItem(after, moved) },
        stageCount(before.stage_id, before.pipeline_id, -1),
        stageCount(after.stage_id, after.pipeline_id, 1),
      );
    }
    if (after.owner_id !== before.owner_id) {
      // Links carry the owner so that lists by contact can filter on scope.
      for (const link of await this.associatedContacts(before.id))
        ops.push({ type: 'put', item: linkItem(link, after.owner_id) });
    }
    await this.table.write(
      [
        versionedReplace(DEAL, before, dealItem(after)),
        ...ops,
        ...statsOps(before, after),
        ...referenceChecks(refs, dealReferences(before)),
        ...customFieldCountOps(valueCountChanges(before.custom_fields, after.custom_fields)),
        ...searchIndexOps(searchable(before), searchable(after)),
      ],
      events,
    );
  }

  async delete(deal: Deal, events: DomainEvent[], ctx: EventContext = cascadeContext(events)): Promise<void> {
    const key = dealKey(deal.id);
    const children = (await this.table.partition(key.pk)).filter((i) => i.sk !== key.sk);
    // Its notes and tasks go with it; a lead converted into it keeps no id of it.
    const cascade = new DeleteCascade(this.table, async () => {
      const ref = { resource_type: 'deal', resource_id: deal.id } as const;
      const found = await Promise.all([
        noteDetachments(this.table, ref, ctx),
        taskDetachments(this.table, ref, ctx),
        appointmentDetachments(this.table, ref, ctx),
        backReferenceDetachments(this.table, children, ctx),
      ]);
      return found.flat();
    });
    // Links and search terms first (they index the deal elsewhere); history after, in later
    // writes if the transaction is full: without the deal item they are unreachable anyway.
    const isIndexed = (i: Item) => i.kind === 'deal_contact' || i.kind === 'search_term' || i.kind === 'back_reference';
    const links = children.filter(isIndexed);
    const history = children.filter((i) => !isIndexed(i));
    const own: WriteOp[] = [
      versionedDelete(DEAL, deal),
      stageCount(deal.stage_id, deal.pipeline_id, -1),
      ...statsOps(deal, null),
      ...customFieldCountOps(valueCountChanges(deal.custom_fields, {})),
    ];
    const followers = await cascade.fitting(100 - own.length - events.length - links.length);
    const fixed = [...own, ...followers.ops];
    const room = 100 - fixed.length - events.length - followers.events.length;
    const inline = [...links, ...history].slice(0, room);
    await this.table.write(
      [...fixed, ...inline.map((i): WriteOp => ({ type: 'delete', key: { pk: String(i.pk), sk: String(i.sk) } }))],
      [...events, ...followers.events],
    );
    for (const rest of [...links, ...history].slice(room)) {
      await this.table.write([{ type: 'delete', key: { pk: String(rest.pk), sk: String(rest.sk) } }]);
    }
    await cascade.sweep();
  }

  async stageChanges(dealId: string): Promise<StageChange[]> {
    const items = await this.table.partition(dealKey(dealId).pk, 'stage_change#');
    return items
      .map((i) => fromItem<StageChange>(i))
      .sort((a, b) => (a.entered_at < b.entered_at ? -1 : a.entered_at > b.entered_at ? 1 : 0));
  }

  async associatedContacts(dealId: string): Promise<AssociatedContact[]> {
    const items = await this.table.partition(dealKey(dealId).pk, 'contact#');
    return items.map((i) => {
      const { owner_id: _owner, ...link } = fromItem<AssociatedContact & { owner_id: string }>(i);
      return link;
    });
  }

  async associate(deal: Deal, link: AssociatedContact, events: DomainEvent[], scope?: Scope): Promise<void> {
    await this.table.write(
      [
        {
          type: 'create',
          item: linkItem(link, deal.owner_id),
          onConflict: () =>
            new ConflictError(`Contact ${link.contact_id} is already associated with this deal`, {
              code: 'deal.contact_already_associated',
            }),
        },
        recordExistsCheck('contact', link.contact_id, 'body.contact_id', scope),
        {
          type: 'check',
          key: dealKey(deal.id),
          condition: 'owner_id = :o',
          values: { ':o': deal.owner_id },
          onConflict: () => new ConflictError('The deal changed owner meanwhile; try again', { code: 'concurrent_change' }),
        },
      ],
      events,
    );
  }

  async dissociate(deal: Deal, contactId: string, events: DomainEvent[]): Promise<void> {
    await this.table.write(
      [
        {
          type: 'delete',
          key: { pk: dealKey(deal.id).pk, sk: linkSk(contactId) },
          onConflict: () => new NotFoundError('associated contact', contactId),
        },
      ],
      events,
    );
  }

  async stageStats(pipelineId: string): Promise<StageStat[]> {
    const items = await this.table.partition(dealStatsPartition(pipelineId));
    return items
      .map((i) => ({
        stage_id: String(i.stage_id),
        owner_id: String(i.owner_id),
        currency: String(i.currency),
        count: Number(i.count ?? 0),
        value_minor: Number(i.value_minor ?? 0),
      }))
      .filter((s) => s.count !== 0 || s.value_minor !== 0);
  }

  async idsInStage(stageId: string, limit: number): Promise<string[]> {
    const page = await this.table.page({ partitions: [dealIndex.byStage(stageId)], limit, order: 'asc' });
    return page.items.map((i) => String(i.id));
  }

  /**
   * Which partitions to read (by contact, organisation or stage when asked; per owner in scope)
   * and what to filter. By contact, the partition holds association links too, which carry
   * only the deal's owner: there DynamoDB filters on scope alone, and the other filters apply
   * in memory to the deals the links stand for (read in one BatchGetItem per round).
   */
  protected plan(query: DealListQuery): ListPlan {
    const owners = query.owners === 'all' ? null : [...query.owners];
    const stageId = query.stage_id;
    const filter = new ListFilter();
    let partitions: PartitionQuery[];
    if (query.contact_id) {
      partitions = [dealIndex.byContact(query.contact_id)];
      if (owners) filter.in('owner_id', owners);
      filter.eq('stage_id', stageId);
    } else if (query.organization_id) {
      partitions = [dealIndex.byOrganization(query.organization_id)];
      if (owners) filter.in('owner_id', owners);
      filter.eq('stage_id', stageId);
    } else if (stageId) {
      partitions = owners ? owners.map((o) => dealIndex.byStageOwner(stageId, o)) : [dealIndex.byStage(stageId)];
    } else {
      partitions = owners ? owners.map((o) => dealIndex.byOwner(o)) : [dealIndex.all()];
    }
    const built = filter
      .eq('pipeline_id', stageId ? undefined : query.pipeline_id)
      .eq('hot', query.hot)
      .eq('source_id', query.source_id)
      .eq('organization_id', query.contact_id ? query.organization_id : undefined)
      .range('estimated_close_date', query.estimated_close_date_from, query.estimated_close_date_to)
      .range('_value_minor', query.value_from_minor, query.value_to_minor)
      .tagged(query.tags)
      .mapEntries('custom_fields', query.custom_fields)
      .build();
    if (query.contact_id) {
      const scope = owners ? new ListFilter().in('owner_id', owners).build() : undefined;
      return {
        partitions,
        order: query.order,
        ...(scope ? { filter: scope } : {}),
        ...(built ? { match: built } : {}),
        resolve: (items) => this.#dealsOf(items),
      };
    }
    return { partitions, order: query.order, ...(built ? { filter: built } : {}) };
  }

  /** Deals for the items of the by-contact partition: a deal is itself; a link, its deal (undefined once gone). */
  async #dealsOf(items: Item[]): Promise<(Item | undefined)[]> {
    const linked = items.filter((i) => i.kind === 'deal_contact').map((i) => dealKey(String(i.deal_id)));
    const fetched = new Map((await this.table.getMany(linked)).map((i) => [String(i.id), i]));
    return items.map((i) => (i.kind === 'deal_contact' ? fetched.get(String(i.deal_id)) : i));
  }
}
