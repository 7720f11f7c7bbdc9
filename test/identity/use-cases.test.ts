import { describe, expect, it } from 'vitest';
import { createUser, getUser, listUsers, selfOf, setUserStatus, updateSelf, updateUser } from '#shared/identity/use-cases.ts';
import { createUserInput, updateSelfInput, updateUserInput } from '#shared/identity/domain.ts';
import type { ReportingLink } from '#shared/identity/ports.ts';
import { ConflictError, NotFoundError, ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { User } from '#shared/identity/domain.ts';
import {
  IdentityStore,
  InMemoryUserRepository,
  TEST_CORRELATION_ID,
  TEST_NOW,
  fakeCall,
  makeTeam,
  makeUser,
  principalOf,
  testId,
  rejection,
} from '#test/helpers/fakes.ts';

const ADMIN = testId(1);
const ADMIN_2 = testId(2);
const MANAGER = testId(3);
const USER = testId(4);
const TEAM_1 = testId(50);
const TEAM_2 = testId(51);
const FIRST_NEW_ID = '01JG0000000000000000000001';

function setup(users: User[] = [], teams = [makeTeam(TEAM_1), makeTeam(TEAM_2)]) {
  const admin = makeUser(ADMIN, { role: 'admin', email: 'admin@example.com' });
  const store = new IdentityStore().seed({ users: [admin, ...users], teams });
  const repo = new InMemoryUserRepository(store);
  return { store, repo, deps: { users: repo }, call: fakeCall(principalOf(admin)) };
}

async function validationFields(promise: Promise<unknown>): Promise<string[]> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).problems.map((p) => p.field);
}

