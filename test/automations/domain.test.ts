import { describe, expect, it } from 'vitest';
import { dueDate, failedFilter, passesFilter, type AutomationFilter, type FilterContext } from '#shared/automations/domain.ts';
import { effectIds } from '#shared/automations/use-cases.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { idSchema } from '#shared/kernel/schema.ts';

// What the automations function checks itself (filters a pattern cannot hold), due offsets in
// a time zone, and the ids an effect writes (the same for every run of an event and action).

const ctx: FilterContext = {
  userIds: new Map([['rep1@example.com', 'U1']]),
  teamMembers: new Map([['Paris', ['U1', 'U2']]]),
  customFieldIds: new Map([['Region', 'F1']]),
};
const deal = {
  owner_id: 'U1',
  value: '1250.50',
  hot: true,
  stage_key: 'quote',
  pipeline_key: 'sales',
  tags: [],
  estimated_close_date: null,
  custom_fields: { F1: 'EMEA' },
};
const passes = (filter: AutomationFilter, record: Record<string, unknown> = deal) => passesFilter(filter, record, ctx);

describe('filters the function checks', () => {
  it('names users by e-mail (any case) and teams by name', () => {
    expect(passes({ field: 'owner', op: 'equals', value: 'REP1@example.com' })).toBe(true);
    expect(passes({ field: 'owner', op: 'one_of', value: ['other@example.com'] })).toBe(false);
    expect(passes({ field: 'team', op: 'equals', value: 'Paris' })).toBe(true);
    expect(passes({ field: 'team', op: 'equals', value: 'Paris' }, { ...deal, owner_id: 'U9' })).toBe(false);
  });

  it('reads custom fields by name, keys by field, and compares money strings as numbers', () => {
    expect(passes({ field: 'custom:Region', op: 'equals', value: 'EMEA' })).toBe(true);
    expect(passes({ field: 'custom:Region', op: 'one_of', value: ['APAC'] })).toBe(false);
    expect(passes({ field: 'stage', op: 'one_of', value: ['quote', 'won'] })).toBe(true);
    expect(passes({ field: 'value', op: 'greater_than', value: 1000 })).toBe(true);
    expect(passes({ field: 'value', op: 'less_than', value: 1000 })).toBe(false);
    expect(passes({ field: 'value', op: 'equals', value: 1250.5 })).toBe(true);
  });

  it('treats null, "", [] and missing as empty', () => {
    expect(passes({ field: 'estimated_close_date', op: 'empty' })).toBe(true);
    expect(passes({ field: 'tags', op: 'empty' })).toBe(true);
    expect(passes({ field: 'custom:Nope', op: 'empty' })).toBe(true);
    expect(passes({ field: 'hot', op: 'not_empty' })).toBe(true);
  });

  it('answers the first filter that fails', () => {
    const filters: AutomationFilter[] = [
      { field: 'hot', op: 'equals', value: true },
      { field: 'value', op: 'greater_than', value: 5000 },
    ];
    expect(failedFilter(filters, deal, ctx)).toBe(1);
    expect(failedFilter(filters.slice(0, 1), deal, ctx)).toBe(-1);
  });
});

describe('due offsets', () => {
  it('adds minutes and hours as elapsed time', () => {
    expect(dueDate(new Date('2031-03-04T09:00:00Z'), '30m', 'Europe/Paris')).toBe('2031-03-04T09:30:00.000Z');
    expect(dueDate(new Date('2031-03-04T09:00:00Z'), '3h', 'Europe/Paris')).toBe('2031-03-04T12:00:00.000Z');
  });

  it('adds days at the same wall-clock time of the time zone, across a DST change', () => {
    // 9:00 in Paris on Friday 28 March 2031 (UTC+1); Sunday 30 March is in summer time (UTC+2).
    expect(dueDate(new Date('2031-03-28T08:00:00Z'), '2d', 'Europe/Paris')).toBe('2031-03-30T07:00:00.000Z');
    expect(dueDate(new Date('2031-03-28T08:00:00Z'), '2d', 'Etc/UTC')).toBe('2031-03-30T08:00:00.000Z');
  });
});

describe('effect ids', () => {
  const event = {
    metadata: { event_id: '01JQ0000000000000000000000', occurred_at: '2031-03-04T09:00:00.000Z' },
  } as DomainEvent;

  it('are ULIDs with the event time, the same for every run of an event and action, and distinct otherwise', () => {
    const a = effectIds(event, 'send-quote');
    const b = effectIds(event, 'send-quote');
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect(new Set(first).size).toBe(3);
    for (const id of first) expect(idSchema.safeParse(id).success).toBe(true);
    expect(effectIds(event, 'other')()).not.toBe(first[0]);
    expect(first[0]!.slice(0, 10)).toBe(
      effectIds({ ...event, metadata: { ...event.metadata, event_id: 'X' } }, 'x')().slice(0, 10),
    );
  });
});
