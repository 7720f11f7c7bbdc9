import { describe, expect, it } from 'vitest';
import {
  bucketDeltas,
  contributionOf,
  dayOf,
  dealFact,
  leadFact,
  planWindow,
  resolveWindow,
  summarize,
  type BucketDelta,
  type OutcomeContribution,
  type OutcomeFact,
  supersedes,
} from '#shared/outcomes/domain.ts';
import type { ValidationError } from '#shared/kernel/errors.ts';

// The bucket arithmetic of F1.3: what a deal contributes, the deltas of an event, and why
// their sum does not depend on the order events are applied in.

const TZ = 'Europe/Paris';
const deal = (
  over: Partial<{ owner_id: string; value: string; currency: string; stage_id: string; last_stage_change_at: string }> = {},
) => ({
  owner_id: 'u1',
  value: '100.50',
  currency: 'EUR',
  stage_id: 'won-stage',
  last_stage_change_at: '2026-03-10T12:00:00.000Z',
  ...over,
});
const noTeam = () => null;
const team = (o: string) => (o === 'u1' ? 't1' : 't2');

/** A fact counted in the buckets of `teamOf`'s team of its owner. */
const counted = (fact: OutcomeFact | null, teamOf: (o: string) => string | null): OutcomeContribution | null =>
  fact && contributionOf(fact, teamOf(fact.owner_id));

/** Applies deltas to a map of items, as DynamoDB's ADD would. */
function applyAll(deltas: readonly BucketDelta[][]): Map<string, Record<string, number>> {
  const items = new Map<string, Record<string, number>>();
  for (const list of deltas) {
    for (const d of list) {
      const key = `${d.scope}|${d.period}`;
      const item = items.get(key) ?? {};
      for (const [name, n] of Object.entries(d.add)) item[name] = (item[name] ?? 0) + n;
      items.set(key, item);
    }
  }
  return items;
}

describe('dayOf', () => {
  it('counts the day in the company time zone, not UTC', () => {
    expect(dayOf('2026-03-10T23:30:00.000Z', 'Europe/Paris')).toBe('2026-03-11');
    expect(dayOf('2026-03-10T23:30:00.000Z', 'Etc/UTC')).toBe('2026-03-10');
    expect(dayOf('2026-03-10T02:00:00.000Z', 'America/New_York')).toBe('2026-03-09');
  });
});

describe('dealFact', () => {
  it('counts a deal in a closed stage on the day it entered it, value in minor units', () => {
    expect(dealFact(deal(), 'won', TZ)).toEqual({
      kind: 'won',
      owner_id: 'u1',
      day: '2026-03-10',
      currency: 'EUR',
      count: 1,
      value_minor: 10050,
    });
    expect(dealFact(deal(), 'lost', TZ)?.kind).toBe('lost');
    expect(dealFact(deal(), 'unqualified', TZ)?.kind).toBe('unqualified');
  });
  it('does not count an active deal, nor one whose stage is unknown', () => {
    expect(dealFact(deal(), 'active', TZ)).toBeNull();
    expect(dealFact(deal(), undefined, TZ)).toBeNull();
  });
});

