import * as z from 'zod/mini';
import { dateSchema } from '#shared/deals/domain.ts';
import { ValidationError } from '#shared/kernel/errors.ts';
import { idSchema } from '#shared/kernel/schema.ts';
import { fromMinor, toMinor } from '#shared/kernel/money.ts';

// Won, lost and unqualified in a window (F1.3): a read model of counters in daily buckets with
// monthly roll-ups, per owner, per team and for the company, kept by the deal-outcomes bus
// consumer. Everything here is pure: what a record contributes to the buckets, the deltas a
// change of contribution makes, and how a window splits into day and month ranges.
//
// The counters are state-based: each deal and lead has a head (the record's version last
// applied and what it contributes now), and the buckets hold the sum of every head's
// contribution. A record's contribution is a function of the record at one version alone, so
// applying the highest version seen (and nothing older) ends in the same counters whatever
// order events arrive in, and the backfill applies existing records through the same path.
//
// A deal contributes while it sits in a closed stage (won, lost, unqualified): one count and
// its value, in its currency, on the day it entered that stage (last_stage_change_at, in the
// company's time zone), to its current owner's buckets. A deal moved back out of won (or
// deleted) is therefore taken out of the day it was counted in; a won deal given to another
// owner moves with it (its buckets follow the owner, as visibility does, F1.1).
//
// A lead contributes while it is unqualified: one count on the day it was made so (the
// status event that made it unqualified), to its owner at that event. Leads keep no
// status-change time, so the backfill counts an existing unqualified lead on the day of its
// last change (updated_at).

/** What the window answers, per kind. */
export const OUTCOME_KINDS = ['won', 'lost', 'unqualified', 'leads_unqualified'] as const;
export type OutcomeKind = (typeof OUTCOME_KINDS)[number];

/** Deal stage categories that count, mapped to their kind. */
const CLOSED: Readonly<Record<string, OutcomeKind>> = { won: 'won', lost: 'lost', unqualified: 'unqualified' };

/** The longest window a read may ask for (days, inclusive). */
export const MAX_WINDOW_DAYS = 366;
/** The window when the request names none: the last 30 days, today included. */
export const DEFAULT_WINDOW_DAYS = 30;

/** One record's contribution: `count` records and `value_minor` (minor units) of `currency`. */
export interface OutcomeFact {
  readonly kind: OutcomeKind;
  readonly owner_id: string;
  /** YYYY-MM-DD in the company's time zone. */
  readonly day: string;
  /** ISO 4217; "-" for leads, which have no value. */
  readonly currency: string;
  readonly count: number;
  readonly value_minor: number;
}

/** The day (YYYY-MM-DD) an instant falls on in `timeZone` (IANA). */
export function dayOf(iso: string, timeZone: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new Error(`not a timestamp: ${iso}`);
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);
}

/** The fields of a deal (as events carry it) that its contribution reads. */
export interface DealOutcomeFields {
  owner_id: string;
  value: string;
  currency: string;
  stage_id: string;
  last_stage_change_at: string;
}

/** What a deal in a stage of `category` contributes, or null when it is not closed. */
export function dealFact(deal: DealOutcomeFields, category: string | undefined, timeZone: string): OutcomeFact | null {
  const kind = category ? CLOSED[category] : undefined;
  if (!kind) return null;
  return {
    kind,
    owner_id: deal.owner_id,
    day: dayOf(deal.last_stage_change_at, timeZone),
    currency: deal.currency,
    count: 1,
    value_minor: toMinor(deal.value),
  };
}

/**
 * What a lead contributes: while unqualified, one count on the day of `at` (the instant it was
 * made unqualified) to `owner_id`; else null.
 */
export function leadFact(lead: { owner_id: string; status: unknown }, at: string, timeZone: string): OutcomeFact | null {
  if (lead.status !== 'unqualified') return null;
  return {
    kind: 'leads_unqualified',
    owner_id: lead.owner_id,
    day: dayOf(at, timeZone),
    currency: '-',
    count: 1,
    value_minor: 0,
  };
}

/** The buckets a fact is counted in: its owner's, the owner's team's (if any), the company's. */
export type BucketScope =
  { readonly kind: 'user'; readonly id: string } | { readonly kind: 'team'; readonly id: string } | { readonly kind: 'company' };

export const scopeKey = (scope: BucketScope): string => (scope.kind === 'company' ? 'company' : `${scope.kind}#${scope.id}`);

/** One ADD on one bucket item: attribute name → delta. */
export interface BucketDelta {
  readonly scope: string;
  /** "day#YYYY-MM-DD" or "month#YYYY-MM". */
  readonly period: string;
  readonly add: Readonly<Record<string, number>>;
}

/** Attribute names of a bucket item: count and value per kind and currency. */
export const countAttribute = (kind: OutcomeKind, currency: string) =>
  kind === 'leads_unqualified' ? 'c_leads_unqualified' : `c_${kind}_${currency}`;
