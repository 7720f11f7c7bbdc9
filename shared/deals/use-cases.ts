import type { CustomFieldDefinition } from '#shared/custom-fields/domain.ts';
import { parseCustomFieldFilters } from '#shared/custom-fields/domain.ts';
import {
  placeInStage,
  normalizeTags,
  type AssociatedContact,
  type CreateDealInput,
  type Deal,
  type DealView,
  type StageChange,
  type UpdateDealInput,
} from './domain.ts';
import { ConflictError, ValidationError } from '#shared/kernel/errors.ts';
import { changedFields, domainEvent, type DomainEvent } from '#shared/kernel/events.ts';
import { parseAmount, toMinor } from '#shared/kernel/money.ts';
import { isDeleted, type Stage } from '#shared/pipelines/domain.ts';
import { ownersToQuery, scopeOf } from '#shared/kernel/visibility.ts';
import type { DealListQuery, DealReferences, DealRepository } from './ports.ts';
import type { DealMover, StageReader } from '#shared/pipelines/ports.ts';
import { checkAssignee, visibleOwned } from '#shared/kernel/ownership.ts';
import { fieldNamesOf, filteredFieldNames, storedCustomFields, withCustomFieldNames } from '#shared/custom-fields/use-cases.ts';
import type { Call, Page } from '#shared/kernel/ports.ts';
import { sortedPage } from '#shared/kernel/sorted-lists.ts';
import { checkIfMatch, updateVersioned } from '#shared/kernel/versioned-update.ts';

// Deals (F4.1–F4.4): every rule of a deal's life, over ports. Visibility is the domain's
// policy: a deal the caller may not see is "not found", so ids leak nothing.

export interface DealsDeps {
  deals: DealRepository;
  stages: StageReader;
  customFields: { definitions(resource: 'deal', naming?: Iterable<string>): Promise<CustomFieldDefinition[]> };
  /** The oldest pipeline: where a deal goes when the request names none. */
  defaultPipelineId(): Promise<string | undefined>;
  /** The account's currency: a deal's when the request names none. */
  defaultCurrency(): Promise<string>;
  /** Members of a team, for summaries narrowed to a team. */
  teamMemberIds(teamId: string): Promise<string[]>;
}

export const DEAL_SORT_FIELDS = [
  'created_at',
  'updated_at',
  'value',
  'estimated_close_date',
  'name',
  'last_stage_change_at',
] as const;
export type DealSortField = (typeof DEAL_SORT_FIELDS)[number];

async function view(deps: DealsDeps, deal: Deal): Promise<DealView> {
  return withCustomFieldNames(await deps.customFields.definitions('deal'), deal);
}

async function visibleDeal(deps: DealsDeps, call: Call, id: string, forChange = false): Promise<Deal> {
  return visibleOwned('deal', id, await deps.deals.get(id), call.principal, { forChange });
}

export async function getDeal(deps: DealsDeps, call: Call, id: string): Promise<DealView> {
  return view(deps, await visibleDeal(deps, call, id));
}

/** The stage a request names (stage_id, or a pipeline's first active stage). */
async function resolveStage(
  deps: DealsDeps,
  input: { stage_id?: string | undefined; pipeline_id?: string | undefined },
): Promise<Stage> {
  if (input.stage_id) {
    const stage = await deps.stages.get(input.stage_id);
    // A deleted stage (a tombstone, still read by id) is never chosen again: as unknown.
    if (!stage || isDeleted(stage))
      throw ValidationError.field('body.stage_id', `no stage ${input.stage_id}`, { fieldCode: 'unknown_reference' });
    if (input.pipeline_id && input.pipeline_id !== stage.pipeline_id) {
      throw ValidationError.field('body.pipeline_id', `stage ${stage.id} belongs to pipeline ${stage.pipeline_id}`, {
        code: 'deal.stage_not_in_pipeline',
      });
    }
    return stage;
  }
  const pipelineId = input.pipeline_id ?? (await deps.defaultPipelineId());
  if (!pipelineId)
    throw new ConflictError('There is no pipeline yet: an admin must create one first', { code: 'deal.no_pipeline' });
  const first = (await deps.stages.ofPipeline(pipelineId)).find((s) => s.category === 'active');
  if (!first) throw ValidationError.field('body.pipeline_id', `no pipeline ${pipelineId}`, { fieldCode: 'unknown_reference' });
  return first;
}

