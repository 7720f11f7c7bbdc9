import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '#shared/kernel/errors.ts';
import { newId } from '#shared/kernel/ids.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { callContext, systemClock } from '#shared/kernel/ports.ts';
import { createUser, setUserStatus, updateUser } from '#shared/identity/use-cases.ts';
import { createTeam, deleteTeam } from '#shared/identity/teams.ts';
import { DynamoTeamRepository, DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';

// The invariants the use cases rely on, under real concurrency against DynamoDB Local.

let deps: { users: DynamoUserRepository; teams: DynamoTeamRepository };
const system: Principal = { user_id: 'system', email: '', role: 'admin', direct_reports: [] };
const call = () => callContext(system, 'test', systemClock, () => newId());
let n = 0;
const email = (p: string) => `${p}-${Date.now()}-${n++}@example.com`;

beforeAll(async () => {
  const { tableName } = await useTestTable();
  const table = testTableClient(tableName);
  deps = { users: new DynamoUserRepository(table), teams: new DynamoTeamRepository(table) };
});

describe('identity invariants under concurrency', () => {
  it('lets exactly one of two concurrent admin removals land when two admins remain', async () => {
    const a = await createUser(deps, call(), { name: 'A', email: email('a'), role: 'admin' });
    const b = await createUser(deps, call(), { name: 'B', email: email('b'), role: 'admin' });
    const results = await Promise.allSettled([
      setUserStatus(deps, call(), a.id, 'inactive'),
      updateUser(deps, call(), b.id, { role: 'user' }),
    ]);
    const fulfilled = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected' && r.reason instanceof ConflictError).length;
    expect({ fulfilled, refused }).toEqual({ fulfilled: 1, refused: 1 });
  });

  it('gives one e-mail to one user when ten invitations race', async () => {
    const shared = email('race');
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => createUser(deps, call(), { name: `Racer ${i}`, email: shared, role: 'user' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof ConflictError),
    ).toBe(true);
  });

  it('keeps team member counts exact and refuses to delete a team someone just joined', async () => {
    const team = await createTeam(deps, call(), { name: 'Counted' });
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        createUser(deps, call(), { name: `M${i}`, email: email('m'), role: 'user', team_id: team.id }),
      ),
    );
    expect((await deps.teams.get(team.id))?.member_count).toBe(5);
    await expect(deleteTeam(deps, call(), team.id)).rejects.toBeInstanceOf(ConflictError);
    // A stale read (member_count 0) cannot delete a team that has members.
    await expect(deps.teams.delete({ ...(await deps.teams.get(team.id))!, member_count: 0 }, [])).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(await deps.teams.get(team.id)).toBeDefined();
  });

  it('refuses a user in a team that does not exist, naming body.team_id, and writes nothing', async () => {
    const address = email('ghost');
    await expect(
      createUser(deps, call(), { name: 'Ghost', email: address, role: 'user', team_id: newId() }),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      problems: [{ field: 'body.team_id' }],
    });
    expect(await deps.users.findIdByEmail(address)).toBeUndefined();
  });
});
