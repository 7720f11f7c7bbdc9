import type { DealListQuery, DealReferences, DealRepository, StageStat } from './ports.ts';
import type { Page } from '#shared/kernel/ports.ts';
import { valueCountChanges } from '#shared/custom-fields/domain.ts';
import type { AssociatedContact, Deal, StageChange } from './domain.ts';
import { ConflictError, NotFoundError, ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { toMinor } from '#shared/kernel/money.ts';
import { customFieldCountOps } from '#shared/custom-fields/dynamodb.ts';
import { searchIndexOps, type Searchable } from '#shared/search/index-terms.ts';
import { searchTerms } from '#shared/search/domain.ts';
import { contactKey, dealKey, namedEntryKey, stageKey, userKey } from '#shared/platform/dynamodb/keys.ts';
import {
  fromItem,
  type Item,
  type ItemKeys,
  type PageRequest,
  type PartitionQuery,
  type Table,
  type WriteOp,
} from '#shared/platform/dynamodb/table.ts';

// Deals on the single table. A deal's partition holds the deal, its stage history and its
// associated contacts. Its indexes: gsi1 by owner, gsi2 all, gsi3 by stage, gsi4 by stage and
// owner, gsi5 by contact (primary, and association links carrying the deal's owner), gsi6 by
// organisation. The board's counters live in one partition per pipeline, one item per
// (stage, owner, currency), kept in the same transaction as every deal write.

/** A stay in a stage, keyed by when it began: the open one is found from the deal alone. */
const stageChangeSk = (deal: Pick<Deal, 'last_stage_change_at' | 'stage_id'>) =>
  `stage_change#${deal.last_stage_change_at}#${deal.stage_id}`;
const linkSk = (contactId: string) => `contact#${contactId}`;
const statsPk = (pipelineId: string) => `deal_stats#${pipelineId}`;
const statsSk = (s: { stage_id: string; owner_id: string; currency: string }) => `${s.stage_id}#${s.owner_id}#${s.currency}`;

function dealKeys(deal: Deal): ItemKeys {
  return {
    ...dealKey(deal.id),
    gsi1pk: `deal#${deal.owner_id}`,
    gsi1sk: deal.id,
    gsi2pk: 'deal',
    gsi2sk: deal.id,
    gsi3pk: `deal_stage#${deal.stage_id}`,
    gsi3sk: deal.id,
    gsi4pk: `deal_stage#${deal.stage_id}#${deal.owner_id}`,
    gsi4sk: deal.id,
    ...(deal.contact_id ? { gsi5pk: `deal_contact#${deal.contact_id}`, gsi5sk: deal.id } : {}),
    ...(deal.organization_id ? { gsi6pk: `deal_org#${deal.organization_id}`, gsi6sk: deal.id } : {}),
  };
}

/** A deal is found by its name (F1.6). */
function searchable(deal: Deal): Searchable {
  return { kind: 'deal', id: deal.id, name: deal.name, email: null, owner_id: deal.owner_id, terms: searchTerms([deal.name]) };
}

function dealItem(deal: Deal): Item & ItemKeys {
  return { ...dealKeys(deal), kind: 'deal', ...deal, _value_minor: toMinor(deal.value) };
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
    gsi5pk: `deal_contact#${link.contact_id}`,
    gsi5sk: link.deal_id,
  };
}

function stageCount(stageId: string, pipelineId: string, delta: number): WriteOp {
  return {
    type: 'update',
    key: stageKey(stageId),
    update: 'ADD deal_count :d',
    condition: 'attribute_exists(pk) AND pipeline_id = :p',
    values: { ':d': delta, ':p': pipelineId },
    onConflict: () =>
      ValidationError.field('body.stage_id', `no stage ${stageId} in pipeline ${pipelineId}`, {
        code: 'deal.stage_not_in_pipeline',
        fieldCode: 'unknown_reference',
      }),
  };
}