describe('createUser', () => {
  it('creates an active user with a lowercased e-mail, version 1 and a user.created event', async () => {
    const { repo, deps, call } = setup();
    const user = await createUser(deps, call, { name: 'Ann Lee', email: ' Ann@Example.com ', role: 'user' });

    const expected: User = {
      id: FIRST_NEW_ID,
      name: 'Ann Lee',
      email: 'ann@example.com',
      role: 'user',
      status: 'active',
      reports_to: null,
      team_id: null,
      time_zone: null,
      created_at: TEST_NOW,
      updated_at: TEST_NOW,
      version: 1,
    };
    expect(user).toEqual(expected);
    expect(await repo.get(FIRST_NEW_ID)).toEqual(expected);
    expect(await repo.findIdByEmail('ann@example.com')).toBe(FIRST_NEW_ID);
    expect(repo.events).toEqual([
      {
        metadata: {
          event_id: '01JG0000000000000000000002',
          event_type: 'user.created',
          event_version: 1,
          occurred_at: TEST_NOW,
          actor_id: ADMIN,
          correlation_id: TEST_CORRELATION_ID,
          resource_type: 'user',
          resource_id: FIRST_NEW_ID,
        },
        data: expected,
      },
    ]);
  });

  it('refuses an e-mail already taken, whatever its case (409)', async () => {
    const { store, repo, deps, call } = setup();
    const error = await rejection(createUser(deps, call, { name: 'Copy', email: 'ADMIN@example.com', role: 'user' }));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe('A user with e-mail admin@example.com already exists');
    expect(store.users.size).toBe(1);
    expect(repo.events).toEqual([]);
  });

  it('refuses a duplicate that lands between the check and the write (the store is the guard)', async () => {
    const { store, call } = setup();
    class Racing extends InMemoryUserRepository {
      override async findIdByEmail(): Promise<string | undefined> {
        return undefined; // the other request had not committed yet when we looked
      }
    }
    const racing = new Racing(store);
    await expect(
      createUser({ users: racing }, call, { name: 'Copy', email: 'admin@example.com', role: 'user' }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(store.users.size).toBe(1);
    expect(racing.events).toEqual([]);
  });

  it('files the user under an active manager and counts them in their team', async () => {
    const { store, deps, call } = setup([makeUser(MANAGER, { role: 'manager' })]);
    const user = await createUser(deps, call, {
      name: 'Bo',
      email: 'bo@example.com',
      role: 'user',
      reports_to: MANAGER,
      team_id: TEAM_1,
    });
    expect(user).toMatchObject({ reports_to: MANAGER, team_id: TEAM_1 });
    expect(store.team(TEAM_1)!.member_count).toBe(1);
    expect(store.team(TEAM_2)!.member_count).toBe(0);
  });

  it.each([
    ['a plain user', makeUser(USER, { role: 'user' }), USER],
    ['an inactive manager', makeUser(MANAGER, { role: 'manager', status: 'inactive' }), MANAGER],
    ['nobody', undefined, testId(99)],
  ])('refuses reports_to %s with a ValidationError on body.reports_to', async (_label, manager, reportsTo) => {
    const { store, repo, deps, call } = setup(manager ? [manager] : []);
    const before = store.users.size;
    expect(
      await validationFields(
        createUser(deps, call, { name: 'Bo', email: 'bo@example.com', role: 'user', reports_to: reportsTo }),
      ),
    ).toEqual(['body.reports_to']);
    expect(store.users.size).toBe(before);
    expect(repo.events).toEqual([]);
  });

  it('refuses an unknown team with a ValidationError on body.team_id', async () => {
    const { store, repo, deps, call } = setup();
    expect(
      await validationFields(createUser(deps, call, { name: 'Bo', email: 'bo@example.com', role: 'user', team_id: testId(77) })),
    ).toEqual(['body.team_id']);
    expect(store.users.size).toBe(1);
    expect(repo.events).toEqual([]);
  });
});

describe('updateUser', () => {
  it('renames: version + 1, updated_at now, user.updated with previous name only', async () => {
    const { repo, deps, call } = setup([makeUser(USER, { name: 'Old Name' })]);
    const saved = await updateUser(deps, call, USER, { name: 'New Name' }, 1);

    expect(saved).toEqual({ ...makeUser(USER), name: 'New Name', updated_at: TEST_NOW, version: 2 });
    expect(await repo.get(USER)).toEqual(saved);
    expect(repo.events).toHaveLength(1);
    expect(repo.events[0]).toEqual({
      metadata: expect.objectContaining({
        event_type: 'user.updated',
        resource_type: 'user',
        resource_id: USER,
        actor_id: ADMIN,
      }),
      data: saved,
      previous: { name: 'Old Name' },
    });
  });

  it('emits user.role_changed beside user.updated when the role changes', async () => {
    const { repo, deps, call } = setup([makeUser(USER, { role: 'user' })]);
    const saved = await updateUser(deps, call, USER, { role: 'manager' });
    expect(saved.role).toBe('manager');
    expect(repo.events.map((e) => [e.metadata.event_type, e.previous])).toEqual([
      ['user.updated', { role: 'user' }],
      ['user.role_changed', { role: 'user' }],
    ]);
    expect(repo.events[1]!.data).toEqual(saved);
    expect(new Set(repo.events.map((e) => e.metadata.event_id)).size).toBe(2);
  });

  it('does not emit user.role_changed when only the name changes', async () => {
    const { repo, deps, call } = setup([makeUser(USER)]);
    await updateUser(deps, call, USER, { name: 'Other' });
    expect(repo.events.map((e) => e.metadata.event_type)).toEqual(['user.updated']);
  });

  it('refuses a stale If-Match with VersionMismatchError carrying the current user', async () => {
    const current = makeUser(USER, { version: 3 });
    const { repo, deps, call } = setup([current]);
    const error = await rejection(updateUser(deps, call, USER, { name: 'X' }, 2));
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).current).toEqual(current);
    expect(await repo.get(USER)).toEqual(current);
    expect(repo.events).toEqual([]);
  });

  it('refuses a write over a change made since the read (the store checks the version)', async () => {
    const { store, call } = setup([makeUser(USER, { name: 'Mine' })]);
    class Interleaved extends InMemoryUserRepository {
      override async update(change: { before: User; after: User; chain: ReportingLink[] }, events: DomainEvent[]) {
        store.users.get(USER)!.version = 2; // someone else saved first
        return super.update(change, events);
      }
    }
    const users = new Interleaved(store);
    const error = await rejection(updateUser({ users }, call, USER, { name: 'Theirs' }));
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).current).toMatchObject({ id: USER, version: 2, name: 'Mine' });
    expect(store.user(USER)!.name).toBe('Mine');
    expect(users.events).toEqual([]);
  });

  it('is a no-op (no write, no event) when nothing changes', async () => {
    const user = makeUser(USER, { name: 'Same' });
    const { repo, deps, call } = setup([user]);
    expect(await updateUser(deps, call, USER, { name: 'Same', reports_to: null })).toEqual(user);
    expect(await repo.get(USER)).toEqual(user);
    expect(repo.events).toEqual([]);
  });

  it('answers NotFoundError for an unknown user', async () => {
    const { deps, call } = setup();
    await expect(updateUser(deps, call, testId(99), { name: 'X' })).rejects.toBeInstanceOf(NotFoundError);
  });

  describe('reports_to', () => {
    it('moves the user under an active manager, with previous reports_to', async () => {
      const { repo, deps, call } = setup([makeUser(MANAGER, { role: 'manager' }), makeUser(USER, { reports_to: ADMIN })]);
      const saved = await updateUser(deps, call, USER, { reports_to: MANAGER });
      expect(saved.reports_to).toBe(MANAGER);
      expect(repo.events[0]!.previous).toEqual({ reports_to: ADMIN });
      expect(await repo.directReportIds(MANAGER)).toEqual([USER]);
      expect(await repo.directReportIds(ADMIN)).toEqual([]);
    });

    it('can clear the manager', async () => {
      const { repo, deps, call } = setup([makeUser(USER, { reports_to: ADMIN })]);
      expect((await updateUser(deps, call, USER, { reports_to: null })).reports_to).toBeNull();
      expect(repo.events[0]!.previous).toEqual({ reports_to: ADMIN });
    });

    it('refuses a plain user as manager with a ValidationError naming body.reports_to', async () => {
      const other = makeUser(testId(5), { role: 'user' });
      const { repo, deps, call } = setup([other, makeUser(USER)]);
      expect(await validationFields(updateUser(deps, call, USER, { reports_to: other.id }))).toEqual(['body.reports_to']);
      expect((await repo.get(USER))!.reports_to).toBeNull();
      expect(repo.events).toEqual([]);
    });

    it('refuses an inactive manager and an unknown one', async () => {
      const { deps, call } = setup([makeUser(MANAGER, { role: 'manager', status: 'inactive' }), makeUser(USER)]);
      expect(await validationFields(updateUser(deps, call, USER, { reports_to: MANAGER }))).toEqual(['body.reports_to']);
      expect(await validationFields(updateUser(deps, call, USER, { reports_to: testId(99) }))).toEqual(['body.reports_to']);
    });

    it('refuses reporting to oneself', async () => {
      const { deps, call } = setup([makeUser(MANAGER, { role: 'manager' })]);
      expect(await validationFields(updateUser(deps, call, MANAGER, { reports_to: MANAGER }))).toEqual(['body.reports_to']);
    });

    it('refuses a loop: A reports to B, B to C; C may not report to A', async () => {
      const [A, B, C] = [testId(10), testId(11), testId(12)];
      const { repo, deps, call } = setup([
        makeUser(A, { role: 'manager', reports_to: B }),
        makeUser(B, { role: 'manager', reports_to: C }),
        makeUser(C, { role: 'manager', reports_to: ADMIN }),
      ]);
      const error = await rejection(updateUser(deps, call, C, { reports_to: A }));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).problems).toEqual([
        { field: 'body.reports_to', message: 'would make a reporting loop (someone would report to themself)' },
      ]);
      expect((await repo.get(C))!.reports_to).toBe(ADMIN);
      expect(repo.events).toEqual([]);
    });

    it('allows a line that merely shares a top (no loop)', async () => {
      const [A, B, C] = [testId(10), testId(11), testId(12)];
      const { deps, call } = setup([
        makeUser(A, { role: 'manager', reports_to: B }),
        makeUser(B, { role: 'manager', reports_to: ADMIN }),
        makeUser(C, { role: 'manager', reports_to: ADMIN }),
      ]);
      expect((await updateUser(deps, call, C, { reports_to: A })).reports_to).toBe(A);
    });

    it('refuses the write when the line read has changed meanwhile (ConflictError)', async () => {
      const [A, B] = [testId(10), testId(11)];
      const { store, call } = setup([
        makeUser(A, { role: 'manager', reports_to: B }),
        makeUser(B, { role: 'manager' }),
        makeUser(USER),
      ]);
      class Interleaved extends InMemoryUserRepository {
        override async update(change: { before: User; after: User; chain: ReportingLink[] }, events: DomainEvent[]) {
          store.users.get(B)!.reports_to = ADMIN; // B got a new manager between read and write
          return super.update(change, events);
        }
      }
      const users = new Interleaved(store);
      await expect(updateUser({ users }, call, USER, { reports_to: A })).rejects.toBeInstanceOf(ConflictError);
      expect(store.user(USER)!.reports_to).toBeNull();
      expect(users.events).toEqual([]);
    });
  });

  describe('teams', () => {
    it('moves a user between teams and keeps both member counts right', async () => {
      const { store, deps, call } = setup(
        [makeUser(USER, { team_id: TEAM_1 })],
        [makeTeam(TEAM_1, { member_count: 1 }), makeTeam(TEAM_2, { member_count: 4 })],
      );
      const saved = await updateUser(deps, call, USER, { team_id: TEAM_2 });
      expect(saved.team_id).toBe(TEAM_2);
      expect(store.team(TEAM_1)!.member_count).toBe(0);
      expect(store.team(TEAM_2)!.member_count).toBe(5);
      expect(deps.users.events[0]!.previous).toEqual({ team_id: TEAM_1 });
    });

    it('takes a user out of their team', async () => {
      const { store, deps, call } = setup([makeUser(USER, { team_id: TEAM_1 })], [makeTeam(TEAM_1, { member_count: 1 })]);
      await updateUser(deps, call, USER, { team_id: null });
      expect(store.team(TEAM_1)!.member_count).toBe(0);
    });

    it('refuses an unknown team (body.team_id) and changes no count', async () => {
      const { store, deps, call } = setup([makeUser(USER, { team_id: TEAM_1 })], [makeTeam(TEAM_1, { member_count: 1 })]);
      expect(await validationFields(updateUser(deps, call, USER, { team_id: testId(77) }))).toEqual(['body.team_id']);
      expect(store.team(TEAM_1)!.member_count).toBe(1);
      expect(store.user(USER)!.team_id).toBe(TEAM_1);
    });
  });

  describe('the last active admin', () => {
    it('cannot be demoted (ConflictError), nothing written', async () => {
      const { store, repo, deps, call } = setup();
      await expect(updateUser(deps, call, ADMIN, { role: 'manager' })).rejects.toBeInstanceOf(ConflictError);
      expect(store.user(ADMIN)!.role).toBe('admin');
      expect(repo.events).toEqual([]);
    });

    it('can be demoted once a second active admin exists', async () => {
      const { store, repo, deps, call } = setup([makeUser(ADMIN_2, { role: 'admin' })]);
      expect((await updateUser(deps, call, ADMIN, { role: 'manager' })).role).toBe('manager');
      expect(store.activeAdminCount()).toBe(1);
      expect(repo.events.map((e) => e.metadata.event_type)).toEqual(['user.updated', 'user.role_changed']);
      // and now ADMIN_2 is the last one
      await expect(updateUser(deps, call, ADMIN_2, { role: 'user' })).rejects.toBeInstanceOf(ConflictError);
    });

    it('is not rescued by an inactive admin', async () => {
      const { deps, call } = setup([makeUser(ADMIN_2, { role: 'admin', status: 'inactive' })]);
      await expect(updateUser(deps, call, ADMIN, { role: 'user' })).rejects.toBeInstanceOf(ConflictError);
    });

    it('can be demoted once an inactive admin is enabled again', async () => {
      const { deps, call } = setup([makeUser(ADMIN_2, { role: 'admin', status: 'inactive' })]);
      await setUserStatus(deps, call, ADMIN_2, 'active');
      expect((await updateUser(deps, call, ADMIN, { role: 'user' })).role).toBe('user');
    });

    it('promoting a user to admin makes demoting the first one possible', async () => {
      const { deps, call } = setup([makeUser(USER)]);
      await updateUser(deps, call, USER, { role: 'admin' });
      expect((await updateUser(deps, call, ADMIN, { role: 'manager' })).role).toBe('manager');
    });
  });
});

