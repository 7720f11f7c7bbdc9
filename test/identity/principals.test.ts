import { describe, expect, it } from 'vitest';
import { principalResolver, REPORTS_TTL_MS } from '#shared/identity/principals.ts';
import { ForbiddenError } from '#shared/kernel/errors.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import type { User } from '#shared/identity/domain.ts';
import { FixedClock, IdentityStore, InMemoryUserRepository, makeUser, testId, rejection } from '#test/helpers/fakes.ts';

const ADMIN = testId(1);
const MANAGER = testId(2);
const MANAGER_2 = testId(3);
const R1 = testId(10);
const R2 = testId(11);
const R3 = testId(12);
const USER = testId(20);

function setup(extra: User[] = [], ttlMs?: number) {
  const store = new IdentityStore().seed({
    users: [
      makeUser(ADMIN, { role: 'admin', email: 'admin@example.com' }),
      makeUser(MANAGER, { role: 'manager', email: 'manager@example.com' }),
      makeUser(R1, { reports_to: MANAGER }),
      makeUser(R2, { reports_to: MANAGER }),
      makeUser(USER, { email: 'user@example.com', reports_to: MANAGER_2 }),
      ...extra,
    ],
  });
  const clock = new FixedClock('2031-03-04T09:00:00.000Z');
  const resolver = principalResolver(new InMemoryUserRepository(store), clock, ttlMs);
  return { store, clock, resolver };
}

/** What a token would claim: only the user id is trusted. */
const claim = (user_id: string, role: Principal['role'] = 'admin'): Principal => ({
  user_id,
  email: 'claimed@example.com',
  role,
  direct_reports: [testId(99)],
});

describe('principalResolver', () => {
  it('takes role and e-mail from the CRM record, not from the claim', async () => {
    const { resolver } = setup();
    expect(await resolver.resolve(claim(USER, 'admin'))).toEqual({
      user_id: USER,
      email: 'user@example.com',
      role: 'user',
      direct_reports: [],
    });
  });

  it('gives a manager their direct reports', async () => {
    const { resolver } = setup();
    expect(await resolver.resolve(claim(MANAGER))).toEqual({
      user_id: MANAGER,
      email: 'manager@example.com',
      role: 'manager',
      direct_reports: [R1, R2],
    });
  });

  it('gives an admin no direct reports (their scope is everything anyway)', async () => {
    const { resolver } = setup([makeUser(R3, { reports_to: ADMIN })]);
    expect(await resolver.resolve(claim(ADMIN))).toMatchObject({ role: 'admin', direct_reports: [] });
  });

  it('refuses an unknown user with ForbiddenError', async () => {
    const { resolver } = setup();
    const error = await rejection(resolver.resolve(claim(testId(77))));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as Error).message).toBe('This login has no CRM user; ask an admin to invite you');
  });

  it('refuses an inactive user with ForbiddenError', async () => {
    const { resolver } = setup([makeUser(testId(30), { status: 'inactive', role: 'admin' })]);
    const error = await rejection(resolver.resolve(claim(testId(30))));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as Error).message).toBe('Your CRM user is disabled; ask an admin');
  });

  it('caches direct reports within the TTL and refreshes them after it', async () => {
    const { store, clock, resolver } = setup();
    expect((await resolver.resolve(claim(MANAGER))).direct_reports).toEqual([R1, R2]);

    store.seed({ users: [makeUser(R3, { reports_to: MANAGER })] });
    clock.advance(REPORTS_TTL_MS - 1);
    expect((await resolver.resolve(claim(MANAGER))).direct_reports).toEqual([R1, R2]);

    clock.advance(1);
    expect((await resolver.resolve(claim(MANAGER))).direct_reports).toEqual([R1, R2, R3]);
  });

  it('honours a custom TTL', async () => {
    const { store, clock, resolver } = setup([], 1_000);
    await resolver.resolve(claim(MANAGER));
    store.seed({ users: [makeUser(R3, { reports_to: MANAGER })] });
    clock.advance(999);
    expect((await resolver.resolve(claim(MANAGER))).direct_reports).toEqual([R1, R2]);
    clock.advance(1);
    expect((await resolver.resolve(claim(MANAGER))).direct_reports).toEqual([R1, R2, R3]);
  });

  it('still reads status and role on every call, cache or not', async () => {
    const { store, clock, resolver } = setup();
    await resolver.resolve(claim(MANAGER));
    store.users.get(MANAGER)!.status = 'inactive';
    clock.advance(1);
    await expect(resolver.resolve(claim(MANAGER))).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('keeps one cache entry per manager', async () => {
    const { resolver } = setup([makeUser(MANAGER_2, { role: 'manager' })]);
    expect((await resolver.resolve(claim(MANAGER))).direct_reports).toEqual([R1, R2]);
    expect((await resolver.resolve(claim(MANAGER_2))).direct_reports).toEqual([USER]);
  });

  it('forget(managerId) drops that manager only; forget() drops all', async () => {
    const { store, resolver } = setup([makeUser(MANAGER_2, { role: 'manager' })]);
    await resolver.resolve(claim(MANAGER));
    await resolver.resolve(claim(MANAGER_2));
    store.seed({ users: [makeUser(R3, { reports_to: MANAGER }), makeUser(testId(13), { reports_to: MANAGER_2 })] });

    resolver.forget(MANAGER);
    expect((await resolver.resolve(claim(MANAGER))).direct_reports).toEqual([R1, R2, R3]);
    expect((await resolver.resolve(claim(MANAGER_2))).direct_reports).toEqual([USER]);

    resolver.forget();
    expect((await resolver.resolve(claim(MANAGER_2))).direct_reports).toEqual([testId(13), USER]);
  });
});

describe('principalResolver: MFA required for admins', () => {
  /** What Cognito would say of each e-mail's TOTP, and who was asked. */
  function mfaOf(enrolled: string[]) {
    const asked: string[] = [];
    return { asked, status: { hasMfa: async (email: string) => (asked.push(email), enrolled.includes(email)) } };
  }
  function withMfa(enrolled: string[], required = true) {
    const { store } = setup();
    const mfa = mfaOf(enrolled);
    const resolver = principalResolver(new InMemoryUserRepository(store), new FixedClock('2031-03-04T09:00:00.000Z'), undefined, {
      adminMfa: () => (required ? mfa.status : undefined),
    });
    return { resolver, asked: mfa.asked };
  }

  it('refuses an admin without MFA with 403 user.mfa_required, checking the record’s e-mail (not the token’s)', async () => {
    const { resolver, asked } = withMfa([]);
    const error = await rejection(resolver.resolve(claim(ADMIN)));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toMatchObject({ code: 'user.mfa_required' });
    expect(asked).toEqual(['admin@example.com']);
  });

  it('lets an admin with MFA through, and never asks about managers and users', async () => {
    const { resolver, asked } = withMfa(['admin@example.com']);
    expect((await resolver.resolve(claim(ADMIN))).role).toBe('admin');
    expect((await resolver.resolve(claim(MANAGER, 'manager'))).role).toBe('manager');
    expect((await resolver.resolve(claim(USER, 'user'))).role).toBe('user');
    expect(asked).toEqual(['admin@example.com']);
  });

  it('asks nothing when the config does not require it', async () => {
    const { resolver, asked } = withMfa([], false);
    expect((await resolver.resolve(claim(ADMIN))).role).toBe('admin');
    expect(asked).toEqual([]);
  });
});
