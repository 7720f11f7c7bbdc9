import { describe, expect, it } from 'vitest';
import { createTeam, deleteTeam, getTeam, listTeams, renameTeam, MAX_MOVED_MEMBERS } from '#shared/identity/teams.ts';
import { ConflictError, NotFoundError, ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { Team, User } from '#shared/identity/domain.ts';
import {
  IdentityStore,
  InMemoryTeamRepository,
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
const EAST = testId(50);
const WEST = testId(51);
const FIRST_NEW_ID = '01JG0000000000000000000001';

function setup(teams: Team[] = [], users: User[] = []) {
  const admin = makeUser(ADMIN, { role: 'admin' });
  const store = new IdentityStore().seed({ teams, users: [admin, ...users] });
  const teamRepo = new InMemoryTeamRepository(store);
  return {
    store,
    teams: teamRepo,
    userRepo: new InMemoryUserRepository(store),
    deps: { teams: teamRepo },
    call: fakeCall(principalOf(admin)),
  };
}

/** `n` members of `teamId`, ids from 100 up. */
function members(teamId: string, n: number): User[] {
  return Array.from({ length: n }, (_, i) => makeUser(testId(100 + i), { team_id: teamId }));
}

describe('createTeam', () => {
  it('creates an empty team, version 1, with a team.created event', async () => {
    const { teams, deps, call } = setup();
    const team = await createTeam(deps, call, { name: 'East' });
    const expected: Team = {
      id: FIRST_NEW_ID,
      name: 'East',
      member_count: 0,
      created_at: TEST_NOW,
      updated_at: TEST_NOW,
      version: 1,
    };
    expect(team).toEqual(expected);
    expect(await teams.get(FIRST_NEW_ID)).toEqual(expected);
    expect(teams.events).toEqual([
      {
        metadata: {
          event_id: '01JG0000000000000000000002',
          event_type: 'team.created',
          event_version: 1,
          occurred_at: TEST_NOW,
          actor_id: ADMIN,
          correlation_id: TEST_CORRELATION_ID,
          resource_type: 'team',
          resource_id: FIRST_NEW_ID,
        },
        data: expected,
      },
    ]);
  });
});

describe('renameTeam', () => {
  it('renames: version + 1, updated_at now, team.updated with the previous name', async () => {
    const { teams, deps, call } = setup([makeTeam(EAST, { name: 'East', member_count: 3 })]);
    const saved = await renameTeam(deps, call, EAST, { name: 'East Coast' }, 1);
    expect(saved).toEqual({ ...makeTeam(EAST), name: 'East Coast', member_count: 3, updated_at: TEST_NOW, version: 2 });
    expect(await teams.get(EAST)).toEqual(saved);
    expect(teams.events).toEqual([
      {
        metadata: expect.objectContaining({ event_type: 'team.updated', resource_type: 'team', resource_id: EAST }),
        data: saved,
        previous: { name: 'East' },
      },
    ]);
  });

  it('refuses a stale If-Match with the current team', async () => {
    const current = makeTeam(EAST, { version: 4 });
    const { teams, deps, call } = setup([current]);
    const error = await rejection(renameTeam(deps, call, EAST, { name: 'X' }, 3));
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).current).toEqual(current);
    expect(await teams.get(EAST)).toEqual(current);
    expect(teams.events).toEqual([]);
  });

  it('keeps a member count that moved since the read', async () => {
    const { store, call } = setup([makeTeam(EAST, { member_count: 1 })]);
    class Interleaved extends InMemoryTeamRepository {
      override async update(before: Team, after: Team, events: Parameters<InMemoryTeamRepository['update']>[2]) {
        store.teams.get(EAST)!.member_count = 2; // a user joined between read and write
        return super.update(before, after, events);
      }
    }
    await renameTeam({ teams: new Interleaved(store) }, call, EAST, { name: 'Renamed' });
    expect(store.team(EAST)).toMatchObject({ name: 'Renamed', member_count: 2, version: 2 });
  });

  it('answers NotFoundError for an unknown team', async () => {
    const { deps, call } = setup();
    await expect(renameTeam(deps, call, EAST, { name: 'X' })).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('deleteTeam', () => {
  it('deletes an empty team with a team.deleted event', async () => {
    const team = makeTeam(EAST);
    const { teams, deps, call } = setup([team]);
    await deleteTeam(deps, call, EAST);
    expect(await teams.get(EAST)).toBeUndefined();
    expect(teams.events).toEqual([
      { metadata: expect.objectContaining({ event_type: 'team.deleted', resource_type: 'team', resource_id: EAST }), data: team },
    ]);
  });

  it('refuses a team with members when no move is given (ConflictError), nothing changes', async () => {
    const { teams, store, deps, call } = setup([makeTeam(EAST, { member_count: 2 }), makeTeam(WEST)], members(EAST, 2));
    const error = await rejection(deleteTeam(deps, call, EAST));
    expect(error).toBeInstanceOf(ConflictError);
    expect(store.team(EAST)!.member_count).toBe(2);
    expect(teams.events).toEqual([]);
  });

  it('moves the members to the target team in the same write', async () => {
    const team = makeTeam(EAST, { member_count: 2 });
    const moved = members(EAST, 2);
    const { teams, store, userRepo, deps, call } = setup(
      [team, makeTeam(WEST, { member_count: 5 })],
      [...moved, makeUser(testId(200))],
    );
    await deleteTeam(deps, call, EAST, WEST);

    expect(store.team(EAST)).toBeUndefined();
    expect(store.team(WEST)!.member_count).toBe(7);
    for (const member of moved) {
      expect(store.user(member.id)).toEqual({ ...member, team_id: WEST, updated_at: TEST_NOW, version: 2 });
    }
    expect(store.user(testId(200))!.team_id).toBeNull();
    expect((await userRepo.list({ limit: 10, team_id: WEST })).items.map((u) => u.id)).toEqual(moved.map((m) => m.id));
    expect(teams.events[0]).toEqual({
      metadata: expect.objectContaining({ event_type: 'team.deleted', resource_id: EAST }),
      data: team,
    });
  });

  it('emits user.updated for every member it moves', async () => {
    const moved = members(EAST, 2);
    const { teams, deps, call } = setup([makeTeam(EAST, { member_count: 2 }), makeTeam(WEST)], moved);
    await deleteTeam(deps, call, EAST, WEST);
    const userEvents = teams.events.filter((e) => e.metadata.event_type === 'user.updated');
    expect(
      userEvents.map((e) => [e.metadata.resource_id, (e.data as User).team_id, (e.data as User).version, e.previous]).sort(),
    ).toEqual(moved.map((m) => [m.id, WEST, 2, { team_id: EAST }]));
  });

  it.each([
    ['the team itself', EAST],
    ['an unknown team', testId(77)],
  ])('refuses moving members to %s (query.move_members_to)', async (_label, target) => {
    const { store, teams, deps, call } = setup([makeTeam(EAST, { member_count: 1 })], members(EAST, 1));
    const error = await rejection(deleteTeam(deps, call, EAST, target));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.map((p) => p.field)).toEqual(['query.move_members_to']);
    expect(store.team(EAST)!.member_count).toBe(1);
    expect(teams.events).toEqual([]);
  });

  it(`refuses moving more than ${MAX_MOVED_MEMBERS} members in one write`, async () => {
    const count = MAX_MOVED_MEMBERS + 1;
    const { store, deps, call } = setup([makeTeam(EAST, { member_count: count }), makeTeam(WEST)], members(EAST, count));
    await expect(deleteTeam(deps, call, EAST, WEST)).rejects.toBeInstanceOf(ConflictError);
    expect(store.team(EAST)!.member_count).toBe(count);
    expect(store.team(WEST)!.member_count).toBe(0);
    expect(store.user(testId(100))!.team_id).toBe(EAST);
  });

  it('refuses when the member count no longer matches the members moved (someone joined meanwhile)', async () => {
    const { store, teams, deps, call } = setup([makeTeam(EAST, { member_count: 3 }), makeTeam(WEST)], members(EAST, 2));
    await expect(deleteTeam(deps, call, EAST, WEST)).rejects.toBeInstanceOf(ConflictError);
    expect(store.team(EAST)).toBeDefined();
    expect(store.user(testId(100))!.team_id).toBe(EAST);
    expect(teams.events).toEqual([]);
  });

  it('answers NotFoundError for an unknown team', async () => {
    const { deps, call } = setup();
    await expect(deleteTeam(deps, call, EAST)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('reads', () => {
  it('getTeam and listTeams', async () => {
    const { deps } = setup([makeTeam(WEST), makeTeam(EAST)]);
    expect(await getTeam(deps, EAST)).toEqual(makeTeam(EAST));
    await expect(getTeam(deps, testId(77))).rejects.toBeInstanceOf(NotFoundError);
    const first = await listTeams(deps, { limit: 1 });
    expect(first.items.map((t) => t.id)).toEqual([EAST]);
    expect(await listTeams(deps, { limit: 1, cursor: first.next_cursor! })).toEqual({
      items: [makeTeam(WEST)],
      next_cursor: null,
    });
  });
});