describe('setUserStatus', () => {
  it('disables a user: user.disabled with previous status, version + 1', async () => {
    const { repo, deps, call } = setup([makeUser(USER)]);
    const saved = await setUserStatus(deps, call, USER, 'inactive', 1);
    expect(saved).toEqual({ ...makeUser(USER), status: 'inactive', updated_at: TEST_NOW, version: 2 });
    expect(repo.events).toEqual([
      {
        metadata: expect.objectContaining({ event_type: 'user.disabled', resource_id: USER }),
        data: saved,
        previous: { status: 'active' },
      },
    ]);
  });

  it('enables a user: user.enabled with previous status', async () => {
    const { repo, deps, call } = setup([makeUser(USER, { status: 'inactive', version: 4 })]);
    const saved = await setUserStatus(deps, call, USER, 'active');
    expect(saved).toMatchObject({ status: 'active', version: 5 });
    expect(repo.events.map((e) => [e.metadata.event_type, e.previous])).toEqual([['user.enabled', { status: 'inactive' }]]);
  });

  it('is a no-op when the status is already the one asked for', async () => {
    const user = makeUser(USER, { status: 'inactive' });
    const { repo, deps, call } = setup([user]);
    expect(await setUserStatus(deps, call, USER, 'inactive')).toEqual(user);
    expect(repo.events).toEqual([]);
  });

  it('refuses a stale If-Match', async () => {
    const { repo, deps, call } = setup([makeUser(USER, { version: 2 })]);
    await expect(setUserStatus(deps, call, USER, 'inactive', 1)).rejects.toBeInstanceOf(VersionMismatchError);
    expect(repo.events).toEqual([]);
  });

  it('refuses an admin disabling themself, even with another admin around', async () => {
    const { store, deps, call } = setup([makeUser(ADMIN_2, { role: 'admin' })]);
    const error = await rejection(setUserStatus(deps, call, ADMIN, 'inactive'));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe('You cannot disable yourself; ask another admin');
    expect(store.user(ADMIN)!.status).toBe('active');
  });

  it('lets an admin disable another admin while one active admin remains', async () => {
    const { store, deps, call } = setup([makeUser(ADMIN_2, { role: 'admin' })]);
    expect((await setUserStatus(deps, call, ADMIN_2, 'inactive')).status).toBe('inactive');
    expect(store.activeAdminCount()).toBe(1);
  });

  it('refuses disabling the last active admin (ConflictError)', async () => {
    // The caller is an admin whose record is not the last active admin's (e.g. an operator).
    const { store, repo, deps } = setup();
    const call = fakeCall({ user_id: testId(98), email: 'ops@example.com', role: 'admin', direct_reports: [] });
    const error = await rejection(setUserStatus(deps, call, ADMIN, 'inactive'));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe('This is the last active admin: make another user admin first');
    expect(store.user(ADMIN)!.status).toBe('active');
    expect(repo.events).toEqual([]);
  });
});

