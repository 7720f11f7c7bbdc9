import type { DealListQuery, DealReferences, DealRepository, StageStat } from '#shared/deals/ports.ts';
import { tagKey } from '#shared/kernel/tags.ts';
import type { DealsDeps } from '#shared/deals/use-cases.ts';
import type { AssociatedContact, Deal, StageChange } from '#shared/deals/domain.ts';
import { valueCountChanges } from '#shared/custom-fields/domain.ts';
import { ConflictError, NotFoundError, ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { toMinor } from '#shared/kernel/money.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import {
  byCodePoint,
  collected,
  copy,
  InMemoryStore,
  KeysetCursors,
  paginate,
  passesCustomFieldFilters,
} from '#test/helpers/in-memory-store.ts';
import { catalogOf } from '#test/custom-fields/fakes.ts';
import { InMemoryPipelineRepository } from '#test/pipelines/fakes.ts';

// An in-memory fake of the deal repository (shared/deals/ports.ts), on the shared store. Each
// write does what the DynamoDB adapter (shared/deals/dynamodb.ts) does in its transaction,
// inside store.transact, so a refused write leaves the store as it was: the version check
// (VersionMismatchError with the current deal), the stage's deal_count (the stage must exist
// in the deal's pipeline: ValidationError on body.stage_id), the stage history, the reference
// checks of the references that changed (ValidationError naming the field), the custom field
// value counts. The board's counters are summed from the deals when read: what the adapter's
// counters hold when every write keeps them.

const refsOf = (deal: Deal): DealReferences => ({
  owner_id: deal.owner_id,
  contact_id: deal.contact_id,
  organization_id: deal.organization_id,
  source_id: deal.source_id,
  loss_reason_id: deal.loss_reason_id,
  unqualified_reason_id: deal.unqualified_reason_id,
});

/** The stage item's ADD deal_count, conditional on the stage being in that pipeline (and not deleted). */
function moveStageCount(store: InMemoryStore, stageId: string, pipelineId: string, delta: number): void {
  const stage = store.stages.get(stageId);
  if (!stage || stage.deleted_at !== undefined || stage.pipeline_id !== pipelineId) {
    throw ValidationError.field('body.stage_id', `no stage ${stageId} in pipeline ${pipelineId}`);
  }
  stage.deal_count += delta;
}

function checkReferences(store: InMemoryStore, refs: DealReferences, before: DealReferences | null): void {
  if (!before || before.owner_id !== refs.owner_id) store.requireActiveUser(refs.owner_id);
  if (refs.contact_id && before?.contact_id !== refs.contact_id) store.requireContact(refs.contact_id, 'body.contact_id');
  if (refs.organization_id && before?.organization_id !== refs.organization_id) {
    store.requireOrganization(refs.organization_id, 'body.organization_id');
  }
  if (refs.source_id && before?.source_id !== refs.source_id) store.requireNamedEntry('source', refs.source_id, 'body.source_id');
  if (refs.loss_reason_id && before?.loss_reason_id !== refs.loss_reason_id) {
    store.requireNamedEntry('loss_reason', refs.loss_reason_id, 'body.loss_reason_id');
  }
  if (refs.unqualified_reason_id && before?.unqualified_reason_id !== refs.unqualified_reason_id) {
    store.requireNamedEntry('deal_unqualified_reason', refs.unqualified_reason_id, 'body.unqualified_reason_id');
  }
}

/**
 * dealCreateOps on the store, for a caller's transaction (lead conversion): the deal, its
 * first stay (`stayId`), the stage's count, the reference checks and value counts.
 */
export function applyDealCreate(store: InMemoryStore, deal: Deal, refs: DealReferences, stayId: string): void {
  if (store.deals.has(deal.id)) throw new ConflictError(`deal ${deal.id} exists`);
  store.deals.set(deal.id, copy(deal));
  store.openStay(deal, stayId);
  moveStageCount(store, deal.stage_id, deal.pipeline_id, 1);
  checkReferences(store, refs, null);
  store.moveValueCounts(valueCountChanges({}, deal.custom_fields));
}

export class InMemoryDealRepository extends KeysetCursors implements DealRepository {
  readonly store: InMemoryStore;
  readonly events: DomainEvent[] = [];
  readonly writes: { op: 'create' | 'update' | 'delete' | 'associate' | 'dissociate'; id: string }[] = [];
  readonly queries: DealListQuery[] = [];
  /** Runs before each write's checks: lets a test interleave a concurrent change. */
  beforeWrite: (() => void) | undefined;
  constructor(store = new InMemoryStore()) {
    super();
    this.store = store;
  }

