import { expect } from 'vitest';
import type { Account } from '#shared/identity/account.ts';
import { ConflictError, ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import type { Team, User } from '#shared/identity/domain.ts';
import type { AccountRepository, ReportingLink, TeamRepository, UserListQuery, UserRepository } from '#shared/identity/ports.ts';
import { callContext, type Call, type Clock, type Page, type PageQuery } from '#shared/kernel/ports.ts';
import { copy, InMemoryStore, paginate } from './in-memory-store.ts';

// In-memory fakes of the identity ports, on the shared store. Each write checks everything the
// DynamoDB adapter checks inside its transaction (shared/identity/dynamodb.ts), inside
// store.transact, so a refused write leaves the store as it was.

const isActiveAdmin = (u: User) => u.role === 'admin' && u.status === 'active';
const isActiveManager = (u: User | undefined) => !!u && (u.role === 'manager' || u.role === 'admin') && u.status === 'active';

/** The shared store, under the name the identity tests know it by. */
export { InMemoryStore as IdentityStore };

export class InMemoryUserRepository implements UserRepository {
  readonly store: InMemoryStore;
  readonly events: DomainEvent[] = [];
  constructor(store = new InMemoryStore()) {
    this.store = store;
  }

  async get(id: string): Promise<User | undefined> {
    return this.store.user(id);
  }

  async findIdByEmail(email: string): Promise<string | undefined> {
    return [...this.store.users.values()].find((u) => u.email === email)?.id;
  }

  async activeAdminCount(): Promise<number> {
    return this.store.activeAdminCount();
  }

  async list(query: UserListQuery): Promise<Page<User>> {
    const matches = [...this.store.users.values()].filter(
      (u) =>
        (query.role === undefined || u.role === query.role) &&
        (query.status === undefined || u.status === query.status) &&
        (query.team_id === undefined || u.team_id === query.team_id) &&
        (query.reports_to === undefined || u.reports_to === query.reports_to),
    );
    return paginate(matches, query);
  }

  async directReportIds(managerId: string): Promise<string[]> {
    return [...this.store.users.values()]
      .filter((u) => u.reports_to === managerId)
      .map((u) => u.id)
      .sort();
  }

  async create(user: User, events: DomainEvent[]): Promise<void> {
    this.store.transact(() => {
      const { users, teams } = this.store;
      if (users.has(user.id)) throw new ConflictError(`user ${user.id} already exists`);
      if ([...users.values()].some((u) => u.email === user.email))
        throw new ConflictError(`A user with e-mail ${user.email} already exists`);
      if (user.team_id) this.#requireTeam(user.team_id);
      if (user.reports_to && !isActiveManager(users.get(user.reports_to))) {
        throw ValidationError.field('body.reports_to', 'must be an active manager or admin');
      }
      users.set(user.id, copy(user));
      if (user.team_id) teams.get(user.team_id)!.member_count += 1;
    });
    this.events.push(...copy(events));
  }

  async update(change: { before: User; after: User; chain: ReportingLink[] }, events: DomainEvent[]): Promise<void> {
    const { before, after, chain } = change;
    this.store.transact(() => {
      const { users, teams } = this.store;
      const current = users.get(before.id);
      if (!current || current.version !== before.version) {
        throw new VersionMismatchError('user', before.id, current ? copy(current) : null);
      }
      const teamChanged = before.team_id !== after.team_id;
      if (teamChanged && before.team_id) this.#requireTeam(before.team_id);
      if (teamChanged && after.team_id) this.#requireTeam(after.team_id);
      chain.forEach((link, index) => {
        const stored = users.get(link.id);
        if (!stored || stored.reports_to !== link.reports_to || (index === 0 && !isActiveManager(stored))) {
          throw new ConflictError('The reporting line changed while you were editing it; try again');
        }
      });
      const adminDelta = Number(isActiveAdmin(after)) - Number(isActiveAdmin(before));
      if (adminDelta < 0 && this.store.activeAdminCount() <= 1) {
        throw new ConflictError('This is the last active admin: make another user admin first');
      }
      users.set(after.id, copy(after));
      if (teamChanged && before.team_id) teams.get(before.team_id)!.member_count -= 1;
      if (teamChanged && after.team_id) teams.get(after.team_id)!.member_count += 1;
    });
    this.events.push(...copy(events));
  }

  #requireTeam(teamId: string): void {
    if (!this.store.teams.has(teamId)) throw ValidationError.field('body.team_id', `no team ${teamId}`);
  }
}

