import { ConflictError, NotFoundError, ValidationError } from '#shared/kernel/errors.ts';
import { domainEvent } from '#shared/kernel/events.ts';
import type { Team, User } from './domain.ts';
import type { TeamRepository } from './ports.ts';
import type { Call, Page, PageQuery } from '#shared/kernel/ports.ts';
import { checkIfMatch } from '#shared/kernel/versioned-update.ts';

export interface TeamsDeps {
  teams: TeamRepository;
}

/**
 * Members moved in one transaction with the delete: each move writes the user and its
 * user.updated event, and DynamoDB takes at most 100 writes per transaction.
 */
export const MAX_MOVED_MEMBERS = 45;

export async function getTeam(deps: TeamsDeps, id: string): Promise<Team> {
  const team = await deps.teams.get(id);
  if (!team) throw new NotFoundError('team', id);
  return team;
}

export function listTeams(deps: TeamsDeps, query: PageQuery): Promise<Page<Team>> {
  return deps.teams.list(query);
}

export async function createTeam(deps: TeamsDeps, call: Call, input: { name: string }): Promise<Team> {
  const now = call.events.now.toISOString();
  const team: Team = { id: call.events.newId(), name: input.name, member_count: 0, created_at: now, updated_at: now, version: 1 };
  await deps.teams.create(team, [
    domainEvent(call.events, 'team.created', { resource_type: 'team', resource_id: team.id }, team),
  ]);
  return team;
}

export async function renameTeam(
  deps: TeamsDeps,
  call: Call,
  id: string,
  input: { name: string },
  ifMatch?: number,
): Promise<Team> {
  const before = await getTeam(deps, id);
  await checkIfMatch('team', id, before, ifMatch);
  if (before.name === input.name) return before;
  const after: Team = { ...before, name: input.name, updated_at: call.events.now.toISOString(), version: before.version + 1 };
  await deps.teams.update(before, after, [
    domainEvent(call.events, 'team.updated', { resource_type: 'team', resource_id: id }, after, {
      previous: { name: before.name },
    }),
  ]);
  return after;
}

/** A team with members is deleted only when they move to another team in the same write. */
export async function deleteTeam(deps: TeamsDeps, call: Call, id: string, moveMembersTo?: string): Promise<void> {
  const team = await getTeam(deps, id);
  const event = domainEvent(call.events, 'team.deleted', { resource_type: 'team', resource_id: id }, team);
  if (team.member_count === 0) {
    await deps.teams.delete(team, [event]);
    return;
  }
  if (!moveMembersTo) {
    throw new ConflictError(
      `Team ${team.name} has ${team.member_count} member(s); move them first or pass move_members_to=<team id>`,
      { code: 'team.has_members' },
    );
  }
  if (moveMembersTo === id) throw ValidationError.field('query.move_members_to', 'must be another team');
  const to = await deps.teams.get(moveMembersTo);
  if (!to) throw ValidationError.field('query.move_members_to', `no team ${moveMembersTo}`, { fieldCode: 'unknown_reference' });
  const members = await deps.teams.members(id, MAX_MOVED_MEMBERS + 1);
  if (members.length > MAX_MOVED_MEMBERS) {
    throw new ConflictError(`Team ${team.name} has more than ${MAX_MOVED_MEMBERS} members; move some with PATCH /users first`, {
      code: 'team.too_many_members',
    });
  }
  const now = call.events.now.toISOString();
  const moves = members.map((member) => {
    const after: User = { ...member, team_id: to.id, updated_at: now, version: member.version + 1 };
    return domainEvent(call.events, 'user.updated', { resource_type: 'user', resource_id: member.id }, after, {
      previous: { team_id: member.team_id },
    });
  });
  await deps.teams.delete(team, [event, ...moves], { to, members, now });
}
