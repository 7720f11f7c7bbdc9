import { ownersToQuery, scopeOf } from '#shared/kernel/visibility.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Call } from '#shared/kernel/ports.ts';
import {
  bucketDeltas,
  dayOf,
  dealFact,
  leadFact,
  planWindow,
  resolveWindow,
  scopeKey,
  summarize,
  type DealOutcomeFields,
  type OutcomeFact,
  type OutcomeSummary,
} from './domain.ts';
import type { OutcomeDirectory, OutcomeStore } from './ports.ts';

// F1.3 over ports: the bus consumer's step (an event to bucket deltas, applied once) and the
// read of a window in the caller's scope.

/** The events the consumer handles (its bus rule's detail-types). */
export const OUTCOME_EVENTS = ['deal.created', 'deal.updated', 'deal.deleted', 'lead.created', 'lead.status_changed'] as const;

export interface OutcomeConsumerDeps {
  store: OutcomeStore;
  directory: OutcomeDirectory;
  /** IANA zone the days are counted in (the company's, from the deployment config). */
  timeZone: string;
}

/** 'unchanged': the event moves no bucket (no write at all). */
export type RecordedOutcome = 'applied' | 'duplicate' | 'unchanged';

type Data = Record<string, unknown>;

/**
 * Applies one event to the buckets, exactly once per event_id. A deal event's deltas are what
 * the deal contributes after it minus before it (before = data overlaid with previous), so
 * they commute: any order of delivery ends in the same counters.
 */
export async function recordOutcomes(deps: OutcomeConsumerDeps, event: DomainEvent<Data>): Promise<RecordedOutcome> {
  const { event_type, event_id, occurred_at } = event.metadata;
  let before: OutcomeFact | null = null;
  let after: OutcomeFact | null = null;
  if (event_type.startsWith('deal.')) {
    const data = event.data as unknown as DealOutcomeFields;
    const prior = { ...data, ...(event.previous ?? {}) } as DealOutcomeFields;
    const fact = async (deal: DealOutcomeFields) =>
      dealFact(deal, await deps.directory.stageCategory(deal.stage_id), deps.timeZone);
    if (event_type === 'deal.created') after = await fact(data);
    else if (event_type === 'deal.deleted') before = await fact(data);
    else if (event_type === 'deal.updated') [before, after] = await Promise.all([fact(prior), fact(data)]);
  } else if (event_type === 'lead.created' || event_type === 'lead.status_changed') {
    const became =
      event.data.status === 'unqualified' && (event_type === 'lead.created' || event.previous?.status !== 'unqualified');
    after = leadFact({ owner_id: String(event.data.owner_id) }, became, occurred_at, deps.timeZone);
  }
  if (!before && !after) return 'unchanged';
  const owners = [...new Set([before?.owner_id, after?.owner_id].filter((o): o is string => !!o))];
  const teams = new Map(await Promise.all(owners.map(async (o) => [o, await deps.directory.teamOf(o)] as const)));
  const deltas = bucketDeltas(before, after, (o) => teams.get(o) ?? null);
  if (deltas.length === 0) return 'unchanged';
  return deps.store.apply(event_id, event_type, deltas);
}

export interface OutcomeReadDeps {
  store: OutcomeStore;
  timeZone: string;
  /** Members of a team (ids), for windows narrowed to a team by a non-admin. */
  teamMemberIds(teamId: string): Promise<string[]>;
}

export interface OutcomeRequest {
  from?: string | undefined;
  to?: string | undefined;
  user_id?: string | undefined;
  team_id?: string | undefined;
}

/**
 * The scopes a caller's window reads (bucket scope keys): an admin the company's, a team's or
 * a user's bucket (1 scope); anyone else one per owner in their scope (F1.1), narrowed to
 * `user_id` and to `team_id`'s members. Outside the caller's scope a narrowing reads nothing.
 */
export async function windowScopes(deps: OutcomeReadDeps, call: Call, request: OutcomeRequest): Promise<string[]> {
  const scope = scopeOf(call.principal);
  if (scope.kind === 'all') {
    if (request.user_id) {
      if (request.team_id && !(await deps.teamMemberIds(request.team_id)).includes(request.user_id)) return [];
      return [scopeKey({ kind: 'user', id: request.user_id })];
    }
    if (request.team_id) return [scopeKey({ kind: 'team', id: request.team_id })];
    return [scopeKey({ kind: 'company' })];
  }
  let owners = ownersToQuery(scope, request.user_id) as string[];
  if (request.team_id && owners.length > 0) {
    const members = new Set(await deps.teamMemberIds(request.team_id));
    owners = owners.filter((o) => members.has(o));
  }
  return owners.map((id) => scopeKey({ kind: 'user', id }));
}

/**
 * Won, lost and unqualified in a window (F1.3) for the caller's scope. Cost: one Query per
 * scope and range (≤ 3 ranges; 1 for windows without a whole month), whatever the number of
 * deals. A rep reads 1 scope, an admin 1, a manager 1 + direct reports.
 * @throws ValidationError naming query.from / query.to.
 */
export async function outcomeWindow(deps: OutcomeReadDeps, call: Call, request: OutcomeRequest): Promise<OutcomeSummary> {
  const window = resolveWindow(request, dayOf(call.events.now.toISOString(), deps.timeZone));
  const scopes = await windowScopes(deps, call, request);
  const buckets = scopes.length === 0 ? [] : await deps.store.read(scopes, planWindow(window));
  return summarize(window, deps.timeZone, buckets);
}
