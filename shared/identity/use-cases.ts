import { ConflictError, NotFoundError, ValidationError } from '#shared/kernel/errors.ts';
import { changedFields, domainEvent } from '#shared/kernel/events.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { canManage, formsCycle, normalizeEmail, type User, type UserStatus } from './domain.ts';
import type { ReportingLink, UserListQuery, UserRepository } from './ports.ts';
import type { CreateUserInput, UpdateSelfInput, UpdateUserInput } from './domain.ts';
import type { Call, Page } from '#shared/kernel/ports.ts';
import { VersionMismatchError } from '#shared/kernel/errors.ts';

// Users (X3). Everyone may read the company's users (to assign work, to see who is who);
// only admins change them. Route contracts enforce the role; the rules live here.

export interface UsersDeps {
  users: UserRepository;
}

const MAX_REPORTING_DEPTH = 50;

export async function getUser(deps: UsersDeps, id: string): Promise<User> {
  const user = await deps.users.get(id);
  if (!user) throw new NotFoundError('user', id);
  return user;
}

export type { CreateUserInput, UpdateUserInput };

export function listUsers(deps: UsersDeps, query: UserListQuery): Promise<Page<User>> {
  return deps.users.list(query);
}

export async function createUser(deps: UsersDeps, call: Call, input: CreateUserInput): Promise<User> {
  // A taken e-mail fails the write itself (a uniqueness item created in the same transaction).
  const email = normalizeEmail(input.email);
  const id = call.events.newId();
  const now = call.events.now.toISOString();
  const reportsTo = input.reports_to ?? null;
  if (reportsTo) await checkManager(deps, reportsTo, 'body.reports_to');
  const user: User = {
    id,
    name: input.name,
    email,
    role: input.role,
    status: 'active',
    reports_to: reportsTo,
    team_id: input.team_id ?? null,
    time_zone: input.time_zone ?? null,
    created_at: now,
    updated_at: now,
    version: 1,
  };
  const event = domainEvent(call.events, 'user.created', { resource_type: 'user', resource_id: id }, user);
  await deps.users.create(user, [event]);
  return user;
}

export async function updateUser(
  deps: UsersDeps,
  call: Call,
  id: string,
  patch: UpdateUserInput,
  ifMatch?: number,
): Promise<User> {
  const before = await getUser(deps, id);
  checkVersion(before, ifMatch);
  const after: User = { ...before };
  if (patch.name !== undefined) after.name = patch.name;
  if (patch.role !== undefined) after.role = patch.role;
  if (canManage(before.role) && !canManage(after.role)) {
    const reports = await deps.users.directReportIds(id);
    if (reports.length > 0) {
      throw new ConflictError(`${before.name} has ${reports.length} direct report(s): give them another manager first`, {
        code: 'user.has_direct_reports',
      });
    }
  }
  if (patch.team_id !== undefined) after.team_id = patch.team_id;
  if (patch.time_zone !== undefined) after.time_zone = patch.time_zone;
  let chain: ReportingLink[] = [];
  if (patch.reports_to !== undefined && patch.reports_to !== before.reports_to) {
    after.reports_to = patch.reports_to;
    if (patch.reports_to !== null) chain = await reportingChain(deps, id, patch.reports_to);
  }
  return save(deps, call, before, after, chain, 'user.updated');
}

/** PATCH /users/self: the caller changes their own time zone (null: the account's). */
export async function updateSelf(deps: UsersDeps, call: Call, patch: UpdateSelfInput, ifMatch?: number): Promise<User> {
  const before = await getUser(deps, call.principal.user_id);
  checkVersion(before, ifMatch);
  return save(deps, call, before, { ...before, time_zone: patch.time_zone }, [], 'user.updated');
}

export async function setUserStatus(
  deps: UsersDeps,
  call: Call,
  id: string,
  status: UserStatus,
  ifMatch?: number,
): Promise<User> {
  const before = await getUser(deps, id);
  checkVersion(before, ifMatch);
  if (before.status === status) return before;
  if (status === 'inactive' && id === call.principal.user_id) {
    throw new ConflictError('You cannot disable yourself; ask another admin', { code: 'user.cannot_disable_self' });
  }
  return save(deps, call, before, { ...before, status }, [], status === 'active' ? 'user.enabled' : 'user.disabled');
}

async function save(deps: UsersDeps, call: Call, before: User, after: User, chain: ReportingLink[], type: string): Promise<User> {
  const previous = changedFields(before, after);
  if (Object.keys(previous).length === 0) return before;
  const saved: User = { ...after, updated_at: call.events.now.toISOString(), version: before.version + 1 };
  const events = [domainEvent(call.events, type, { resource_type: 'user', resource_id: before.id }, saved, { previous })];
  if (before.role !== saved.role) {
    events.push(
      domainEvent(call.events, 'user.role_changed', { resource_type: 'user', resource_id: before.id }, saved, {
        previous: { role: before.role },
      }),
    );
  }
  await deps.users.update({ before, after: saved, chain }, events);
  return saved;
}

/**
 * The new manager's line upwards. Refuses a manager who cannot manage, and a loop (the user
 * would end up managing themself); the chain goes to the write, which fails if it changed.
 */
async function reportingChain(deps: UsersDeps, userId: string, managerId: string): Promise<ReportingLink[]> {
  const manager = await checkManager(deps, managerId, 'body.reports_to');
  const chain: ReportingLink[] = [{ id: manager.id, reports_to: manager.reports_to }];
  let next = manager.reports_to;
  while (next && chain.length < MAX_REPORTING_DEPTH) {
    const link = await deps.users.get(next);
    if (!link) break;
    chain.push({ id: link.id, reports_to: link.reports_to });
    next = link.reports_to;
  }
  const upwards = chain.map((l) => l.reports_to).filter((x): x is string => x !== null);
  if (formsCycle(userId, managerId, upwards)) {
    throw ValidationError.field('body.reports_to', 'would make a reporting loop (someone would report to themself)', {
      code: 'user.reporting_loop',
    });
  }
  return chain;
}

async function checkManager(deps: UsersDeps, managerId: string, field: string): Promise<User> {
  const manager = await deps.users.get(managerId);
  if (!manager) throw ValidationError.field(field, `no user ${managerId}`, { fieldCode: 'unknown_reference' });
  if (!canManage(manager.role))
    throw ValidationError.field(field, 'must be a manager or an admin', { code: 'user.manager_not_eligible' });
  if (manager.status !== 'active')
    throw ValidationError.field(field, 'must be an active user', { code: 'user.manager_not_eligible' });
  return manager;
}

function checkVersion(user: User, ifMatch: number | undefined): void {
  if (ifMatch !== undefined && ifMatch !== user.version) throw new VersionMismatchError('user', user.id, user);
}

/** The principal's own record: what GET /users/self returns. */
export function selfOf(deps: UsersDeps, principal: Principal): Promise<User> {
  return getUser(deps, principal.user_id);
}