export const valueAttribute = (kind: OutcomeKind, currency: string) => `v_${kind}_${currency}`;

/** The count of contributions a bucket item holds (every kind and currency): 0 means it is empty. */
export const RECORDS_ATTRIBUTE = 'records';

/** A fact with the bucket scopes (scopeKey) it is counted in, fixed when it is applied. */
export interface OutcomeContribution extends OutcomeFact {
  readonly scopes: readonly string[];
}

/** A fact counted in its owner's, the owner's team's (`team`, if any) and the company's buckets. */
export function contributionOf(fact: OutcomeFact, team: string | null): OutcomeContribution {
  const scopes: BucketScope[] = [
    { kind: 'user', id: fact.owner_id },
    ...(team ? [{ kind: 'team' as const, id: team }] : []),
    { kind: 'company' },
  ];
  return { ...fact, scopes: scopes.map(scopeKey) };
}

/** A record's head: its version last applied, whether it was deleted, what it counts now. */
export interface OutcomeHead {
  readonly version: number;
  /** A tombstone: the record is gone, and no version applies any more. */
  readonly deleted: boolean;
  readonly contribution: OutcomeContribution | null;
}

/** A record as one event (or the backfill) shows it at one version. */
export interface OutcomeState {
  readonly type: 'deal' | 'lead';
  readonly id: string;
  readonly version: number;
  readonly deleted: boolean;
  /** What it contributes at that version (null: nothing, and always null when deleted). */
  readonly fact: OutcomeFact | null;
}

/**
 * Whether `state` replaces `head`: a first state does; nothing replaces a tombstone; a
 * deletion replaces any live head; otherwise only a higher version (a lower or equal one is a
 * redelivery, a replay, or an older event arriving late).
 */
export function supersedes(head: OutcomeHead | undefined, state: Pick<OutcomeState, 'version' | 'deleted'>): boolean {
  if (!head) return true;
  if (head.deleted) return false;
  return state.deleted || state.version > head.version;
}

/**
 * The ADDs that replace `before` by `after` in the buckets: `after` minus `before` on the
 * daily and monthly buckets of each one's scopes, merged per item (a transaction may not touch
 * one item twice), zeros dropped. Each item's RECORDS_ATTRIBUTE moves with the counts. Empty
 * when the contribution does not change (most deal updates).
 */
export function bucketDeltas(before: OutcomeContribution | null, after: OutcomeContribution | null): BucketDelta[] {
  const items = new Map<string, { scope: string; period: string; add: Record<string, number> }>();
  const apply = (fact: OutcomeContribution, sign: 1 | -1) => {
    for (const scope of fact.scopes) {
      for (const period of [`day#${fact.day}`, `month#${fact.day.slice(0, 7)}`]) {
        const key = `${scope}|${period}`;
        const item = items.get(key) ?? { scope, period, add: {} };
        items.set(key, item);
        const add = (name: string, delta: number) => (item.add[name] = (item.add[name] ?? 0) + delta);
        add(countAttribute(fact.kind, fact.currency), sign * fact.count);
        add(RECORDS_ATTRIBUTE, sign * fact.count);
        if (fact.kind !== 'leads_unqualified') add(valueAttribute(fact.kind, fact.currency), sign * fact.value_minor);
      }
    }
  };
  if (before && after && sameContribution(before, after)) return [];
  if (before) apply(before, -1);
  if (after) apply(after, 1);
  const out: BucketDelta[] = [];
  for (const item of items.values()) {
    const add = Object.fromEntries(Object.entries(item.add).filter(([, d]) => d !== 0));
    if (Object.keys(add).length > 0) out.push({ scope: item.scope, period: item.period, add });
  }
  return out.sort((a, b) => `${a.scope}|${a.period}`.localeCompare(`${b.scope}|${b.period}`));
}

const sameContribution = (a: OutcomeContribution, b: OutcomeContribution) =>
  a.kind === b.kind &&
  a.owner_id === b.owner_id &&
  a.day === b.day &&
  a.currency === b.currency &&
  a.count === b.count &&
  a.value_minor === b.value_minor &&
  a.scopes.join('|') === b.scopes.join('|');

// --- windows -----------------------------------------------------------------------------

/** A window of whole days, both ends inclusive (YYYY-MM-DD). */
export interface OutcomeWindow {
  readonly from: string;
  readonly to: string;
}

/** The sort-key ranges a window reads: at most a head of days, a run of whole months, a tail of days. */
export interface WindowPlan {
  readonly ranges: readonly (readonly [string, string])[];
}

const addDays = (day: string, n: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const daysBetween = (from: string, to: string): number =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
const monthStart = (day: string) => `${day.slice(0, 7)}-01`;
const monthEnd = (day: string) => addDays(`${nextMonth(day.slice(0, 7))}-01`, -1);
function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}
function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

