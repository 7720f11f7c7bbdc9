import { describe, expect, it } from 'vitest';
import type { Principal } from '#shared/kernel/principal.ts';
import { canAssignTo, canChange, canSee, inScope, ownersToQuery, scopeOf } from '#shared/kernel/visibility.ts';
import { testId } from '#test/helpers/fakes.ts';

// F1.1 (see/change) and F8.4 (assign) over the three profiles.

const ADMIN = testId(1);
const MANAGER = testId(2);
const REPORT_1 = testId(3);
const REPORT_2 = testId(4);
const OTHER = testId(5);

const admin: Principal = { user_id: ADMIN, email: 'admin@example.com', role: 'admin', direct_reports: [] };
const manager: Principal = {
  user_id: MANAGER,
  email: 'manager@example.com',
  role: 'manager',
  direct_reports: [REPORT_1, REPORT_2],
};
const user: Principal = { user_id: REPORT_1, email: 'report1@example.com', role: 'user', direct_reports: [] };

type Case = [who: string, principal: Principal, whose: string, ownerId: string, allowed: boolean];

const cases: Case[] = [
  ['admin', admin, 'own', ADMIN, true],
  ['admin', admin, "a manager's", MANAGER, true],
  ['admin', admin, "a report's", REPORT_1, true],
  ['admin', admin, "someone else's", OTHER, true],
  ['manager', manager, 'own', MANAGER, true],
  ['manager', manager, "first report's", REPORT_1, true],
  ['manager', manager, "second report's", REPORT_2, true],
  ['manager', manager, "someone else's", OTHER, false],
  ['manager', manager, "the admin's", ADMIN, false],
  ['user', user, 'own', REPORT_1, true],
  ['user', user, "their manager's", MANAGER, false],
  ['user', user, "a peer's", REPORT_2, false],
  ['user', user, "someone else's", OTHER, false],
];

describe('canSee / canChange / canAssignTo', () => {
  it.each(cases)('%s on %s records (%s) -> %s', (_who, principal, _whose, ownerId, allowed) => {
    expect(canSee(principal, ownerId)).toBe(allowed);
    expect(canChange(principal, ownerId)).toBe(allowed);
    expect(canAssignTo(principal, ownerId)).toBe(allowed);
  });

  it('ignores direct_reports on a plain user (a stale claim gives no reach)', () => {
    const stale: Principal = { ...user, direct_reports: [REPORT_2] };
    expect(canSee(stale, REPORT_2)).toBe(false);
    expect(canAssignTo(stale, REPORT_2)).toBe(false);
  });
});

describe('scopeOf', () => {
  it.each([
    ['admin', admin, { kind: 'all' }],
    ['manager', manager, { kind: 'owners', owner_ids: [MANAGER, REPORT_1, REPORT_2] }],
    ['user', user, { kind: 'owners', owner_ids: [REPORT_1] }],
    ['manager with no reports', { ...manager, direct_reports: [] }, { kind: 'owners', owner_ids: [MANAGER] }],
  ] as const)('%s', (_who, principal, expected) => {
    expect(scopeOf(principal)).toEqual(expected);
  });

  it('inScope matches the scope', () => {
    expect(inScope({ kind: 'all' }, OTHER)).toBe(true);
    expect(inScope({ kind: 'owners', owner_ids: [MANAGER] }, MANAGER)).toBe(true);
    expect(inScope({ kind: 'owners', owner_ids: [MANAGER] }, OTHER)).toBe(false);
  });
});

describe('ownersToQuery', () => {
  it.each([
    ['admin, no filter', admin, undefined, 'all'],
    ['admin, filter on anyone', admin, OTHER, [OTHER]],
    ['manager, no filter', manager, undefined, [MANAGER, REPORT_1, REPORT_2]],
    ['manager, filter on a report', manager, REPORT_2, [REPORT_2]],
    ['manager, filter on self', manager, MANAGER, [MANAGER]],
    ['manager, filter outside scope', manager, OTHER, []],
    ['user, no filter', user, undefined, [REPORT_1]],
    ['user, filter on self', user, REPORT_1, [REPORT_1]],
    ['user, filter on their manager', user, MANAGER, []],
  ] as const)('%s', (_label, principal, requested, expected) => {
    expect(ownersToQuery(scopeOf(principal), requested)).toEqual(expected);
  });

  it('returns a copy, so the caller cannot widen the scope it came from', () => {
    const scope = scopeOf(manager);
    const owners = ownersToQuery(scope) as string[];
    owners.push(OTHER);
    expect(scope).toEqual({ kind: 'owners', owner_ids: [MANAGER, REPORT_1, REPORT_2] });
  });
});
