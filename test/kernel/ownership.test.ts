import { describe, expect, it } from 'vitest';
import { ForbiddenError, NotFoundError } from '#shared/kernel/errors.ts';
import { checkAssignee, visibleOwned } from '#shared/kernel/ownership.ts';
import type { Principal } from '#shared/kernel/principal.ts';

const rep: Principal = { user_id: 'rep1', email: 'rep1@x', role: 'user', direct_reports: [] };
const manager: Principal = { user_id: 'mgr', email: 'mgr@x', role: 'manager', direct_reports: ['rep1'] };
const admin: Principal = { user_id: 'adm', email: 'adm@x', role: 'admin', direct_reports: [] };

describe('visibleOwned', () => {
  const own = { id: 'd1', owner_id: 'rep1' };
  const others = { id: 'd2', owner_id: 'rep2' };

  it('returns the record within reach, for reading and for change', () => {
    expect(visibleOwned('deal', 'd1', own, rep)).toBe(own);
    expect(visibleOwned('deal', 'd1', own, manager, { forChange: true })).toBe(own);
    expect(visibleOwned('deal', 'd2', others, admin, { forChange: true })).toBe(others);
  });

  it('answers "not found" alike for a missing record and one out of reach, so ids leak nothing', () => {
    const missing = (() => visibleOwned('deal', 'd9', undefined, admin)) as () => unknown;
    const hidden = (() => visibleOwned('deal', 'd2', others, manager)) as () => unknown;
    expect(missing).toThrow(NotFoundError);
    expect(hidden).toThrow(NotFoundError);
    expect(hidden).toThrow('deal d2 was not found');
  });
});

describe('checkAssignee (F8.4)', () => {
  it('lets a user assign themself, a manager their reports, an admin anyone', () => {
    expect(() => checkAssignee(rep, 'rep1', 'lead')).not.toThrow();
    expect(() => checkAssignee(manager, 'rep1', 'lead')).not.toThrow();
    expect(() => checkAssignee(admin, 'anyone', 'lead')).not.toThrow();
  });

  it('refuses anyone else with 403 naming the rule, worded for owners or assignees', () => {
    expect(() => checkAssignee(rep, 'rep2', 'lead')).toThrow(
      new ForbiddenError('You may not make user rep2 the owner: users assign leads to themselves only', {
        code: 'owner_not_assignable',
      }),
    );
    expect(() => checkAssignee(manager, 'rep2', 'task', { as: 'assignee' })).toThrow(
      'You may not assign a task to user rep2: managers assign tasks to themselves and their direct reports',
    );
  });
});
