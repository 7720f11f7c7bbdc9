import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import type { TaskListQuery, TaskRecordLink, TaskRepository } from './ports.ts';
import { ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { recordRefKey, type RecordRef } from '#shared/kernel/related-records.ts';
import { moveTask, taskOrderKey, taskOrderRange, type Task } from './domain.ts';
import { taskKey, userKey } from '#shared/platform/dynamodb/keys.ts';
import { recordOwnerCheck } from '#shared/platform/dynamodb/record-owners.ts';
import {
  fromItem,
  type Item,
  type ItemKeys,
  type PageRequest,
  type PartitionQuery,
  type Table,
  type WriteOp,
} from '#shared/platform/dynamodb/table.ts';

// Tasks on the single table, one item each ("task#<id>" / "task"). Every index sorts by the
// list order "<0 open | 1 done>#<due UTC>#<id>" (taskOrderKey): gsi1 by assignee
// ("task#<owner>"), gsi2 all ("task", admins), gsi3 by record ("<type>#<id>#task"). So
// "overdue" (open, due before now), "completed", and due ranges are key ranges, not filters.

const recordPartition = (ref: RecordRef) => `${recordRefKey(ref)}#task`;

function taskKeys(task: Task): ItemKeys {
  const order = taskOrderKey(task);
  return {
    ...taskKey(task.id),
    gsi1pk: `task#${task.owner_id}`,
    gsi1sk: order,
    gsi2pk: 'task',
    gsi2sk: order,
    ...(task.resource_type && task.resource_id
      ? { gsi3pk: recordPartition({ resource_type: task.resource_type, resource_id: task.resource_id }), gsi3sk: order }
      : {}),
  };
}

/** `_order` repeats the sort key for the one filter that needs it (see `#plan`). */
function taskItem(task: Task): Item & ItemKeys {
  return { ...taskKeys(task), kind: 'task', ...task, _order: taskOrderKey(task) };
}

const stale = (id: string) => (current: Item | undefined) =>
  new VersionMismatchError('task', id, current ? fromItem<Task>(current) : null);

function assigneeCheck(ownerId: string): WriteOp {
  return {
    type: 'check',
    key: userKey(ownerId),
    condition: '#status = :active',
    names: { '#status': 'status' },
    values: { ':active': 'active' },
    onConflict: () => ValidationError.field('body.owner_id', `no active user ${ownerId}`, { fieldCode: 'unknown_reference' }),
  };
}

/**
 * Lead conversion: the writes that re-point a task to another record inside the caller's
 * transaction, conditional on the task's version. `at` sets updated_at (unchanged without it).
 */
export function taskMoveOps(task: Task, to: RecordRef, at?: string): WriteOp[] {
  return [{ type: 'replace', item: taskItem(moveTask(task, to, at)), expectedVersion: task.version, onConflict: stale(task.id) }];
}

/** A list cursor: the instant the first page judged "overdue" at, then the table's cursor. */
const CURSOR = /^(\d{1,15})~(.+)$/;

export class DynamoTaskRepository implements TaskRepository {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async get(id: string): Promise<Task | undefined> {
    const item = await this.#table.get(taskKey(id));
    return item ? fromItem<Task>(item) : undefined;
  }

  async create(task: Task, link: TaskRecordLink | null, events: DomainEvent[]): Promise<void> {
    await this.#table.write(
      [
        { type: 'create', item: taskItem(task) },
        assigneeCheck(task.owner_id),
        ...(link ? [recordOwnerCheck(link.ref, link.ownerId)] : []),
      ],
      events,
    );
  }

  async update(before: Task, after: Task, link: TaskRecordLink | null, events: DomainEvent[]): Promise<void> {
    await this.#table.write(
      [
        { type: 'replace', item: taskItem(after), expectedVersion: before.version, onConflict: stale(before.id) },
        ...(after.owner_id !== before.owner_id ? [assigneeCheck(after.owner_id)] : []),
        ...(link ? [recordOwnerCheck(link.ref, link.ownerId)] : []),
      ],
      events,
    );
  }

  async delete(task: Task, events: DomainEvent[]): Promise<void> {
    await this.#table.write(
      [{ type: 'delete', key: taskKey(task.id), expectedVersion: task.version, onConflict: stale(task.id) }],
      events,
    );
  }

  async list(query: TaskListQuery, page: PageQuery): Promise<Page<Task>> {
    let asOf = query.now;
    let cursor: string | undefined;
    if (page.cursor !== undefined) {
      const match = CURSOR.exec(page.cursor);
      if (!match)
        throw ValidationError.field('query.cursor', 'is not a cursor returned by this list with these filters', {
          code: 'invalid_cursor',
        });
      asOf = new Date(Number(match[1]));
      cursor = match[2];
    }
    // The table's cursor is bound to the key range, which holds `asOf`: an edited instant
    // fails that binding.
    const plan = this.#plan({ ...query, now: asOf });
    if (!plan) return { items: [], next_cursor: null };
    const result = await this.#table.page({ ...plan, limit: page.limit, cursor, order: 'asc' });
    return {
      items: result.items.map((i) => fromItem<Task>(i)),
      next_cursor: result.next_cursor === null ? null : `${asOf.getTime()}~${result.next_cursor}`,
    };
  }

  async tasksOf(ref: RecordRef, limit: number): Promise<{ items: Task[]; truncated: boolean }> {
    const result = await this.#table.collect({ partitions: [{ index: 'gsi3', pk: recordPartition(ref) }], order: 'asc' }, limit);
    return { items: result.items.map((i) => fromItem<Task>(i)), truncated: result.truncated };
  }

  /** Which partitions and key range to read, from the scope and the filters; null: nothing matches. */
  #plan(query: TaskListQuery): Omit<PageRequest, 'limit' | 'cursor'> | null {
    const range = taskOrderRange(query.filter, query.now);
    if (range.empty) return null;
    const skBetween: [string, string] = [range.from, range.to];
    const owners = query.owners === 'all' ? [] : [...query.owners];
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    let partitions: PartitionQuery[];
    if (query.record) {
      partitions = [{ index: 'gsi3', pk: recordPartition(query.record), skBetween }];
      if (query.owners !== 'all') {
        names['#owner_id'] = 'owner_id';
        filters.push(`#owner_id IN (${owners.map((o, i) => ((values[`:owner${i}`] = o), `:owner${i}`)).join(', ')})`);
      }
    } else if (query.owners === 'all') {
      partitions = [{ index: 'gsi2', pk: 'task', skBetween }];
    } else {
      partitions = owners.map((o) => ({ index: 'gsi1' as const, pk: `task#${o}`, skBetween }));
    }
    if (range.split) {
      // Both groups, one of them narrowed: the range also spans the open group's late tasks or
      // the done group's early ones. Index keys cannot be filtered on, hence `_order`.
      names['#order'] = '_order';
      values[':open_to'] = range.split.openTo;
      values[':done_from'] = range.split.doneFrom;
      filters.push('(#order <= :open_to OR #order >= :done_from)');
    }
    return {
      partitions,
      ...(filters.length > 0 ? { filter: { expression: filters.join(' AND '), names, values } } : {}),
    };
  }
}