const refsOf = (deal: Deal): DealReferences => ({
  owner_id: deal.owner_id,
  contact_id: deal.contact_id,
  organization_id: deal.organization_id,
  source_id: deal.source_id,
  loss_reason_id: deal.loss_reason_id,
  unqualified_reason_id: deal.unqualified_reason_id,
});

const dealResource = (deal: Deal) => ({ resource_type: 'deal', resource_id: deal.id });

/**
 * A new deal from a request, checked and placed in its stage, not yet written: createDeal
 * writes it alone, lead conversion together with the contacts it creates.
 */
export async function buildDeal(deps: DealsDeps, call: Call, input: CreateDealInput): Promise<Deal> {
  const owner = input.owner_id ?? call.principal.user_id;
  checkAssignee(call.principal, owner, 'deal');
  const stage = await resolveStage(deps, input);
  const now = call.events.now.toISOString();
  const definitions = await deps.customFields.definitions('deal', fieldNamesOf(input.custom_fields));
  const draft: Deal = {
    id: call.events.newId(),
    name: input.name,
    value: parseAmount(input.value ?? 0, 'body.value'),
    currency: input.currency ?? (await deps.defaultCurrency()),
    owner_id: owner,
    creator_id: call.principal.user_id,
    contact_id: input.contact_id ?? null,
    organization_id: input.organization_id ?? null,
    pipeline_id: stage.pipeline_id,
    stage_id: stage.id,
    hot: input.hot ?? false,
    estimated_close_date: input.estimated_close_date ?? null,
    customized_win_likelihood: input.customized_win_likelihood ?? null,
    source_id: input.source_id ?? null,
    loss_reason_id: input.loss_reason_id ?? null,
    unqualified_reason_id: input.unqualified_reason_id ?? null,
    tags: normalizeTags(input.tags ?? []),
    custom_fields: storedCustomFields(definitions, input.custom_fields, {}),
    last_stage_change_at: now,
    last_stage_change_by_id: call.principal.user_id,
    added_at: input.added_at ?? now,
    created_at: now,
    updated_at: now,
    version: 1,
  };
  return placeInStage(draft, stage, { at: now, by: call.principal.user_id });
}

export const dealReferences = (deal: Deal): DealReferences => refsOf(deal);
export const dealCreatedEvent = (call: Call, deal: Deal): DomainEvent =>
  domainEvent(call.events, 'deal.created', dealResource(deal), deal);

export async function createDeal(deps: DealsDeps, call: Call, input: CreateDealInput): Promise<DealView> {
  const deal = await buildDeal(deps, call, input);
  await deps.deals.create(deal, { ...refsOf(deal), scope: scopeOf(call.principal) }, [dealCreatedEvent(call, deal)]);
  return view(deps, deal);
}

export async function updateDeal(
  deps: DealsDeps,
  call: Call,
  id: string,
  patch: UpdateDealInput,
  ifMatch?: number,
): Promise<DealView> {
  // Without If-Match a concurrent change is merged by replaying the patch on the new state;
  // with it, the caller asked to fail instead (412).
  return updateVersioned({
    resource: 'deal',
    id,
    ifMatch,
    load: () => visibleDeal(deps, call, id, true),
    reload: () => deps.deals.get(id),
    present: (deal) => view(deps, deal),
    apply: (before) => applyPatch(deps, call, before, patch),
  });
}

