import { ValidationError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Call, Page, PageQuery } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { visibleRecordOwner, type RecordOwners } from '#shared/kernel/record-owners.ts';
import type { RecordRef } from '#shared/kernel/related-records.ts';
import { ownersToQuery, scopeOf } from '#shared/kernel/visibility.ts';
import {
  activityOf,
  backfillEvent,
  BACKFILL_KINDS,
  changesOwner,
  entryOwner,
  parentOf,
  parentStateOf,
  type Activity,
  type ActivityDraft,
  type ActivityRecordType,
  type ActivityVerb,
  type ParentRef,
} from './domain.ts';
import type { ActivityStore, BackfillSource, ParentState, RecordStates } from './ports.ts';

// The activity feed (F1.4): written by a bus consumer (recordActivity), read by GET /activities
// (the caller's scope), GET /{leads|contacts|deals}/{id}/activities (a record's timeline) and
// the dashboard's latest-activity panel (recentActivities).

export interface ActivitiesDeps {
  store: ActivityStore;
  /** The current owner of a lead, contact or deal (timelines answer 404 for invisible records). */
  records: RecordOwners;
  /** A parent's owner and version read from the record (for entries whose event does not say). */
  states: RecordStates;
  /** Members of a team (up to 100), for the team_id filter. */
  teamMemberIds: (teamId: string) => Promise<string[]>;
}

/** How often an entry is retried when its parent changes owner under it. */
const PUT_ATTEMPTS = 5;
/** How often a rekey starts over when the parent changes owner again during it. */
const REKEY_ROUNDS = 5;

export type RecordOutcome = { entry: 'written' | 'duplicate' | 'none'; moved: number };

/**
 * Consumes one event: moves the parent's state forward (the highest version wins), writes the
 * event's entry under the parent's current owner unless its event id was written before, and,
 * when the owner changed, moves the parent's entries under the new owner. Idempotent and
 * order-independent: any delivery order of a set of events leaves the same items.
 * @throws when the parent changed owner under every attempt, or DynamoDB fails (the bus retries)
 */
export async function recordActivity(deps: Pick<ActivitiesDeps, 'store' | 'states'>, event: DomainEvent): Promise<RecordOutcome> {
  const parent = parentOf(event);
  if (!parent) return { entry: 'none', moved: 0 };
  const own = parentStateOf(event);
  let rekey = false;
  let head: ParentState | undefined;
  if (own) {
    const advanced = await deps.store.advanceHead(parent, own);
    head = advanced.head;
    // Also after a redelivery (a crash between the head and the rekey) and for the record's
    // creation (entries of its notes may have come first, under no owner).
    rekey =
      advanced.ownerChanged ||
      changesOwner(event) ||
      event.metadata.event_type.endsWith('.created') ||
      event.metadata.event_type.endsWith('.deleted');
  }
  const draft = activityOf(event);
  const entry = draft ? await putEntry(deps, parent, draft, head) : 'none';
  const moved = rekey ? await rekeyParent(deps.store, parent, head) : 0;
  return { entry, moved };
}

async function putEntry(
  deps: Pick<ActivitiesDeps, 'store' | 'states'>,
  parent: ParentRef,
  draft: ActivityDraft,
  known?: ParentState,
): Promise<'written' | 'duplicate'> {
  for (let attempt = 1; attempt <= PUT_ATTEMPTS; attempt++) {
    // The state just stored saves a read the first time; a retry reads it again.
    const head = attempt === 1 && known ? known : await deps.store.head(parent);
    // No state yet (a note's event before its record's): the record's owner, if it still exists.
    const owner = head ? entryOwner(head.owner_id) : ((await deps.states.stateOf(parent))?.owner_id ?? null);
    const outcome = await deps.store.putEntry({ ...draft, owner_id: owner }, head ? head.owner_id : null);
    if (outcome !== 'owner_moved') return outcome;
  }
  throw new Error(`activity ${draft.event_id}: ${parent.type} ${parent.id} kept changing owner`);
}

/**
 * Moves every entry of the parent under the owner its state names, a page (100) at a time;
 * starts over when the state changed meanwhile, so the last writer always leaves the latest owner.
 * @returns how many entries were rewritten
 */
export async function rekeyParent(store: ActivityStore, parent: ParentRef, known?: ParentState): Promise<number> {
  let moved = 0;
  for (let round = 0; round < REKEY_ROUNDS; round++) {
    const head = round === 0 && known ? known : await store.head(parent);
    if (!head) return moved;
    let after: Record<string, unknown> | undefined;
    let movedNow = 0;
    do {
      const page = await store.rekeyPage(parent, head.owner_id, after);
      movedNow += page.moved;
      after = page.next;
    } while (after);
    moved += movedNow;
    // Nothing rewritten: nothing of ours can have overwritten a newer owner's rekey.
    if (movedNow === 0) return moved;
    const now = await store.head(parent);
    if (now?.version === head.version && now.owner_id === head.owner_id) return moved;
  }
  throw new Error(`rekey of ${parent.type} ${parent.id}: its owner kept changing`);
}

