import type { Account } from './account.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Role } from '#shared/kernel/roles.ts';
import type { Team, User, UserStatus } from './domain.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';

export interface UserListQuery extends PageQuery {
  role?: Role | undefined;
  status?: UserStatus | undefined;
  team_id?: string | undefined;
  reports_to?: string | undefined;
}

/** One link of a reporting line, as read; the write fails if it changed meanwhile. */
export interface ReportingLink {
  id: string;
  reports_to: string | null;
}

export interface UserRepository {
  get(id: string): Promise<User | undefined>;
  findIdByEmail(email: string): Promise<string | undefined>;
  /** How many admins are active (kept as a counter, so this is one read). */
  activeAdminCount(): Promise<number>;
  list(query: UserListQuery): Promise<Page<User>>;
  directReportIds(managerId: string): Promise<string[]>;
  /** Fails with ConflictError if the e-mail is taken; with ValidationError if the team is gone. */
  create(user: User, events: DomainEvent[]): Promise<void>;
  /**
   * Fails with VersionMismatchError if `before` is stale; keeps team member counts and the
   * active admin count right, refusing to leave the company without an active admin.
   */
  update(change: { before: User; after: User; chain: ReportingLink[] }, events: DomainEvent[]): Promise<void>;
}

export interface TeamRepository {
  get(id: string): Promise<Team | undefined>;
  list(query: PageQuery): Promise<Page<Team>>;
  create(team: Team, events: DomainEvent[]): Promise<void>;
  update(before: Team, after: Team, events: DomainEvent[]): Promise<void>;
  /** Fails with ConflictError while members remain, unless they move in the same write. */
  delete(team: Team, events: DomainEvent[], move?: { to: Team; members: User[]; now: string }): Promise<void>;
  members(teamId: string, limit: number): Promise<User[]>;
}

export interface AccountRepository {
  get(): Promise<Account | undefined>;
  save(after: Account, expectedVersion: number | undefined, events: DomainEvent[]): Promise<void>;
}

/** The sign-in directory (Cognito in AWS): follows the CRM's user records through events. */
export interface UserDirectory {
  invite(user: Pick<User, 'id' | 'email' | 'name' | 'role'>): Promise<void>;
  setRole(userId: string, email: string, role: Role, previous: Role): Promise<void>;
  setEnabled(userId: string, email: string, enabled: boolean): Promise<void>;
}