describe('reads', () => {
  it('getUser answers NotFoundError for an unknown id and the record otherwise', async () => {
    const { deps } = setup([makeUser(USER)]);
    expect(await getUser(deps, USER)).toEqual(makeUser(USER));
    await expect(getUser(deps, testId(99))).rejects.toBeInstanceOf(NotFoundError);
  });

  it("selfOf is the principal's own record", async () => {
    const { deps } = setup([makeUser(USER)]);
    expect((await selfOf(deps, principalOf(makeUser(USER)))).id).toBe(USER);
  });

  it('listUsers filters and pages', async () => {
    const { deps } = setup([makeUser(MANAGER, { role: 'manager' }), makeUser(USER), makeUser(testId(5))]);
    const first = await listUsers(deps, { limit: 1, role: 'user' });
    expect(first.items.map((u) => u.id)).toEqual([USER]);
    const second = await listUsers(deps, { limit: 1, role: 'user', cursor: first.next_cursor! });
    expect(second).toEqual({ items: [makeUser(testId(5))], next_cursor: null });
  });
});

describe('time zones', () => {
  it('gives a new user no zone of their own (the account’s) unless one is given', async () => {
    const { deps, call } = setup();
    const plain = await createUser(deps, call, { name: 'A', email: 'a@example.com', role: 'user' });
    const tokyo = await createUser(deps, call, { name: 'B', email: 'b@example.com', role: 'user', time_zone: 'Asia/Tokyo' });
    expect([plain.time_zone, tokyo.time_zone]).toEqual([null, 'Asia/Tokyo']);
  });

  it('lets an admin set a user’s zone, and every user their own (PATCH /users/self), with user.updated', async () => {
    const { repo, deps, call } = setup([makeUser(USER)]);
    const byAdmin = await updateUser(deps, call, USER, { time_zone: 'Europe/Paris' });
    expect(byAdmin.time_zone).toBe('Europe/Paris');
    const self = fakeCall(principalOf(makeUser(USER)));
    const mine = await updateSelf(deps, self, { time_zone: 'America/New_York' }, byAdmin.version);
    expect(mine).toMatchObject({ time_zone: 'America/New_York', version: byAdmin.version + 1 });
    expect(repo.events.at(-1)).toMatchObject({
      metadata: { event_type: 'user.updated', actor_id: USER },
      previous: { time_zone: 'Europe/Paris' },
    });
    expect((await updateSelf(deps, self, { time_zone: null })).time_zone).toBeNull();
  });

  it('refuses a zone that is not IANA, naming the field', () => {
    for (const schema of [updateSelfInput, updateUserInput]) {
      const parsed = schema.safeParse({ time_zone: 'Mars/Olympus' });
      expect(parsed.success).toBe(false);
      expect(parsed.error!.issues.map((i) => i.path.join('.'))).toEqual(['time_zone']);
    }
    expect(createUserInput.safeParse({ name: 'A', email: 'a@example.com', role: 'user', time_zone: 'UTC+2' }).success).toBe(
      false,
    );
    expect(updateSelfInput.safeParse({ time_zone: 'Asia/Kolkata' }).success).toBe(true);
  });
});