describe('bucketDeltas', () => {
  const won = dealFact(deal(), 'won', TZ) as OutcomeFact;

  it('adds a won deal to its owner, team and company, daily and monthly', () => {
    const deltas = bucketDeltas(null, counted(won, team));
    expect(deltas.map((d) => `${d.scope}|${d.period}`)).toEqual([
      'company|day#2026-03-10',
      'company|month#2026-03',
      'team#t1|day#2026-03-10',
      'team#t1|month#2026-03',
      'user#u1|day#2026-03-10',
      'user#u1|month#2026-03',
    ]);
    for (const d of deltas) expect(d.add).toEqual({ c_won_EUR: 1, v_won_EUR: 10050, records: 1 });
  });

  it('leaves out the team bucket for an owner without a team', () => {
    expect(bucketDeltas(null, counted(won, noTeam)).map((d) => d.scope)).not.toContain('team#t1');
  });

  it('takes a reopened deal out of the day it was won, not the day it reopened', () => {
    const deltas = bucketDeltas(counted(won, noTeam), null);
    expect(deltas.find((d) => d.scope === 'user#u1' && d.period === 'day#2026-03-10')?.add).toEqual({
      c_won_EUR: -1,
      v_won_EUR: -10050,
      records: -1,
    });
  });

  it('moves only the value when a won deal changes value (one update per item)', () => {
    const more = dealFact(deal({ value: '200' }), 'won', TZ);
    const deltas = bucketDeltas(counted(won, noTeam), counted(more, noTeam));
    expect(deltas).toHaveLength(4);
    for (const d of deltas) expect(d.add).toEqual({ v_won_EUR: 9950 });
  });

  it('moves a won deal to its new owner, on the same day', () => {
    const moved = dealFact(deal({ owner_id: 'u2' }), 'won', TZ);
    const items = applyAll([bucketDeltas(counted(won, team), counted(moved, team))]);
    expect(items.get('user#u1|day#2026-03-10')).toEqual({ c_won_EUR: -1, v_won_EUR: -10050, records: -1 });
    expect(items.get('user#u2|day#2026-03-10')).toEqual({ c_won_EUR: 1, v_won_EUR: 10050, records: 1 });
    expect(items.has('company|day#2026-03-10')).toBe(false);
  });

  it('makes no delta when nothing counted changes', () => {
    expect(bucketDeltas(counted(won, team), counted({ ...won }, team))).toEqual([]);
    expect(bucketDeltas(null, null)).toEqual([]);
  });

  it('telescopes: won, reopened, won on another day, in any order, leaves only the last win', () => {
    const reWon = dealFact(deal({ last_stage_change_at: '2026-04-02T09:00:00.000Z' }), 'won', TZ) as OutcomeFact;
    const events = [
      bucketDeltas(null, counted(won, team)),
      bucketDeltas(counted(won, team), null),
      bucketDeltas(null, counted(reWon, team)),
    ];
    const inOrder = applyAll(events);
    const reversed = applyAll([...events].reverse());
    expect(reversed).toEqual(inOrder);
    expect(inOrder.get('user#u1|day#2026-03-10')).toEqual({ c_won_EUR: 0, v_won_EUR: 0, records: 0 });
    expect(inOrder.get('user#u1|month#2026-04')).toEqual({ c_won_EUR: 1, v_won_EUR: 10050, records: 1 });
  });

  it('counts an unqualified lead without value, on the day it was made so; other statuses count nothing', () => {
    const fact = leadFact({ owner_id: 'u1', status: 'unqualified' }, '2026-03-10T08:00:00.000Z', TZ);
    expect(fact?.day).toBe('2026-03-10');
    expect(bucketDeltas(null, counted(fact, noTeam))[0]?.add).toEqual({ c_leads_unqualified: 1, records: 1 });
    expect(leadFact({ owner_id: 'u1', status: 'working' }, '2026-03-10T08:00:00.000Z', TZ)).toBeNull();
  });

  it('takes a contribution out of the team buckets it leaves, the other buckets unchanged', () => {
    expect(bucketDeltas(counted(won, team), counted(won, noTeam)).map((d) => d.scope)).toEqual(['team#t1', 'team#t1']);
  });
});

describe('supersedes', () => {
  const head = { version: 3, deleted: false, contribution: null };
  it('takes a first state, a higher version, and a deletion; never an older or equal version', () => {
    expect(supersedes(undefined, { version: 1, deleted: false })).toBe(true);
    expect(supersedes(head, { version: 4, deleted: false })).toBe(true);
    expect(supersedes(head, { version: 3, deleted: false })).toBe(false);
    expect(supersedes(head, { version: 2, deleted: false })).toBe(false);
    expect(supersedes(head, { version: 3, deleted: true })).toBe(true);
  });
  it('keeps a tombstone against every later state', () => {
    const tombstone = { version: 3, deleted: true, contribution: null };
    expect(supersedes(tombstone, { version: 9, deleted: false })).toBe(false);
    expect(supersedes(tombstone, { version: 3, deleted: true })).toBe(false);
  });
});