async function applyPatch(deps: DealsDeps, call: Call, before: Deal, patch: UpdateDealInput): Promise<DealView> {
  const now = call.events.now.toISOString();
  const definitions = await deps.customFields.definitions('deal', fieldNamesOf(patch.custom_fields));
  let after: Deal = { ...before };
  const { value, custom_fields, tags, stage_id, pipeline_id, ...plain } = patch;
  for (const [key, v] of Object.entries(plain)) if (v !== undefined) (after as unknown as Record<string, unknown>)[key] = v;
  if (value !== undefined) after.value = parseAmount(value, 'body.value');
  if (tags !== undefined) after.tags = normalizeTags(tags);
  if (custom_fields !== undefined) after.custom_fields = storedCustomFields(definitions, custom_fields, before.custom_fields);
  if (after.owner_id !== before.owner_id) checkAssignee(call.principal, after.owner_id, 'deal');

  const wantsStage =
    (stage_id !== undefined && stage_id !== before.stage_id) || (pipeline_id !== undefined && pipeline_id !== before.pipeline_id);
  const touchesReasons = patch.loss_reason_id !== undefined || patch.unqualified_reason_id !== undefined;
  if (wantsStage) {
    const stage = await resolveStage(deps, { stage_id, pipeline_id });
    after = placeInStage(after, stage, stage.id === before.stage_id ? null : { at: now, by: call.principal.user_id });
  } else if (touchesReasons) {
    const stage = await deps.stages.get(before.stage_id);
    if (stage) after = placeInStage(after, stage, null);
  }

  const previous = changedFields(before, after);
  if (Object.keys(previous).length === 0) return withCustomFieldNames(definitions, before);
  after.updated_at = now;
  after.version = before.version + 1;
  const events: DomainEvent[] = [domainEvent(call.events, 'deal.updated', dealResource(after), after, { previous })];
  if (after.stage_id !== before.stage_id) {
    events.push(
      domainEvent(call.events, 'deal.stage_changed', dealResource(after), after, {
        previous: {
          stage_id: before.stage_id,
          pipeline_id: before.pipeline_id,
          ...(before.stage_key ? { stage_key: before.stage_key } : {}),
          ...(before.pipeline_key ? { pipeline_key: before.pipeline_key } : {}),
          last_stage_change_at: before.last_stage_change_at,
        },
      }),
    );
  }
  if (after.owner_id !== before.owner_id) {
    events.push(
      domainEvent(call.events, 'deal.owner_changed', dealResource(after), after, { previous: { owner_id: before.owner_id } }),
    );
  }
  await deps.deals.update(before, after, { ...refsOf(after), scope: scopeOf(call.principal) }, events);
  return withCustomFieldNames(definitions, after);
}

export async function deleteDeal(deps: DealsDeps, call: Call, id: string, ifMatch?: number): Promise<void> {
  const deal = await visibleDeal(deps, call, id, true);
  await checkIfMatch('deal', id, deal, ifMatch, (r) => view(deps, r));
  // Associated contacts go with the deal: the event names them, so that their statuses follow.
  const associated = (await deps.deals.associatedContacts(id)).map((a) => a.contact_id);
  await deps.deals.delete(
    deal,
    [domainEvent(call.events, 'deal.deleted', dealResource(deal), { ...deal, associated_contact_ids: associated })],
    call.events,
  );
}

export interface DealListRequest {
  limit: number;
  cursor?: string | undefined;
  owner_id?: string | undefined;
  stage_id?: string | undefined;
  pipeline_id?: string | undefined;
  contact_id?: string | undefined;
  organization_id?: string | undefined;
  hot?: boolean | undefined;
  source_id?: string | undefined;
  estimated_close_date_from?: string | undefined;
  estimated_close_date_to?: string | undefined;
  value_from?: string | number | undefined;
  value_to?: string | number | undefined;
  tags?: string | undefined;
  sort_by?: DealSortField | undefined;
  sort_order?: 'asc' | 'desc' | undefined;
  /** Everything else of the query string: the custom_fields[<name>] filters. */
  raw: Record<string, unknown>;
}

