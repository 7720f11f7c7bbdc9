import type { Account } from './account.ts';
import { ConflictError, ValidationError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Team, User } from './domain.ts';
import type { AccountRepository, ReportingLink, TeamRepository, UserListQuery, UserRepository } from './ports.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import { userKey } from '#shared/platform/dynamodb/keys.ts';
import {
  indexKeys,
  indexPartition,
  indexPartitions,
  tableKey,
  tableKeys,
  type IndexPartition,
} from '#shared/platform/dynamodb/partitions.ts';
import { INDEX } from '#shared/platform/dynamodb/table-spec.ts';
import { fromItem, type Item, type ItemKeys, type Table, type WriteOp } from '#shared/platform/dynamodb/table.ts';
import {
  recordPage,
  stale,
  versionedRename,
  versionedReplace,
  VersionedRepository,
  type VersionedKind,
} from '#shared/platform/dynamodb/versioned.ts';

// Users, teams and the account on the single table. Invariants that must hold under
// concurrency (unique e-mail, team member counts, at least one active admin, no reporting
// loop) are conditions inside the same transaction as the change.

/** Users ("user#<id>" / "user", userKey): every index sorts by id. */
const USER: VersionedKind<User> = { name: 'user', key: userKey };
/** Teams: "team#<id>" / "team". */
export const teamKey = tableKeys<[id: string]>('team', 'team');
const TEAM: VersionedKind<Team> = { name: 'team', key: teamKey };
/** The account: one item. */
export const accountKey = tableKey('account', 'account');
const ACCOUNT: VersionedKind<Account> = { name: 'account', key: accountKey };

/** Items that are not records: one user per e-mail, and the active admin counter. */
export const userClaimKeys = {
  email: tableKeys<[email: string]>('user_email', 'unique'),
  stats: tableKey('stats#users', 'stats'),
};

/** The partitions users are listed by: all, by manager, by team. */
export const userIndex = {
  all: indexPartition(INDEX.all, 'user'),
  byManager: indexPartitions<[managerId: string]>(INDEX.relation, 'reports_to'),
  byTeam: indexPartitions<[teamId: string]>(INDEX.secondRelation, 'team'),
};

/** The partition teams are listed by. */
export const teamIndex = { all: indexPartition(INDEX.all, 'team') };

function userItem(user: User): Item & ItemKeys {
  const keys = indexKeys(
    user.id,
    userIndex.all(),
    user.reports_to ? userIndex.byManager(user.reports_to) : null,
    user.team_id ? userIndex.byTeam(user.team_id) : null,
  );
  return { ...userKey(user.id), ...keys, kind: 'user', ...user };
}

const isActiveAdmin = (u: User) => u.role === 'admin' && u.status === 'active';

export class DynamoUserRepository extends VersionedRepository<User> implements UserRepository {
  protected readonly kind = USER;

  async findIdByEmail(email: string): Promise<string | undefined> {
    const item = await this.table.get(userClaimKeys.email(email));
    return item?.user_id as string | undefined;
  }

  async activeAdminCount(): Promise<number> {
    const item = await this.table.get(userClaimKeys.stats());
    return Number(item?.active_admins ?? 0);
  }

  async list(query: UserListQuery): Promise<Page<User>> {
    const partition: IndexPartition = query.team_id
      ? userIndex.byTeam(query.team_id)
      : query.reports_to
        ? userIndex.byManager(query.reports_to)
        : userIndex.all();
    const conditions: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    if (query.role) {
      conditions.push('#role = :role');
      names['#role'] = 'role';
      values[':role'] = query.role;
    }
    if (query.status) {
      conditions.push('#status = :status');
      names['#status'] = 'status';
      values[':status'] = query.status;
    }
    const filter = conditions.length ? { expression: conditions.join(' AND '), names, values } : undefined;
    return recordPage(this.table, partition, query, fromItem<User>, filter ? { filter } : {});
  }

