import { describe, expect, it } from 'vitest';
import { bootstrapCompany } from '#shared/bootstrap/use-cases.ts';
import { fakeCall, InMemoryUserRepository, makeUser, principalOf, testId } from '#test/helpers/fakes.ts';

const config = { first_admin: { name: 'First Admin', email: 'First@Example.com' } };

describe('bootstrapCompany', () => {
  it('invites the first admin from the config on a fresh deployment, with a user.created event', async () => {
    const users = new InMemoryUserRepository();
    const system = principalOf(makeUser(testId(1), { role: 'admin' }));
    expect(await bootstrapCompany({ users }, fakeCall(system), config)).toEqual({ first_admin: 'invited' });
    const id = await users.findIdByEmail('first@example.com');
    expect(await users.get(id!)).toMatchObject({ role: 'admin', status: 'active', name: 'First Admin' });
    expect(users.events.map((e) => e.metadata.event_type)).toEqual(['user.created']);
  });

  it('does nothing once the company has an active admin, however often it runs', async () => {
    const users = new InMemoryUserRepository();
    users.store.seed({ users: [makeUser(testId(2), { role: 'admin' })] });
    const system = principalOf(makeUser(testId(1), { role: 'admin' }));
    expect(await bootstrapCompany({ users }, fakeCall(system), config)).toEqual({ first_admin: 'already_present' });
    expect(await bootstrapCompany({ users }, fakeCall(system), config)).toEqual({ first_admin: 'already_present' });
    expect(users.events).toEqual([]);
  });
});
