import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidEventPatternError, matchesPattern, validatePattern, type EventPattern } from '#shared/kernel/event-patterns.ts';

// Shared conformance vectors from AWS's documentation, cross-checked against event-ruler.
const CASES_URL = new URL('../../../shared/eventbridge-pattern-cases.json', import.meta.url);

interface PatternCase {
  id: string;
  operator: string;
  pattern: unknown;
  event: unknown;
  matches: boolean;
  note?: string;
  source: string;
}

function loadCases(): PatternCase[] {
  const file: unknown = JSON.parse(readFileSync(CASES_URL, 'utf8'));
  if (typeof file !== 'object' || file === null || !('cases' in file) || !Array.isArray(file.cases)) {
    throw new Error(`${CASES_URL.pathname} has no "cases" array`);
  }
  return file.cases as PatternCase[];
}

/** The pattern, once validatePattern has accepted it (every AWS example must be valid). */
function validated(pattern: unknown): EventPattern {
  expect(validatePattern(pattern)).toEqual([]);
  return pattern as EventPattern;
}

const cases = loadCases();
const operators = [...new Set(cases.map((c) => c.operator))];

describe('EventBridge conformance cases', () => {
  it('loads all 150 cases from ../shared', () => {
    expect(cases).toHaveLength(150);
  });

  describe.each(operators)('%s', (operator) => {
    const ofOperator = cases.filter((c) => c.operator === operator);
    it.each(ofOperator)('$id: matches is $matches', ({ pattern, event, matches }) => {
      expect(matchesPattern(validated(pattern), event)).toBe(matches);
    });
  });
});

// A CRM event as the publisher puts it on the bus: detail is the domain event envelope.
function crmEvent(detailType: string, data: Record<string, unknown>, previous?: Record<string, unknown>) {
  return {
    version: '0',
    id: '6f1c2a9e-0d3b-4c1a-9f7e-2b8d5e4a1c00',
    'detail-type': detailType,
    source: 'crm',
    account: '123456789012',
    time: '2026-03-02T09:30:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: {
      metadata: {
        event_id: '01JNQ3Z5V6Q8W2X4Y6Z8A0B2C4',
        event_type: detailType,
        event_version: 1,
        occurred_at: '2026-03-02T09:30:00.000Z',
        actor_id: 'user_rep_1',
        correlation_id: 'corr_1',
        resource_type: detailType.split('.')[0],
        resource_id: 'deal_42',
      },
      data,
      ...(previous ? { previous } : {}),
    },
  };
}

const wonDeal = crmEvent(
  'deal.stage_changed',
  { deal_id: 'deal_42', stage_id: 'stage_won', value: 12_500, currency: 'EUR', tags: ['enterprise', 'renewal'] },
  { stage_id: 'stage_proposal' },
);

describe('CRM-shaped events', () => {
  it('matches a stage change into a given stage', () => {
    const pattern: EventPattern = {
      source: ['crm'],
      'detail-type': ['deal.stage_changed'],
      detail: { data: { stage_id: ['stage_won'] } },
    };
    expect(matchesPattern(pattern, wonDeal)).toBe(true);
    expect(matchesPattern(pattern, crmEvent('deal.stage_changed', { stage_id: 'stage_lost' }))).toBe(false);
  });

  it('combines a value threshold, a tag and the previous stage', () => {
    const pattern: EventPattern = {
      'detail-type': ['deal.stage_changed'],
      detail: {
        data: { value: [{ numeric: ['>=', 10_000] }], tags: ['enterprise'] },
        previous: { stage_id: [{ 'anything-but': ['stage_won', 'stage_lost'] }] },
      },
    };
    expect(matchesPattern(pattern, wonDeal)).toBe(true);
    const small = crmEvent('deal.stage_changed', { stage_id: 'stage_won', value: 900, tags: ['enterprise'] }, {});
    expect(matchesPattern(pattern, small)).toBe(false);
  });

  it('matches only when a field changed, using exists on the previous values', () => {
    const stageChanged: EventPattern = { detail: { previous: { stage_id: [{ exists: true }] } } };
    const ownerOnly = crmEvent('deal.updated', { owner_id: 'user_rep_2' }, { owner_id: 'user_rep_1' });
    expect(matchesPattern(stageChanged, wonDeal)).toBe(true);
    expect(matchesPattern(stageChanged, ownerOnly)).toBe(false);
  });

  it('uses $or across detail-types and prefix on the event type', () => {
    const pattern: EventPattern = {
      source: ['crm'],
      $or: [{ 'detail-type': [{ prefix: 'lead.' }] }, { detail: { data: { stage_id: [{ suffix: '_won' }] } } }],
    };
    expect(matchesPattern(pattern, wonDeal)).toBe(true);
    expect(matchesPattern(pattern, crmEvent('lead.created', { lead_id: 'lead_1' }))).toBe(true);
    expect(matchesPattern(pattern, crmEvent('contact.created', { contact_id: 'contact_1' }))).toBe(false);
  });

  it('does not match a numeric condition against a numeric string from a custom field', () => {
    const pattern: EventPattern = { detail: { data: { value: [{ numeric: ['>', 100] }] } } };
    expect(matchesPattern(pattern, crmEvent('deal.updated', { value: '12500' }))).toBe(false);
  });
});