  async directReportIds(managerId: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.table.page({
        partitions: [userIndex.byManager(managerId)],
        limit: 100,
        cursor,
        order: 'asc',
      });
      ids.push(...page.items.map((i) => String(i.id)));
      cursor = page.next_cursor ?? undefined;
    } while (cursor && ids.length < 1000);
    return ids;
  }

  async create(user: User, events: DomainEvent[]): Promise<void> {
    const ops: WriteOp[] = [
      { type: 'create', item: userItem(user) },
      {
        type: 'create',
        item: { ...userClaimKeys.email(user.email), kind: 'unique', user_id: user.id },
        onConflict: () => new ConflictError(`A user with e-mail ${user.email} already exists`, { code: 'user.email_taken' }),
      },
    ];
    if (user.team_id) ops.push(this.#teamMembers(user.team_id, +1));
    if (user.reports_to) ops.push(managerCheck(user.reports_to));
    if (isActiveAdmin(user)) ops.push(adminCount(+1));
    await this.table.write(ops, events);
  }

  async update(change: { before: User; after: User; chain: ReportingLink[] }, events: DomainEvent[]): Promise<void> {
    const { before, after } = change;
    const ops: WriteOp[] = [versionedReplace(USER, before, userItem(after))];
    if (before.team_id !== after.team_id) {
      if (before.team_id) ops.push(this.#teamMembers(before.team_id, -1));
      if (after.team_id) ops.push(this.#teamMembers(after.team_id, +1));
    }
    change.chain.forEach((link, index) => ops.push(reportingLinkCheck(link, index === 0)));
    const delta = Number(isActiveAdmin(after)) - Number(isActiveAdmin(before));
    if (delta !== 0) ops.push(adminCount(delta));
    await this.table.write(ops, events);
  }

  #teamMembers(teamId: string, delta: number): WriteOp {
    return {
      type: 'update',
      key: teamKey(teamId),
      update: 'ADD member_count :delta',
      condition: 'attribute_exists(pk)',
      values: { ':delta': delta },
      onConflict: () => ValidationError.field('body.team_id', `no team ${teamId}`, { fieldCode: 'unknown_reference' }),
    };
  }
}

function managerCheck(managerId: string): WriteOp {
  return {
    type: 'check',
    key: userKey(managerId),
    condition: '#role IN (:manager, :admin) AND #status = :active',
    names: { '#role': 'role', '#status': 'status' },
    values: { ':manager': 'manager', ':admin': 'admin', ':active': 'active' },
    onConflict: () =>
      ValidationError.field('body.reports_to', 'must be an active manager or admin', { code: 'user.manager_not_eligible' }),
  };
}

/** The reporting line read by the use case must still be the same when the change lands. */
function reportingLinkCheck(link: ReportingLink, isManager: boolean): WriteOp {
  const names: Record<string, string> = { '#rt': 'reports_to' };
  const values: Record<string, unknown> = {};
  let condition = link.reports_to === null ? 'attribute_type(#rt, :null_type)' : '#rt = :rt';
  if (link.reports_to === null) values[':null_type'] = 'NULL';
  else values[':rt'] = link.reports_to;
  if (isManager) {
    condition += ' AND #role IN (:manager, :admin) AND #status = :active';
    Object.assign(names, { '#role': 'role', '#status': 'status' });
    Object.assign(values, { ':manager': 'manager', ':admin': 'admin', ':active': 'active' });
  }
  return {
    type: 'check',
    key: userKey(link.id),
    condition,
    names,
    values,
    onConflict: () =>
      new ConflictError('The reporting line changed while you were editing it; try again', { code: 'concurrent_change' }),
  };
}

function adminCount(delta: number): WriteOp {
  return delta > 0
    ? { type: 'update', key: userClaimKeys.stats(), update: 'ADD active_admins :delta', values: { ':delta': delta } }
    : {
        type: 'update',
        key: userClaimKeys.stats(),
        update: 'ADD active_admins :delta',
        condition: 'active_admins > :one',
        values: { ':delta': delta, ':one': 1 },
        onConflict: () =>
          new ConflictError('This is the last active admin: make another user admin first', { code: 'user.last_admin' }),
      };
}

export class DynamoTeamRepository extends VersionedRepository<Team> implements TeamRepository {
  protected readonly kind = TEAM;

  list(query: PageQuery): Promise<Page<Team>> {
    return recordPage(this.table, teamIndex.all(), query, fromItem<Team>);
  }

  async members(teamId: string, limit: number): Promise<User[]> {
    const page = await this.table.page({ partitions: [userIndex.byTeam(teamId)], limit, order: 'asc' });
    return page.items.map((i) => fromItem<User>(i));
  }

  async create(team: Team, events: DomainEvent[]): Promise<void> {
    const item = { ...teamKey(team.id), ...indexKeys(team.id, teamIndex.all()), kind: 'team', ...team };
    await this.table.write([{ type: 'create', item }], events);
  }

  async update(before: Team, after: Team, events: DomainEvent[]): Promise<void> {
    // member_count moves with user writes, so the rename must not overwrite it.
    await this.table.write([versionedRename(TEAM, before, after)], events);
  }

  async delete(team: Team, events: DomainEvent[], move?: { to: Team; members: User[]; now: string }): Promise<void> {
    const moved = move?.members ?? [];
    // The team goes only if its member count is exactly what this write moves away.
    const ops: WriteOp[] = [
      {
        type: 'delete',
        key: teamKey(team.id),
        condition: 'member_count = :count',
        values: { ':count': moved.length },
        onConflict: () =>
          new ConflictError(
            move
              ? `Team ${team.name} gained or lost members meanwhile; try again`
              : `Team ${team.name} has members; move them first`,
            { code: move ? 'concurrent_change' : 'team.has_members' },
          ),
      },
    ];
    if (move) {
      for (const member of moved) {
        const after: User = { ...member, team_id: move.to.id, updated_at: move.now, version: member.version + 1 };
        ops.push(
          versionedReplace(
            USER,
            member,
            userItem(after),
            () => new ConflictError(`User ${member.id} changed meanwhile; try again`, { code: 'concurrent_change' }),
          ),
        );
      }
      ops.push({
        type: 'update',
        key: teamKey(move.to.id),
        update: 'ADD member_count :n',
        condition: 'attribute_exists(pk)',
        values: { ':n': moved.length },
        onConflict: () =>
          ValidationError.field('query.move_members_to', `no team ${move.to.id}`, { fieldCode: 'unknown_reference' }),
      });
    }
    await this.table.write(ops, events);
  }
}

export class DynamoAccountRepository implements AccountRepository {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async get(): Promise<Account | undefined> {
    const item: Item | undefined = await this.#table.get(accountKey());
    return item ? fromItem<Account>(item) : undefined;
  }

  async save(after: Account, expectedVersion: number | undefined, events: DomainEvent[]): Promise<void> {
    const item = { ...accountKey(), kind: 'account', ...after };
    const conflict = stale(ACCOUNT, 'self');
    await this.#table.write(
      [
        expectedVersion === undefined
          ? { type: 'create', item, onConflict: conflict }
          : { type: 'replace', item, expectedVersion, onConflict: conflict },
      ],
      events,
    );
  }
}
