import { describe, expect, it } from 'vitest';
import { updateAccountInput } from '#shared/identity/account.ts';
import { canManage, createUserInput, formsCycle, normalizeEmail, teamInput, updateUserInput } from '#shared/identity/domain.ts';
import { testId } from '#test/helpers/fakes.ts';

const A = testId(1);
const B = testId(2);
const C = testId(3);
const D = testId(4);

/** The paths of the issues zod reports, e.g. ["email", "role"]. */
function failedPaths(result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }): string[] {
  expect(result.success).toBe(false);
  return result.error!.issues.map((i) => i.path.join('.'));
}

describe('formsCycle', () => {
  it.each([
    ['reporting to oneself', A, A, [], true],
    ['a manager with no line above', A, B, [], false],
    ['a line above that does not contain the user', A, B, [C, D], false],
    ["the user is the manager's manager", A, B, [A], true],
    ['the user is further up the line', A, B, [C, D, A], true],
  ] as const)('%s -> %s', (_label, user, manager, chain, expected) => {
    expect(formsCycle(user, manager, chain)).toBe(expected);
  });
});

describe('canManage', () => {
  it.each([
    ['admin', true],
    ['manager', true],
    ['user', false],
  ] as const)('%s -> %s', (role, expected) => {
    expect(canManage(role)).toBe(expected);
  });
});

describe('normalizeEmail', () => {
  it('trims and lowercases', () => {
    expect(normalizeEmail('  Ann.Lee@Example.COM ')).toBe('ann.lee@example.com');
  });
});

describe('createUserInput', () => {
  const valid = { name: 'Ann Lee', email: 'Ann.Lee@Example.COM', role: 'manager' };

  it('lowercases the e-mail and trims the name', () => {
    expect(createUserInput.parse({ ...valid, name: '  Ann Lee ' })).toEqual({
      name: 'Ann Lee',
      email: 'ann.lee@example.com',
      role: 'manager',
    });
  });

  it('accepts reports_to and team_id as ids or null', () => {
    expect(createUserInput.parse({ ...valid, reports_to: A, team_id: null })).toEqual({
      name: 'Ann Lee',
      email: 'ann.lee@example.com',
      role: 'manager',
      reports_to: A,
      team_id: null,
    });
  });

  it('rejects unknown keys', () => {
    const result = createUserInput.safeParse({ ...valid, status: 'active' });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['status'] });
  });

  it.each([
    ['a malformed e-mail', { email: 'not-an-email' }, ['email']],
    ['an unknown role', { role: 'owner' }, ['role']],
    ['a blank name', { name: '   ' }, ['name']],
    ['reports_to that is not an id', { reports_to: 'bob' }, ['reports_to']],
    ['team_id in lowercase', { team_id: A.toLowerCase() }, ['team_id']],
    ['team_id with a letter Crockford excludes (U)', { team_id: `${A.slice(0, 25)}U` }, ['team_id']],
  ])('rejects %s', (_label, change, paths) => {
    expect(failedPaths(createUserInput.safeParse({ ...valid, ...change }))).toEqual(paths);
  });

  it('requires name, email and role', () => {
    expect(failedPaths(createUserInput.safeParse({})).sort()).toEqual(['email', 'name', 'role']);
  });
});

describe('updateUserInput', () => {
  it('needs at least one field', () => {
    const result = updateUserInput.safeParse({});
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.message).toBe('name at least one field to change');
  });

  it.each([[{ name: 'New Name' }], [{ role: 'admin' }], [{ reports_to: null }], [{ team_id: B }]])('accepts %o', (patch) => {
    expect(updateUserInput.parse(patch)).toEqual(patch);
  });

  it('rejects unknown keys (e-mail and status are not changed here)', () => {
    expect(updateUserInput.safeParse({ email: 'x@example.com' }).success).toBe(false);
    expect(updateUserInput.safeParse({ status: 'inactive' }).success).toBe(false);
  });

  it('rejects a bad reports_to', () => {
    expect(failedPaths(updateUserInput.safeParse({ reports_to: '123' }))).toEqual(['reports_to']);
  });
});

describe('teamInput', () => {
  it('trims the name and refuses a blank one', () => {
    expect(teamInput.parse({ name: ' East ' })).toEqual({ name: 'East' });
    expect(failedPaths(teamInput.safeParse({ name: ' ' }))).toEqual(['name']);
  });
});

describe('updateAccountInput', () => {
  it('accepts a full valid patch', () => {
    const patch = {
      name: 'Acme',
      currency: 'USD',
      timezone: 'Europe/Paris',
      time_format: '12h',
      logo_url: 'https://cdn.example.com/logo.png',
    };
    expect(updateAccountInput.parse(patch)).toEqual(patch);
  });

  it('accepts clearing the logo', () => {
    expect(updateAccountInput.parse({ logo_url: null })).toEqual({ logo_url: null });
  });

  it.each([
    ['a lowercase currency', { currency: 'eur' }, ['currency']],
    ['a four-letter currency', { currency: 'EURO' }, ['currency']],
    ['an unknown time zone', { timezone: 'Mars/Olympus_Mons' }, ['timezone']],
    ['a plain-http logo', { logo_url: 'http://cdn.example.com/logo.png' }, ['logo_url']],
    ['a logo that is no URL', { logo_url: 'logo.png' }, ['logo_url']],
    ['an unknown time format', { time_format: '25h' }, ['time_format']],
    ['an empty name', { name: '' }, ['name']],
  ])('rejects %s', (_label, patch, paths) => {
    expect(failedPaths(updateAccountInput.safeParse(patch))).toEqual(paths);
  });

  it('takes ISO 4217 codes in use only, naming the rule', () => {
    for (const code of ['eur', 'ZZZ', 'EURO']) {
      const result = updateAccountInput.safeParse({ currency: code });
      expect(result.error!.issues[0]!.message, code).toBe('must be an ISO 4217 currency code in use, such as "EUR"');
    }
    for (const code of ['EUR', 'USD', 'JPY', 'CHF']) expect(updateAccountInput.safeParse({ currency: code }).success).toBe(true);
  });

  it('needs at least one field and refuses unknown keys', () => {
    expect(updateAccountInput.safeParse({}).error!.issues[0]!.message).toBe('name at least one field to change');
    expect(updateAccountInput.safeParse({ version: 3 }).success).toBe(false);
  });
});