describe('validatePattern', () => {
  it('accepts a valid automation filter', () => {
    expect(validatePattern({ detail: { data: { stage_id: ['stage_won', { prefix: 'stage_' }] } } })).toEqual([]);
  });

  it('rejects an unknown operator, naming its path', () => {
    expect(validatePattern({ detail: { data: { stage_id: [{ 'starts-with': 'stage_' }] } } })).toEqual([
      '$.detail.data.stage_id[0]: unknown operator "starts-with"',
    ]);
  });

  it('rejects numeric with a bad operator, a string bound or a reversed range', () => {
    expect(validatePattern({ detail: { value: [{ numeric: ['=>', 5] }] } })).toEqual([
      '$.detail.value[0].numeric[0]: unknown numeric operator "=>" (use =, <, <=, >, >=)',
    ]);
    expect(validatePattern({ detail: { value: [{ numeric: ['>', '5'] }] } })).toEqual([
      '$.detail.value[0].numeric[1]: the value after ">" must be a number',
    ]);
    expect(validatePattern({ detail: { value: [{ numeric: ['<', 10, '>', 0] }] } })).toEqual([
      '$.detail.value[0].numeric[0]: a two-sided range starts with ">" or ">="',
      '$.detail.value[0].numeric[2]: a two-sided range ends with "<" or "<="',
      '$.detail.value[0].numeric: the lower bound must be less than the upper bound',
    ]);
  });

  it('rejects values of the wrong type, reporting every problem', () => {
    expect(
      validatePattern({
        source: 'crm',
        'detail-type': [],
        detail: { data: { won: [{ exists: 'yes' }], stage_id: [['stage_won']], tags: [{ prefix: 'a', suffix: 'b' }] } },
      }),
    ).toEqual([
      '$.source: must be an object or an array of values',
      '$["detail-type"]: empty arrays are not allowed',
      '$.detail.data.won[0].exists: exists must be true or false',
      '$.detail.data.stage_id[0]: a value must be a string, number, boolean, null or an operator object',
      '$.detail.data.tags[0]: an operator object must have exactly one key, found 2',
    ]);
  });

  it('rejects malformed anything-but, wildcard, cidr and $or', () => {
    expect(
      validatePattern({
        a: [{ 'anything-but': [1, 'x'] }],
        b: [{ 'anything-but': { prefix: '' } }],
        c: [{ wildcard: 'a**b' }],
        d: [{ wildcard: 'a\\b' }],
        e: [{ cidr: '10.0.0.0' }],
        f: [{ cidr: '10.0.0.0/32' }],
        $or: [{ g: ['x'] }],
      }),
    ).toEqual([
      '$.a[0]["anything-but"]: anything-but list must be non-empty and all strings or all numbers',
      '$.b[0]["anything-but"].prefix: an empty prefix or suffix is not allowed in anything-but',
      '$.c[0].wildcard: consecutive "*" at position 1 are not allowed',
      '$.d[0].wildcard: invalid escape at position 1 (only \\* and \\\\)',
      '$.e[0].cidr: malformed CIDR "10.0.0.0", exactly one "/" is required',
      '$.f[0].cidr: mask bits must be at most 31 for this address family',
      '$.$or: "$or" must be an array of at least 2 patterns',
    ]);
  });

  it('rejects a pattern that is not an object, or is empty', () => {
    expect(validatePattern(['crm'])).toEqual(['$: an event pattern must be a JSON object']);
    expect(validatePattern({})).toEqual(['$: empty objects are not allowed']);
  });

  it('makes matchesPattern throw rather than guess on an invalid pattern', () => {
    const invalid = { source: [{ regex: '^crm$' }] } as unknown as EventPattern;
    expect(() => matchesPattern(invalid, wonDeal)).toThrow(InvalidEventPatternError);
  });
});

describe('edge cases beyond the shared vectors', () => {
  it('treats a non-object event as matching nothing', () => {
    expect(matchesPattern({ source: [{ exists: false }] }, 'crm')).toBe(false);
  });

  it('checks exists:false across all elements of an array, as event-ruler does', () => {
    const pattern: EventPattern = { detail: { lines: { discount: [{ exists: false }] } } };
    expect(matchesPattern(pattern, { detail: { lines: [{ sku: 'a' }, { sku: 'b', discount: 5 }] } })).toBe(false);
    expect(matchesPattern(pattern, { detail: { lines: [{ sku: 'a' }, { sku: 'b' }] } })).toBe(true);
  });

  // As AWS answers (LocalStack's AWS-validated templates content_anything_prefix_int_value,
  // content_anything_wildcard_int, content_anything_prefix_list_null): only strings can be excluded.
  it('lets anything-but prefix, suffix and wildcard match present numbers and nulls', () => {
    const notInit: EventPattern = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
    const notInDir: EventPattern = { detail: { state: [{ 'anything-but': { wildcard: '*/dir/*' } }] } };
    expect(matchesPattern(notInit, { detail: { state: 12 } })).toBe(true);
    expect(matchesPattern(notInit, { detail: { state: null } })).toBe(true);
    expect(matchesPattern(notInDir, { detail: { state: 123 } })).toBe(true);
    expect(matchesPattern(notInit, { detail: {} })).toBe(false);
  });

  it('matches an IP written differently to an exact IP value', () => {
    expect(matchesPattern({ detail: { ip: ['2001:db8::1'] } }, { detail: { ip: '2001:0db8:0:0:0:0:0:1' } })).toBe(true);
  });

  it('matches a literal backslash and star in a wildcard', () => {
    expect(matchesPattern({ detail: { path: [{ wildcard: 'C:\\\\tmp\\\\*' }] } }, { detail: { path: 'C:\\tmp\\x' } })).toBe(true);
  });
});