  /** Puts deals as given (with their open stay and stage count, see InMemoryStore.seed). */
  seed(...deals: Deal[]): this {
    this.store.seed({ deals });
    return this;
  }

  async get(id: string): Promise<Deal | undefined> {
    const deal = this.store.deals.get(id);
    return deal && copy(deal);
  }

  async create(deal: Deal, refs: DealReferences, events: DomainEvent[]): Promise<void> {
    this.#write('create', deal.id, events, () =>
      applyDealCreate(this.store, deal, refs, events[0]?.metadata.event_id ?? deal.id),
    );
  }

  async update(before: Deal, after: Deal, refs: DealReferences, events: DomainEvent[]): Promise<void> {
    this.#write('update', before.id, events, () => {
      const { store } = this;
      const current = store.deals.get(before.id);
      if (!current || current.version !== before.version) {
        throw new VersionMismatchError('deal', before.id, current ? copy(current) : null);
      }
      store.deals.set(after.id, copy(after));
      if (after.stage_id !== before.stage_id) {
        const open = store.stageChanges
          .get(before.id)
          ?.find((s) => s.entered_at === before.last_stage_change_at && s.stage_id === before.stage_id);
        if (!open) throw new Error(`deal ${before.id} has no stay in stage ${before.stage_id}`);
        open.left_at = after.last_stage_change_at;
        open.left_by_id = after.last_stage_change_by_id;
        const moved = events.find((e) => e.metadata.event_type === 'deal.stage_changed')?.metadata.event_id;
        store.openStay(after, moved ?? `${after.id}-${after.version}`);
        moveStageCount(store, before.stage_id, before.pipeline_id, -1);
        moveStageCount(store, after.stage_id, after.pipeline_id, 1);
      }
      // Links carry the owner so that lists by contact can filter on scope.
      for (const link of store.linksOf(before.id).values()) link.owner_id = after.owner_id;
      checkReferences(store, refs, refsOf(before));
      store.moveValueCounts(valueCountChanges(before.custom_fields, after.custom_fields));
    });
  }

  async delete(deal: Deal, events: DomainEvent[]): Promise<void> {
    this.#write('delete', deal.id, events, () => {
      const { store } = this;
      const current = store.deals.get(deal.id);
      if (!current || current.version !== deal.version) {
        throw new VersionMismatchError('deal', deal.id, current ? copy(current) : null);
      }
      store.deals.delete(deal.id);
      moveStageCount(store, deal.stage_id, deal.pipeline_id, -1);
      store.moveValueCounts(valueCountChanges(deal.custom_fields, {}));
      store.stageChanges.delete(deal.id);
      store.dealLinks.delete(deal.id);
    });
  }

  async list(query: DealListQuery, page: PageQuery): Promise<Page<Deal>> {
    return paginate(this.#matches(query), page, { order: query.order });
  }

  async collect(query: DealListQuery, max: number): Promise<{ items: Deal[]; truncated: boolean }> {
    return collected(paginate(this.#matches(query), { limit: Infinity }, { order: query.order }).items, max);
  }

  async stageChanges(dealId: string): Promise<StageChange[]> {
    return copy(this.store.stageChanges.get(dealId) ?? []).sort((a, b) => byCodePoint(a.entered_at, b.entered_at));
  }

  async associatedContacts(dealId: string): Promise<AssociatedContact[]> {
    return [...(this.store.dealLinks.get(dealId)?.values() ?? [])]
      .sort((a, b) => byCodePoint(a.contact_id, b.contact_id))
      .map(({ owner_id: _owner, ...link }) => copy(link));
  }

  async associate(deal: Deal, link: AssociatedContact, events: DomainEvent[]): Promise<void> {
    this.#write('associate', deal.id, events, () => {
      const links = this.store.linksOf(deal.id);
      if (links.has(link.contact_id)) {
        throw new ConflictError(`Contact ${link.contact_id} is already associated with this deal`);
      }
      links.set(link.contact_id, { ...copy(link), owner_id: deal.owner_id });
      this.store.requireContact(link.contact_id, 'body.contact_id');
      if (this.store.deals.get(deal.id)?.owner_id !== deal.owner_id) {
        throw new ConflictError('The deal changed owner meanwhile; try again');
      }
    });
  }

  async dissociate(deal: Deal, contactId: string, events: DomainEvent[]): Promise<void> {
    this.#write('dissociate', deal.id, events, () => {
      if (!this.store.dealLinks.get(deal.id)?.delete(contactId)) throw new NotFoundError('associated contact', contactId);
    });
  }

  async stageStats(pipelineId: string): Promise<StageStat[]> {
    const stats = new Map<string, StageStat>();
    for (const deal of this.store.deals.values()) {
      if (deal.pipeline_id !== pipelineId) continue;
      const key = `${deal.stage_id}#${deal.owner_id}#${deal.currency}`;
      const stat = stats.get(key) ?? {
        stage_id: deal.stage_id,
        owner_id: deal.owner_id,
        currency: deal.currency,
        count: 0,
        value_minor: 0,
      };
      stat.count += 1;
      stat.value_minor += toMinor(deal.value);
      stats.set(key, stat);
    }
    return [...stats.values()];
  }

  async idsInStage(stageId: string, limit: number): Promise<string[]> {
    const inStage = [...this.store.deals.values()].filter((d) => d.stage_id === stageId);
    return paginate(inStage, { limit }, { order: 'asc' }).items.map((d) => d.id);
  }

  #write(op: InMemoryDealRepository['writes'][number]['op'], id: string, events: DomainEvent[], write: () => void): void {
    this.beforeWrite?.();
    this.store.transact(write);
    this.writes.push({ op, id });
    this.events.push(...copy(events));
  }

  /** The deals a query selects: a contact's deals are those it is primary or associated on. */
  #matches(query: DealListQuery): Deal[] {
    this.queries.push(copy(query));
    const within = (value: string | number | null, from: string | number | undefined, to: string | number | undefined) =>
      (from === undefined && to === undefined) ||
      (value !== null && (from === undefined || value >= from) && (to === undefined || value <= to));
    return [...this.store.deals.values()].filter(
      (d) =>
        (query.owners === 'all' || query.owners.includes(d.owner_id)) &&
        (query.contact_id === undefined ||
          d.contact_id === query.contact_id ||
          this.store.dealLinks.get(d.id)?.has(query.contact_id) === true) &&
        (query.organization_id === undefined || d.organization_id === query.organization_id) &&
        (query.stage_id === undefined || d.stage_id === query.stage_id) &&
        (query.pipeline_id === undefined || d.pipeline_id === query.pipeline_id) &&
        (query.hot === undefined || d.hot === query.hot) &&
        (query.source_id === undefined || d.source_id === query.source_id) &&
        within(d.estimated_close_date, query.estimated_close_date_from, query.estimated_close_date_to) &&
        within(toMinor(d.value), query.value_from_minor, query.value_to_minor) &&
        (query.tags ?? []).every((t) => d.tags.some((held) => tagKey(held) === tagKey(t))) &&
        passesCustomFieldFilters(d.custom_fields, query.custom_fields),
    );
  }
}

