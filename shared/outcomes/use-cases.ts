import { ownersToQuery, scopeOf } from '#shared/kernel/visibility.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Call } from '#shared/kernel/ports.ts';
import {
  bucketDeltas,
  contributionOf,
  dayOf,
  dealFact,
  leadFact,
  planWindow,
  resolveWindow,
  scopeKey,
  summarize,
  supersedes,
  type DealOutcomeFields,
  type OutcomeHead,
  type OutcomeState,
  type OutcomeSummary,
} from './domain.ts';
import type { OutcomeDirectory, OutcomeSource, OutcomeStore } from './ports.ts';

// F1.3 over ports: the bus consumer's step (an event's record state applied to its head and
// the buckets), the backfill (existing records through the same step) and the read of a
// window in the caller's scope.

/** The events the consumer handles (its bus rule's detail-types). */
export const OUTCOME_EVENTS = [
  'deal.created',
  'deal.updated',
  'deal.deleted',
  'lead.created',
  'lead.status_changed',
  'lead.deleted',
] as const;

export interface OutcomeConsumerDeps {
  store: OutcomeStore;
  directory: OutcomeDirectory;
  /** IANA zone the days are counted in (the company's, from the deployment config). */
  timeZone: string;
}

/** 'duplicate': the head already holds that version or a later one; 'unchanged': the event counts nothing (not handled). */
export type RecordedOutcome = 'applied' | 'duplicate' | 'unchanged';

type Data = Record<string, unknown>;

/** How often a head is re-read and the change tried again when another writer moved it. */
const APPLY_ATTEMPTS = 10;

function versionOf(data: Data, what: string): number {
  if (typeof data.version !== 'number') throw new Error(`${what} carries no version`);
  return data.version;
}

/** A deal at one version, as it stands in `data` (an event's data or the stored record). */
async function dealState(deps: OutcomeConsumerDeps, data: Data, deleted: boolean, what: string): Promise<OutcomeState> {
  const deal = data as unknown as DealOutcomeFields;
  const category = deleted ? undefined : await deps.directory.stageCategory(deal.stage_id);
  return {
    type: 'deal',
    id: String(data.id),
    version: versionOf(data, what),
    deleted,
    fact: deleted ? null : dealFact(deal, category, deps.timeZone),
  };
}

/** A lead at one version; `madeAt` is when its status became what it is (an unqualified lead counts on that day). */
function leadState(deps: OutcomeConsumerDeps, data: Data, deleted: boolean, madeAt: string, what: string): OutcomeState {
  return {
    type: 'lead',
    id: String(data.id),
    version: versionOf(data, what),
    deleted,
    fact: deleted ? null : leadFact({ owner_id: String(data.owner_id), status: data.status }, madeAt, deps.timeZone),
  };
}

/**
 * Applies a record's state to its head and the buckets: nothing when the head holds that
 * version or a later one (or a tombstone); otherwise the contribution's change (new minus the
 * head's) and the new head in one conditional write, re-reading the head when another writer
 * moved it. Team buckets are the owner's team now.
 * @throws when the head kept moving under every attempt, or DynamoDB fails (the bus retries)
 */
export async function applyOutcomeState(deps: OutcomeConsumerDeps, state: OutcomeState): Promise<'applied' | 'duplicate'> {
  for (let attempt = 1; ; attempt++) {
    const head = await deps.store.head(state);
    if (!supersedes(head, state)) return 'duplicate';
    const contribution =
      state.deleted || !state.fact ? null : contributionOf(state.fact, await deps.directory.teamOf(state.fact.owner_id));
    const next: OutcomeHead = { version: state.version, deleted: state.deleted, contribution };
    if (await deps.store.advance(state, head, next, bucketDeltas(head?.contribution ?? null, contribution))) return 'applied';
    if (attempt >= APPLY_ATTEMPTS) throw new Error(`outcome head of ${state.type} ${state.id} kept moving`);
    await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 10 * attempt));
  }
}

/**
 * Applies one event: the deal or lead it carries, at the event's version, from its data alone
 * (a lead's status event dates its unqualification). Idempotent and order-independent: the
 * highest version applied wins, whatever order events (and replays) arrive in.
 */
export async function recordOutcomes(deps: OutcomeConsumerDeps, event: DomainEvent<Data>): Promise<RecordedOutcome> {
  const { event_type, occurred_at } = event.metadata;
  let state: OutcomeState;
  if (event_type === 'deal.created' || event_type === 'deal.updated' || event_type === 'deal.deleted') {
    state = await dealState(deps, event.data, event_type === 'deal.deleted', event_type);
  } else if (event_type === 'lead.created' || event_type === 'lead.status_changed' || event_type === 'lead.deleted') {
    state = leadState(deps, event.data, event_type === 'lead.deleted', occurred_at, event_type);
  } else {
    return 'unchanged';
  }
  return applyOutcomeState(deps, state);
}

/** Records the backfill reads and applies per chunk. */
export const OUTCOME_BACKFILL_PAGE = 25;
const BACKFILL_TYPES = ['deal', 'lead'] as const;

/**
 * One chunk of the counters' backfill (the "outcome counters" migration): up to
 * OUTCOME_BACKFILL_PAGE existing deals or leads, each applied at its stored version through
 * the consumer's own step, so it is exact whatever events are handled meanwhile or later (an
 * older state than the head's is skipped) and a second run changes nothing. An unqualified
 * lead counts on the day of its last change (updated_at): leads keep no status-change time.
 * @param checkpoint null to start; else what the previous chunk answered
 * @returns the next checkpoint, or null when deals and leads are done
 */
export async function backfillOutcomesStep(
  deps: OutcomeConsumerDeps,
  source: OutcomeSource,
  checkpoint: string | null,
): Promise<string | null> {
  const at = checkpoint ? (JSON.parse(checkpoint) as { type: number; after: string | null }) : { type: 0, after: null };
  const type = BACKFILL_TYPES[at.type];
  if (type === undefined) return null;
  const page = await source.page(type, at.after, OUTCOME_BACKFILL_PAGE);
  for (const record of page.records) {
    const what = `${type} ${String(record.id)}`;
    const state =
      type === 'deal'
        ? await dealState(deps, record, false, what)
        : leadState(deps, record, false, String(record.updated_at), what);
    await applyOutcomeState(deps, state);
  }
  const next = page.next !== null ? { type: at.type, after: page.next } : { type: at.type + 1, after: null };
  return next.type >= BACKFILL_TYPES.length ? null : JSON.stringify(next);
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