export async function listDeals(deps: DealsDeps, call: Call, request: DealListRequest): Promise<Page<DealView>> {
  const owners = ownersToQuery(scopeOf(call.principal), request.owner_id);
  const definitions = await deps.customFields.definitions('deal', filteredFieldNames(request.raw));
  const present = (deal: Deal): DealView => withCustomFieldNames(definitions, deal);
  if (owners !== 'all' && owners.length === 0) return { items: [], next_cursor: null };
  const sortBy = request.sort_by ?? 'created_at';
  const order = request.sort_order ?? 'desc';
  const query: DealListQuery = {
    owners,
    stage_id: request.stage_id,
    pipeline_id: request.pipeline_id,
    contact_id: request.contact_id,
    organization_id: request.organization_id,
    hot: request.hot,
    source_id: request.source_id,
    estimated_close_date_from: request.estimated_close_date_from,
    estimated_close_date_to: request.estimated_close_date_to,
    value_from_minor: request.value_from === undefined ? undefined : toMinor(parseAmount(request.value_from, 'query.value_from')),
    value_to_minor: request.value_to === undefined ? undefined : toMinor(parseAmount(request.value_to, 'query.value_to')),
    tags: request.tags ? normalizeTags(request.tags.split(',')) : undefined,
    custom_fields: parseCustomFieldFilters(definitions, request.raw),
    order,
  };
  const page = await sortedPage(deps.deals, query, {
    sortBy,
    order,
    key: (d) => (sortBy === 'value' ? toMinor(d.value) : (d[sortBy] ?? '')),
    page: { limit: request.limit, cursor: request.cursor },
    noun: 'deals',
  });
  return { items: page.items.map(present), next_cursor: page.next_cursor };
}

export async function dealStageChanges(deps: DealsDeps, call: Call, id: string): Promise<StageChange[]> {
  await visibleDeal(deps, call, id);
  return deps.deals.stageChanges(id);
}

export async function listAssociatedContacts(deps: DealsDeps, call: Call, id: string): Promise<AssociatedContact[]> {
  await visibleDeal(deps, call, id);
  return deps.deals.associatedContacts(id);
}

export async function associateContact(
  deps: DealsDeps,
  call: Call,
  id: string,
  input: { contact_id: string; role?: string | null | undefined },
): Promise<AssociatedContact> {
  const deal = await visibleDeal(deps, call, id, true);
  if (deal.contact_id === input.contact_id) {
    throw ValidationError.field('body.contact_id', 'is already the primary contact of this deal', {
      code: 'deal.contact_already_primary',
    });
  }
  const link: AssociatedContact = {
    deal_id: id,
    contact_id: input.contact_id,
    role: input.role ?? null,
    created_at: call.events.now.toISOString(),
  };
  await deps.deals.associate(
    deal,
    link,
    [domainEvent(call.events, 'deal.contact_associated', dealResource(deal), { ...link, owner_id: deal.owner_id })],
    scopeOf(call.principal),
  );
  return link;
}

export async function dissociateContact(deps: DealsDeps, call: Call, id: string, contactId: string): Promise<void> {
  const deal = await visibleDeal(deps, call, id, true);
  await deps.deals.dissociate(deal, contactId, [
    domainEvent(call.events, 'deal.contact_dissociated', dealResource(deal), {
      deal_id: id,
      contact_id: contactId,
      owner_id: deal.owner_id,
    }),
  ]);
}

/**
 * Stage ids of a contact's deals, whoever owns them, newest first: at most `max`, read a page of
 * 100 at a time (`truncated` when more exist). What a contact's statuses are computed from.
 */
export async function dealStageIdsOfContact(
  deals: DealRepository,
  contactId: string,
  max: number,
): Promise<{ stage_ids: string[]; truncated: boolean }> {
  const stageIds: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await deals.list(
      { owners: 'all', contact_id: contactId, order: 'desc' },
      { limit: Math.min(100, max - stageIds.length), cursor },
    );
    stageIds.push(...page.items.map((deal) => deal.stage_id));
    cursor = page.next_cursor ?? undefined;
  } while (cursor && stageIds.length < max);
  return { stage_ids: stageIds, truncated: cursor !== undefined };
}

/** Stage deletion's move (F5.3): each deal changes stage as its own change, with history. */
export function dealMover(deps: DealsDeps): DealMover {
  return {
    async moveAllDeals(from: Stage, to: Stage, call: Call): Promise<number> {
      if (from.pipeline_id !== to.pipeline_id)
        throw ValidationError.field('query.move_deals_to', 'must be a stage of the same pipeline');
      // Closed stages need a reason per deal, which a bulk move cannot give.
      if (to.category !== 'active') throw ValidationError.field('query.move_deals_to', 'must be an active stage');
      let moved = 0;
      for (;;) {
        const ids = await deps.deals.idsInStage(from.id, 25);
        if (ids.length === 0) return moved;
        for (const id of ids) {
          await updateDeal(deps, call, id, { stage_id: to.id });
          moved++;
        }
      }
    },
  };
}
