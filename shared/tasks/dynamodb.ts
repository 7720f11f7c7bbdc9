import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import type { TaskListQuery, TaskRecordLink, TaskRepository } from './ports.ts';
import { ValidationError } from '#shared/kernel/errors.ts';
import { domainEvent, type DomainEvent, type EventContext } from '#shared/kernel/events.ts';
import type { RecordRef } from '#shared/kernel/related-records.ts';
import { moveTask, taskOrderKey, taskOrderRange, type Task } from './domain.ts';
import { recordPartitions } from '#shared/platform/dynamodb/keys.ts';
import { indexKeys, indexPartition, indexPartitions, tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import { recordOwnerCheck } from '#shared/platform/dynamodb/record-owners.ts';
import { activeUserCheck, GATHER_MAX, type Detachment } from '#shared/platform/dynamodb/reference-checks.ts';
import { INDEX } from '#shared/platform/dynamodb/table-spec.ts';
import {
  fromItem,
  type Item,
  type ItemKeys,
  type PartitionQuery,
  type Table,
  type WriteOp,
} from '#shared/platform/dynamodb/table.ts';
import {
  versionedDelete,
  versionedReplace,
  VersionedRepository,
  type ListPlan,
  type VersionedKind,
} from '#shared/platform/dynamodb/versioned.ts';

// Tasks on the single table, one item each ("task#<id>" / "task"). Every list partition sorts
// by the list order "<0 open | 1 done>#<due UTC>#<id>" (taskOrderKey), so "overdue" (open, due
// before now), "completed", and due ranges are key ranges, not filters.

export const taskKey = tableKeys<[id: string]>('task', 'task');
const TASK: VersionedKind<Task> = { name: 'task', key: taskKey };

/** The partitions task lists read. */
export const taskIndex = {
  /** The assignee's: "task#<owner>". */
  byOwner: indexPartitions<[ownerId: string]>(INDEX.owner, 'task'),
  /** Everyone's (admins). */
  all: indexPartition(INDEX.all, 'task'),
  /** A record's: "<type>#<id>#task". */
  byRecord: recordPartitions(INDEX.relation, '#task'),
};

/** `_order` repeats the sort key for the one filter that needs it (see `#plan`). */
function taskItem(task: Task): Item & ItemKeys {
  const order = taskOrderKey(task);
  const keys = indexKeys(
    order,
    taskIndex.byOwner(task.owner_id),
    taskIndex.all(),
    task.resource_type && task.resource_id
      ? taskIndex.byRecord({ resource_type: task.resource_type, resource_id: task.resource_id })
      : null,
  );
  return { ...taskKey(task.id), ...keys, kind: 'task', ...task, _order: order };
}

/**
 * Lead conversion: the writes that re-point a task to another record inside the caller's
 * transaction, conditional on the task's version. `at` sets updated_at (unchanged without it).
 */
export function taskMoveOps(task: Task, to: RecordRef, at?: string): WriteOp[] {
  return [versionedReplace(TASK, task, taskItem(moveTask(task, to, at)))];
}

/**
 * Deleting a lead, contact or deal deletes its tasks, as Sell does (README "What deleting a
 * record does to what points at it"): up to GATHER_MAX a call, each with its task.deleted event.
 */
export async function taskDetachments(table: Table, ref: RecordRef, ctx: EventContext): Promise<Detachment[]> {
  const { items } = await table.collect({ partitions: [taskIndex.byRecord(ref)], order: 'asc' }, GATHER_MAX);
  return items.map((item) => {
    const task = fromItem<Task>(item);
    return {
      key: `task#${task.id}`,
      ops: [versionedDelete(TASK, task)],
      event: domainEvent(ctx, 'task.deleted', { resource_type: 'task', resource_id: task.id }, task),
    };
  });
}

/** A list cursor: the instant the first page judged "overdue" at, then the table's cursor. */
const CURSOR = /^(\d{1,15})~(.+)$/;

export class DynamoTaskRepository extends VersionedRepository<Task> implements TaskRepository {
  protected readonly kind = TASK;

  async create(task: Task, link: TaskRecordLink | null, events: DomainEvent[]): Promise<void> {
    await this.table.write(
      [
        { type: 'create', item: taskItem(task) },
        activeUserCheck(task.owner_id),
        ...(link ? [recordOwnerCheck(link.ref, link.ownerId)] : []),
      ],
      events,
    );
  }

  async update(before: Task, after: Task, link: TaskRecordLink | null, events: DomainEvent[]): Promise<void> {
    await this.table.write(
      [
        versionedReplace(TASK, before, taskItem(after)),
        ...(after.owner_id !== before.owner_id ? [activeUserCheck(after.owner_id)] : []),
        ...(link ? [recordOwnerCheck(link.ref, link.ownerId)] : []),
      ],
      events,
    );
  }

  async delete(task: Task, events: DomainEvent[]): Promise<void> {
    await this.table.write([versionedDelete(TASK, task)], events);
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
    const result = await this.table.page({ ...plan, limit: page.limit, cursor, order: 'asc' });
    return {
      items: result.items.map((i) => fromItem<Task>(i)),
      next_cursor: result.next_cursor === null ? null : `${asOf.getTime()}~${result.next_cursor}`,
    };
  }

  async tasksOf(ref: RecordRef, limit: number): Promise<{ items: Task[]; truncated: boolean }> {
    const result = await this.table.collect({ partitions: [taskIndex.byRecord(ref)], order: 'asc' }, limit);
    return { items: result.items.map((i) => fromItem<Task>(i)), truncated: result.truncated };
  }

  /** Which partitions and key range to read, from the scope and the filters; null: nothing matches. */
  #plan(query: TaskListQuery): ListPlan | null {
    const range = taskOrderRange(query.filter, query.now);
    if (range.empty) return null;
    const skBetween: [string, string] = [range.from, range.to];
    const owners = query.owners === 'all' ? [] : [...query.owners];
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    let partitions: PartitionQuery[];
    if (query.record) {
      partitions = [{ ...taskIndex.byRecord(query.record), skBetween }];
      if (query.owners !== 'all') {
        names['#owner_id'] = 'owner_id';
        filters.push(`#owner_id IN (${owners.map((o, i) => ((values[`:owner${i}`] = o), `:owner${i}`)).join(', ')})`);
      }
    } else if (query.owners === 'all') {
      partitions = [{ ...taskIndex.all(), skBetween }];
    } else {
      partitions = owners.map((o) => ({ ...taskIndex.byOwner(o), skBetween }));
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