function statsOp(deal: Deal, count: number, minor: number): WriteOp {
  return {
    type: 'update',
    key: { pk: statsPk(deal.pipeline_id), sk: statsSk(deal) },
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

function contactExists(contactId: string, field: string): WriteOp {
  return {
    type: 'check',
    key: contactKey(contactId),
    condition: 'attribute_exists(pk)',
    onConflict: () => ValidationError.field(field, `no contact ${contactId}`, { fieldCode: 'unknown_reference' }),
  };
}

function referenceChecks(refs: DealReferences, before: DealReferences | null): WriteOp[] {
  const ops: WriteOp[] = [];
  if (!before || before.owner_id !== refs.owner_id) {
    ops.push({
      type: 'check',
      key: userKey(refs.owner_id),
      condition: '#status = :active',
      names: { '#status': 'status' },
      values: { ':active': 'active' },
      onConflict: () =>
        ValidationError.field('body.owner_id', `no active user ${refs.owner_id}`, { fieldCode: 'unknown_reference' }),
    });
  }
  if (refs.contact_id && before?.contact_id !== refs.contact_id) ops.push(contactExists(refs.contact_id, 'body.contact_id'));
  if (refs.organization_id && before?.organization_id !== refs.organization_id) {
    ops.push({
      type: 'check',
      key: contactKey(refs.organization_id),
      condition: 'is_organization = :yes',
      values: { ':yes': true },
      onConflict: () =>
        ValidationError.field('body.organization_id', `no organisation contact ${refs.organization_id}`, {
          fieldCode: 'unknown_reference',
        }),
    });
  }
  const lists = [
    ['source_id', 'source'],
    ['loss_reason_id', 'loss_reason'],
    ['unqualified_reason_id', 'deal_unqualified_reason'],
  ] as const;
  for (const [field, kind] of lists) {
    const id = refs[field];
    if (!id || before?.[field] === id) continue;
    ops.push({
      type: 'check',
      key: namedEntryKey(kind, id),
      condition: 'attribute_exists(pk)',
      onConflict: () =>
        ValidationError.field(`body.${field}`, `no ${kind.replaceAll('_', ' ')} ${id}`, { fieldCode: 'unknown_reference' }),
    });
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

export class DynamoDealRepository implements DealRepository {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async get(id: string): Promise<Deal | undefined> {
    const item = await this.#table.get(dealKey(id));
    return item ? fromItem<Deal>(item) : undefined;
  }

  async create(deal: Deal, refs: DealReferences, events: DomainEvent[]): Promise<void> {
    await this.#table.write(dealCreateOps(deal, refs, events[0]?.metadata.event_id ?? deal.id), events);
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
    await this.#table.write(
      [
        {
          type: 'replace',
          item: dealItem(after),
          expectedVersion: before.version,
          onConflict: (current) => new VersionMismatchError('deal', before.id, current ? fromItem(current) : null),
        },
        ...ops,
        ...statsOps(before, after),
        ...referenceChecks(refs, {
          owner_id: before.owner_id,
          contact_id: before.contact_id,
          organization_id: before.organization_id,
          source_id: before.source_id,
          loss_reason_id: before.loss_reason_id,
          unqualified_reason_id: before.unqualified_reason_id,
        }),
        ...customFieldCountOps(valueCountChanges(before.custom_fields, after.custom_fields)),
        ...searchIndexOps(searchable(before), searchable(after)),
      ],
      events,
    );
  }

  async delete(deal: Deal, events: DomainEvent[]): Promise<void> {
    const children = (await this.#table.partition(dealKey(deal.id).pk)).filter((i) => i.sk !== 'deal');
    const fixed: WriteOp[] = [
      {
        type: 'delete',
        key: dealKey(deal.id),
        expectedVersion: deal.version,
        onConflict: (current) => new VersionMismatchError('deal', deal.id, current ? fromItem(current) : null),
      },
      stageCount(deal.stage_id, deal.pipeline_id, -1),
      ...statsOps(deal, null),
      ...customFieldCountOps(valueCountChanges(deal.custom_fields, {})),
    ];
    // Links and search terms first (they index the deal elsewhere); history after, in later
    // writes if the transaction is full: without the deal item they are unreachable anyway.
    const links = children.filter((i) => i.kind === 'deal_contact' || i.kind === 'search_term');
    const history = children.filter((i) => i.kind !== 'deal_contact' && i.kind !== 'search_term');
    const room = 100 - fixed.length - events.length;
    const inline = [...links, ...history].slice(0, room);
    await this.#table.write(
      [...fixed, ...inline.map((i): WriteOp => ({ type: 'delete', key: { pk: String(i.pk), sk: String(i.sk) } }))],
      events,
    );
    for (const rest of [...links, ...history].slice(room)) {
      await this.#table.write([{ type: 'delete', key: { pk: String(rest.pk), sk: String(rest.sk) } }]);
    }
  }

  async list(query: DealListQuery, page: { limit: number; cursor?: string | undefined }): Promise<Page<Deal>> {
    const result = await this.#table.page({ ...this.#plan(query), limit: page.limit, cursor: page.cursor });
    return { items: await this.#resolve(result.items), next_cursor: result.next_cursor };
  }

  async collect(query: DealListQuery, max: number): Promise<{ items: Deal[]; truncated: boolean }> {
    const result = await this.#table.collect(this.#plan(query), max);
    return { items: await this.#resolve(result.items), truncated: result.truncated };
  }

  offsetCursor(shape: unknown, offset: number): string {
    return this.#table.offsetCursor(shape, offset);
  }

  readOffsetCursor(shape: unknown, cursor: string | undefined): number {
    return this.#table.readOffsetCursor(shape, cursor);
  }

  async stageChanges(dealId: string): Promise<StageChange[]> {
    const items = await this.#table.partition(dealKey(dealId).pk, 'stage_change#');
    return items
      .map((i) => fromItem<StageChange>(i))
      .sort((a, b) => (a.entered_at < b.entered_at ? -1 : a.entered_at > b.entered_at ? 1 : 0));
  }

  async associatedContacts(dealId: string): Promise<AssociatedContact[]> {
    const items = await this.#table.partition(dealKey(dealId).pk, 'contact#');
    return items.map((i) => {
      const { owner_id: _owner, ...link } = fromItem<AssociatedContact & { owner_id: string }>(i);
      return link;
    });
  }

  async associate(deal: Deal, link: AssociatedContact, events: DomainEvent[]): Promise<void> {
    await this.#table.write(
      [
        {
          type: 'create',
          item: linkItem(link, deal.owner_id),
          onConflict: () =>
            new ConflictError(`Contact ${link.contact_id} is already associated with this deal`, {
              code: 'deal.contact_already_associated',
            }),
        },
        contactExists(link.contact_id, 'body.contact_id'),
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
    await this.#table.write(
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
    const items = await this.#table.partition(statsPk(pipelineId));
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
    const page = await this.#table.page({ partitions: [{ index: 'gsi3', pk: `deal_stage#${stageId}` }], limit, order: 'asc' });
    return page.items.map((i) => String(i.id));
  }

  /** Which partitions to read and what to filter, from the scope and the filters. */
  #plan(query: DealListQuery): Omit<PageRequest, 'limit' | 'cursor'> {
    const all = query.owners === 'all';
    const owners = all ? [] : [...query.owners];
    let partitions: PartitionQuery[];
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const eq = (field: string, value: unknown) => {
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      filters.push(`#${field} = :${field}`);
    };
    const ownerIn = () => {
      names['#owner_id'] = 'owner_id';
      filters.push(`#owner_id IN (${owners.map((o, i) => ((values[`:owner${i}`] = o), `:owner${i}`)).join(', ')})`);
    };
    if (query.contact_id) {
      partitions = [{ index: 'gsi5', pk: `deal_contact#${query.contact_id}` }];
      if (!all) ownerIn();
      if (query.stage_id) eq('stage_id', query.stage_id);
    } else if (query.organization_id) {
      partitions = [{ index: 'gsi6', pk: `deal_org#${query.organization_id}` }];
      if (!all) ownerIn();
      if (query.stage_id) eq('stage_id', query.stage_id);
    } else if (query.stage_id) {
      partitions = all
        ? [{ index: 'gsi3', pk: `deal_stage#${query.stage_id}` }]
        : owners.map((o) => ({ index: 'gsi4' as const, pk: `deal_stage#${query.stage_id}#${o}` }));
    } else {
      partitions = all ? [{ index: 'gsi2', pk: 'deal' }] : owners.map((o) => ({ index: 'gsi1' as const, pk: `deal#${o}` }));
    }
    if (query.pipeline_id && !query.stage_id) eq('pipeline_id', query.pipeline_id);
    if (query.hot !== undefined) eq('hot', query.hot);
    if (query.source_id) eq('source_id', query.source_id);
    if (query.organization_id && query.contact_id) eq('organization_id', query.organization_id);
    const range = (field: string, from: unknown, to: unknown) => {
      if (from === undefined && to === undefined) return;
      names[`#${field}`] = field;
      if (from !== undefined) {
        values[`:${field}_from`] = from;
        filters.push(`#${field} >= :${field}_from`);
      }
      if (to !== undefined) {
        values[`:${field}_to`] = to;
        filters.push(`#${field} <= :${field}_to`);
      }
    };
    range('estimated_close_date', query.estimated_close_date_from, query.estimated_close_date_to);
    range('_value_minor', query.value_from_minor, query.value_to_minor);
    query.tags?.forEach((tag, i) => {
      names['#tags'] = 'tags';
      values[`:tag${i}`] = tag;
      filters.push(`contains(#tags, :tag${i})`);
    });
    query.custom_fields?.forEach((f, i) => {
      names['#cf'] = 'custom_fields';
      names[`#cf${i}`] = f.fieldId;
      values[`:cf${i}`] = f.value;
      filters.push(f.operator === 'contains' ? `contains(#cf.#cf${i}, :cf${i})` : `#cf.#cf${i} = :cf${i}`);
    });
    return {
      partitions,
      order: query.order,
      ...(filters.length > 0 ? { filter: { expression: filters.join(' AND '), names, values } } : {}),
    };
  }

  /** Association links found through gsi5 stand for their deals: read those in one batch. */
  async #resolve(items: Item[]): Promise<Deal[]> {
    const linked = items.filter((i) => i.kind === 'deal_contact').map((i) => dealKey(String(i.deal_id)));
    const fetched = new Map((await this.#table.getMany(linked)).map((i) => [String(i.id), fromItem<Deal>(i)]));
    return items.flatMap((i) => {
      if (i.kind === 'deal') return [fromItem<Deal>(i)];
      const deal = fetched.get(String(i.deal_id));
      return deal ? [deal] : [];
    });
  }
}