export interface ActivityListRequest extends PageQuery {
  kind?: ActivityVerb | undefined;
  user_id?: string | undefined;
  team_id?: string | undefined;
  record_type?: ActivityRecordType | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/**
 * GET /activities: entries of the records the caller may see (a rep: their own; a manager:
 * theirs and their direct reports'; an admin: all), newest first. `user_id` and `team_id`
 * narrow to owners inside that scope (outside it: an empty page, never an error).
 * @throws ValidationError (query.from) when from is after to
 * Cost: one Query per owner queried (rep 1, manager 1 + reports, admin 1; with team_id one per
 * member in scope, plus one to list the team), each bounded by Table.page's budget.
 */
export async function listActivities(deps: ActivitiesDeps, call: Call, request: ActivityListRequest): Promise<Page<Activity>> {
  const from = request.from !== undefined ? new Date(request.from).toISOString() : undefined;
  const to = request.to !== undefined ? new Date(request.to).toISOString() : undefined;
  if (from !== undefined && to !== undefined && from > to) throw ValidationError.field('query.from', 'must not be after to');
  let owners = ownersToQuery(scopeOf(call.principal), request.user_id);
  if (request.team_id !== undefined) {
    const members = new Set(await deps.teamMemberIds(request.team_id));
    owners = owners === 'all' ? [...members] : owners.filter((o) => members.has(o));
  }
  return deps.store.list({
    owners,
    verb: request.kind,
    record_type: request.record_type,
    from,
    to,
    limit: request.limit,
    cursor: request.cursor,
  });
}

/**
 * The dashboard's latest activity: the newest `limit` entries in the principal's scope, no
 * cursor. Requests: a rep 1 Query, a manager 1 + direct reports (in parallel), an admin 1.
 */
export async function recentActivities(
  deps: Pick<ActivitiesDeps, 'store'>,
  principal: Principal,
  options: { limit: number },
): Promise<Activity[]> {
  const owners = ownersToQuery(scopeOf(principal));
  return (await deps.store.list({ owners, limit: options.limit })).items;
}

/**
 * A lead's, contact's or deal's timeline, newest first; "not found" alike for a missing and an
 * invisible record. Requests: one GetItem (the owner) and one Query.
 */
export async function listRecordActivities(
  deps: ActivitiesDeps,
  call: Call,
  ref: RecordRef,
  page: PageQuery,
): Promise<Page<Activity>> {
  await visibleRecordOwner(deps.records, call.principal, ref);
  return deps.store.timeline({ type: ref.resource_type, id: ref.resource_id }, page);
}

/** Records the backfill reads per chunk (each with its notes). */
export const BACKFILL_PAGE = 25;

/**
 * One chunk of the feed's backfill (the "activity feed" migration): a "created" entry for each
 * of up to BACKFILL_PAGE existing records of one kind, and for their notes, through the same
 * writes the consumer makes, so the items are those a replay would make. A record whose
 * creation the consumer already recorded (an entry at its created_at) is left alone.
 * @param checkpoint null to start; else what the previous chunk answered
 * @returns the next checkpoint, or null when every kind is done
 */
export async function backfillStep(
  deps: Pick<ActivitiesDeps, 'store' | 'states'>,
  source: BackfillSource,
  checkpoint: string | null,
): Promise<string | null> {
  const at = checkpoint ? (JSON.parse(checkpoint) as { kind: number; after: string | null }) : { kind: 0, after: null };
  const kind = BACKFILL_KINDS[at.kind];
  if (kind === undefined) return null;
  const page = await source.page(kind, at.after, BACKFILL_PAGE);
  for (const { record, notes } of page.records) {
    for (const [type, data] of [[kind, record] as const, ...notes.map((n) => ['note', n] as const)]) {
      const event = backfillEvent(type, data);
      const parent = parentOf(event);
      if (!parent || typeof data.created_at !== 'string') continue;
      if (await deps.store.hasCreated(parent, { id: String(data.id), created_at: data.created_at })) continue;
      await recordActivity(deps, event);
    }
  }
  const next = page.next !== null ? { kind: at.kind, after: page.next } : { kind: at.kind + 1, after: null };
  return next.kind >= BACKFILL_KINDS.length ? null : JSON.stringify(next);
}