describe('resolveWindow and planWindow', () => {
  it('defaults to the last 30 days, today included', () => {
    expect(resolveWindow({}, '2026-03-10')).toEqual({ from: '2026-02-09', to: '2026-03-10' });
  });

  it('refuses a window over a year or backwards, naming the field', () => {
    const field = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as ValidationError).problems?.[0]?.field;
      }
      return undefined;
    };
    expect(field(() => resolveWindow({ from: '2025-01-01', to: '2026-03-10' }, '2026-03-10'))).toBe('query.from');
    expect(field(() => resolveWindow({ from: '2026-03-11', to: '2026-03-10' }, '2026-03-10'))).toBe('query.from');
    expect(resolveWindow({ from: '2025-03-10', to: '2026-03-09' }, '2026-03-10')).toEqual({
      from: '2025-03-10',
      to: '2026-03-09',
    });
  });

  it('reads a window without a whole month from days only (one range)', () => {
    expect(planWindow({ from: '2026-02-09', to: '2026-03-10' }).ranges).toEqual([['day#2026-02-09', 'day#2026-03-10']]);
  });

  it('reads whole months from roll-ups and the edges from days (at most 3 ranges)', () => {
    expect(planWindow({ from: '2025-03-10', to: '2026-03-09' }).ranges).toEqual([
      ['day#2025-03-10', 'day#2025-03-31'],
      ['month#2025-04', 'month#2026-02'],
      ['day#2026-03-01', 'day#2026-03-09'],
    ]);
    expect(planWindow({ from: '2026-01-01', to: '2026-12-31' }).ranges).toEqual([['month#2026-01', 'month#2026-12']]);
    expect(planWindow({ from: '2026-02-01', to: '2026-03-02' }).ranges).toEqual([
      ['month#2026-02', 'month#2026-02'],
      ['day#2026-03-01', 'day#2026-03-02'],
    ]);
  });

  it('covers every day of any window exactly once', () => {
    const days = (from: string, to: string) => {
      const out: string[] = [];
      for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000)
        out.push(new Date(t).toISOString().slice(0, 10));
      return out;
    };
    for (const [from, to] of [
      ['2024-02-29', '2025-02-27'],
      ['2026-01-31', '2026-03-01'],
      ['2026-12-01', '2026-12-31'],
      ['2026-05-17', '2026-05-17'],
    ] as const) {
      const covered: string[] = [];
      for (const [a, b] of planWindow({ from, to }).ranges) {
        if (a.startsWith('day#')) covered.push(...days(a.slice(4), b.slice(4)));
        else for (const d of days(`${a.slice(6)}-01`, to)) if (d.slice(0, 7) <= b.slice(6)) covered.push(d);
      }
      expect(covered).toEqual(days(from, to));
    }
  });
});

describe('summarize', () => {
  it('sums counts and values per kind and currency, never across currencies', () => {
    const summary = summarize({ from: '2026-03-01', to: '2026-03-31' }, TZ, [
      { pk: 'x', c_won_EUR: 2, v_won_EUR: 30000, c_won_USD: 1, v_won_USD: 999, c_lost_EUR: 1, v_lost_EUR: 50 },
      { c_won_EUR: 1, v_won_EUR: 5, c_leads_unqualified: 3, c_unqualified_EUR: 0, v_unqualified_EUR: 0 },
    ]);
    expect(summary).toEqual({
      from: '2026-03-01',
      to: '2026-03-31',
      time_zone: TZ,
      won: {
        count: 4,
        values: [
          { currency: 'EUR', count: 3, value: '300.05' },
          { currency: 'USD', count: 1, value: '9.99' },
        ],
      },
      lost: { count: 1, values: [{ currency: 'EUR', count: 1, value: '0.50' }] },
      unqualified: { count: 0, values: [] },
      leads_unqualified: { count: 3 },
    });
  });
});