/**
 * The deals use cases' ports on one store: the deal fake, the pipelines fake as stage reader,
 * the store's custom fields, the oldest pipeline as default, members of a team from the
 * store's users. `currency` is the account's.
 */
export function dealsDeps(
  store: InMemoryStore,
  options: { deals?: InMemoryDealRepository; currency?: string } = {},
): DealsDeps & { deals: InMemoryDealRepository } {
  const stages = new InMemoryPipelineRepository(store);
  return {
    deals: options.deals ?? new InMemoryDealRepository(store),
    stages,
    customFields: catalogOf(store),
    defaultPipelineId: async () => (await stages.listPipelines({ limit: 1 })).items[0]?.id,
    defaultCurrency: async () => options.currency ?? 'EUR',
    teamMemberIds: async (teamId) => [...store.users.values()].filter((u) => u.team_id === teamId).map((u) => u.id),
  };
}

// ---- Builders ----

const CREATED = '2031-01-01T00:00:00.000Z';

export function makeDeal(id: string, stage: { id: string; pipeline_id: string }, overrides: Partial<Deal> = {}): Deal {
  return {
    id,
    name: `Deal ${id.slice(-4)}`,
    value: '0.00',
    currency: 'EUR',
    owner_id: 'owner',
    creator_id: 'owner',
    contact_id: null,
    organization_id: null,
    pipeline_id: stage.pipeline_id,
    stage_id: stage.id,
    hot: false,
    estimated_close_date: null,
    customized_win_likelihood: null,
    source_id: null,
    loss_reason_id: null,
    unqualified_reason_id: null,
    tags: [],
    custom_fields: {},
    last_stage_change_at: CREATED,
    last_stage_change_by_id: 'owner',
    added_at: CREATED,
    created_at: CREATED,
    updated_at: CREATED,
    version: 1,
    ...overrides,
  };
}