/**
 * The window a request asks for, checked: `to` defaults to today, `from` to 29 days before
 * `to`; at most MAX_WINDOW_DAYS days.
 * @throws ValidationError naming query.from or query.to.
 */
export function resolveWindow(request: { from?: string | undefined; to?: string | undefined }, today: string): OutcomeWindow {
  const to = request.to ?? today;
  const from = request.from ?? addDays(to, -(DEFAULT_WINDOW_DAYS - 1));
  if (daysBetween(from, to) < 0) throw ValidationError.field('query.from', `must not be after to (${to})`);
  if (daysBetween(from, to) + 1 > MAX_WINDOW_DAYS) {
    throw ValidationError.field(request.from ? 'query.from' : 'query.to', `a window holds at most ${MAX_WINDOW_DAYS} days`);
  }
  return { from, to };
}

/**
 * The ranges of bucket sort keys that cover the window exactly: whole months from their
 * roll-ups, the edges from daily buckets. At most 3 ranges, each one Query per scope
 * (≤ 31 + 31 day items, ≤ 12 month items), whatever the number of deals.
 */
export function planWindow(window: OutcomeWindow): WindowPlan {
  const { from, to } = window;
  const firstWhole = from === monthStart(from) ? from.slice(0, 7) : nextMonth(from.slice(0, 7));
  const lastWhole = to === monthEnd(to) ? to.slice(0, 7) : previousMonth(to.slice(0, 7));
  if (firstWhole > lastWhole) return { ranges: [[`day#${from}`, `day#${to}`]] };
  const ranges: (readonly [string, string])[] = [];
  if (from !== `${firstWhole}-01`) ranges.push([`day#${from}`, `day#${addDays(`${firstWhole}-01`, -1)}`]);
  ranges.push([`month#${firstWhole}`, `month#${lastWhole}`]);
  const afterWhole = `${nextMonth(lastWhole)}-01`;
  if (afterWhole <= to) ranges.push([`day#${afterWhole}`, `day#${to}`]);
  return { ranges };
}

/** The window and narrowing both GET /stats/outcomes and GET /dashboard take. */
export const outcomeQueryFields = {
  from: z.optional(
    dateSchema.check(z.describe('First day of the window (YYYY-MM-DD, company time zone); default: 29 days before `to`.')),
  ),
  to: z.optional(
    dateSchema.check(
      z.describe(`Last day of the window, included; default: today. A window holds at most ${MAX_WINDOW_DAYS} days.`),
    ),
  ),
  user_id: z.optional(idSchema),
  team_id: z.optional(idSchema),
};

// --- the answer --------------------------------------------------------------------------

const totalSchema = z.object({
  count: z.int(),
  values: z.array(z.object({ currency: z.string(), count: z.int(), value: z.string() })),
});

/** The window's counts: per kind, a total count and, per currency, count and value (exact decimal). */
export const outcomeSummarySchema = z.object({
  from: z.string(),
  to: z.string(),
  time_zone: z.string(),
  won: totalSchema,
  lost: totalSchema,
  unqualified: totalSchema,
  leads_unqualified: z.object({ count: z.int() }),
});
export type OutcomeSummary = z.output<typeof outcomeSummarySchema>;

/** Sums bucket items (attribute name → number) into the answer; currencies are never added up. */
export function summarize(
  window: OutcomeWindow,
  timeZone: string,
  buckets: readonly Readonly<Record<string, unknown>>[],
): OutcomeSummary {
  const counts = new Map<string, number>();
  const values = new Map<string, number>();
  let leads = 0;
  for (const bucket of buckets) {
    for (const [name, raw] of Object.entries(bucket)) {
      const n = Number(raw);
      if (!Number.isFinite(n)) continue;
      if (name === 'c_leads_unqualified') leads += n;
      else if (name.startsWith('c_')) counts.set(name.slice(2), (counts.get(name.slice(2)) ?? 0) + n);
      else if (name.startsWith('v_')) values.set(name.slice(2), (values.get(name.slice(2)) ?? 0) + n);
    }
  }
  const total = (kind: 'won' | 'lost' | 'unqualified') => {
    const rows: { currency: string; count: number; value: string }[] = [];
    for (const [key, count] of counts) {
      if (!key.startsWith(`${kind}_`)) continue;
      const currency = key.slice(kind.length + 1);
      const value = values.get(key) ?? 0;
      if (count !== 0 || value !== 0) rows.push({ currency, count, value: fromMinor(value) });
    }
    rows.sort((a, b) => a.currency.localeCompare(b.currency));
    return { count: rows.reduce((n, r) => n + r.count, 0), values: rows };
  };
  return {
    from: window.from,
    to: window.to,
    time_zone: timeZone,
    won: total('won'),
    lost: total('lost'),
    unqualified: total('unqualified'),
    leads_unqualified: { count: leads },
  };
}