export class InMemoryTeamRepository implements TeamRepository {
  readonly store: InMemoryStore;
  readonly events: DomainEvent[] = [];
  constructor(store = new InMemoryStore()) {
    this.store = store;
  }

  async get(id: string): Promise<Team | undefined> {
    return this.store.team(id);
  }

  async list(query: PageQuery): Promise<Page<Team>> {
    return paginate([...this.store.teams.values()], query);
  }

  async members(teamId: string, limit: number): Promise<User[]> {
    const page = paginate(
      [...this.store.users.values()].filter((u) => u.team_id === teamId),
      { limit },
    );
    return page.items;
  }

  async create(team: Team, events: DomainEvent[]): Promise<void> {
    this.store.transact(() => {
      if (this.store.teams.has(team.id)) throw new ConflictError(`team ${team.id} already exists`);
      this.store.teams.set(team.id, copy(team));
    });
    this.events.push(...copy(events));
  }

  /** Like the adapter: sets name, updated_at and version only; member_count moves with users. */
  async update(before: Team, after: Team, events: DomainEvent[]): Promise<void> {
    this.store.transact(() => {
      const current = this.store.teams.get(before.id);
      if (!current || current.version !== before.version) {
        throw new VersionMismatchError('team', before.id, current ? copy(current) : null);
      }
      Object.assign(current, { name: after.name, updated_at: after.updated_at, version: after.version });
    });
    this.events.push(...copy(events));
  }

  async delete(team: Team, events: DomainEvent[], move?: { to: Team; members: User[]; now: string }): Promise<void> {
    const moved = move?.members ?? [];
    this.store.transact(() => {
      const { users, teams } = this.store;
      const current = teams.get(team.id);
      if (!current || current.member_count !== moved.length) {
        throw new ConflictError(
          move
            ? `Team ${team.name} gained or lost members meanwhile; try again`
            : `Team ${team.name} has members; move them first`,
        );
      }
      for (const member of moved) {
        if (users.get(member.id)?.version !== member.version)
          throw new ConflictError(`User ${member.id} changed meanwhile; try again`);
      }
      if (move && !teams.has(move.to.id)) throw ValidationError.field('query.move_members_to', `no team ${move.to.id}`);
      teams.delete(team.id);
      if (move) {
        for (const member of moved) {
          users.set(member.id, { ...copy(member), team_id: move.to.id, updated_at: move.now, version: member.version + 1 });
        }
        teams.get(move.to.id)!.member_count += moved.length;
      }
    });
    this.events.push(...copy(events));
  }
}

export class InMemoryAccountRepository implements AccountRepository {
  readonly store: InMemoryStore;
  readonly events: DomainEvent[] = [];
  constructor(initial?: Account, store = new InMemoryStore()) {
    this.store = store;
    if (initial) store.account = copy(initial);
  }

  /** The account as stored (undefined until saved); a test may set it (a change made elsewhere). */
  get stored(): Account | undefined {
    return this.store.account;
  }
  set stored(account: Account | undefined) {
    this.store.account = account;
  }

  async get(): Promise<Account | undefined> {
    return this.store.account && copy(this.store.account);
  }

  /** No expected version: create, refused if someone saved first. Otherwise a versioned replace. */
  async save(after: Account, expectedVersion: number | undefined, events: DomainEvent[]): Promise<void> {
    this.store.transact(() => {
      const stored = this.store.account;
      const ok = expectedVersion === undefined ? stored === undefined : stored?.version === expectedVersion;
      if (!ok) throw new VersionMismatchError('account', 'self', stored ? copy(stored) : null);
      this.store.account = copy(after);
    });
    this.events.push(...copy(events));
  }
}

// ---- Calls, clocks and ids ----

export const TEST_NOW = '2031-03-04T09:00:00.000Z';
export const TEST_CORRELATION_ID = 'corr-test-0001';

/** A clock tests move by hand. */
export class FixedClock implements Clock {
  #now: Date;
  constructor(now: Date | string = TEST_NOW) {
    this.#now = new Date(now);
  }
  now(): Date {
    return new Date(this.#now);
  }
  set(now: Date | string): void {
    this.#now = new Date(now);
  }
  advance(ms: number): void {
    this.#now = new Date(this.#now.getTime() + ms);
  }
}

/**
 * Deterministic, valid ids (26 Crockford base32 characters, like ULIDs). `prefix` keeps
 * families apart: seeded records use "S", generated ones "G".
 */
export function testId(n: number, prefix = 'S'): string {
  return `01J${prefix}${String(n).padStart(22, '0')}`;
}

/** A fresh counter of generated ids: 01JG...0001, 01JG...0002, ... */
export function idSequence(): () => string {
  let n = 0;
  return () => testId(++n, 'G');
}

/** A Call for `principal` at `now` (ISO string, Date or a clock), ids from a fresh sequence. */
export function fakeCall(principal: Principal, now: string | Date | Clock = TEST_NOW, newId = idSequence()): Call {
  const clock = typeof now === 'object' && 'now' in now ? now : new FixedClock(now);
  return callContext(principal, TEST_CORRELATION_ID, clock, newId);
}

// ---- Builders ----

export function makeUser(id: string, overrides: Partial<User> = {}): User {
  return {
    id,
    name: `User ${id.slice(-4)}`,
    email: `user-${id.slice(-4).toLowerCase()}@example.com`,
    role: 'user',
    status: 'active',
    reports_to: null,
    team_id: null,
    created_at: '2031-01-01T00:00:00.000Z',
    updated_at: '2031-01-01T00:00:00.000Z',
    version: 1,
    ...overrides,
  };
}

export function makeTeam(id: string, overrides: Partial<Team> = {}): Team {
  return {
    id,
    name: `Team ${id.slice(-4)}`,
    member_count: 0,
    created_at: '2031-01-01T00:00:00.000Z',
    updated_at: '2031-01-01T00:00:00.000Z',
    version: 1,
    ...overrides,
  };
}

/** The principal a user would resolve to (role and id from the record). */
export function principalOf(user: Pick<User, 'id' | 'email' | 'role'>, direct_reports: string[] = []): Principal {
  return { user_id: user.id, email: user.email, role: user.role, direct_reports };
}

// ---- The people and calls of use-case tests ----

/**
 * The four people a use-case test needs: an admin, a manager, the manager's direct report
 * (the rep) and a peer outside that team. Seed them in the store: owners must be active users.
 */
export const USERS = {
  admin: makeUser(testId(1), { role: 'admin' }),
  manager: makeUser(testId(2), { role: 'manager' }),
  rep: makeUser(testId(3), { reports_to: testId(2) }),
  peer: makeUser(testId(4)),
};

/**
 * Calls as each of USERS (the manager has the rep as direct report), at `now`, all drawing
 * ids from one sequence: records made by several calls of a test never share an id.
 */
export function callsAs(now: string | Date | Clock = TEST_NOW, newId = idSequence()) {
  return {
    admin: () => fakeCall(principalOf(USERS.admin), now, newId),
    manager: () => fakeCall(principalOf(USERS.manager, [USERS.rep.id]), now, newId),
    rep: () => fakeCall(principalOf(USERS.rep), now, newId),
    peer: () => fakeCall(principalOf(USERS.peer), now, newId),
  };
}

/** The error a call fails with (the test fails if it succeeds). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected the call to fail'),
    (error: unknown) => error,
  );
}

/** The fields a ValidationError names (the test fails on any other outcome). */
export async function fieldsOf(promise: Promise<unknown>): Promise<string[]> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).problems.map((p) => p.field);
}

/** The types of events, in order. */
export const eventTypes = (events: readonly DomainEvent[]): string[] => events.map((e) => e.metadata.event_type);
