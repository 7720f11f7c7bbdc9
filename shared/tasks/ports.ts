import type { DomainEvent } from '#shared/kernel/events.ts';
import type { RecordRef } from '#shared/kernel/related-records.ts';
import type { Task, TaskOrderFilter } from './domain.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';

/** The record a task write links to, with the owner the caller was allowed to see. */
export interface TaskRecordLink {
  ref: RecordRef;
  ownerId: string;
}

export interface TaskListQuery {
  /** Assignees in the caller's scope (already narrowed by owner_id), or all for admins. */
  owners: 'all' | readonly string[];
  /** Only the tasks of this record. */
  record?: RecordRef | undefined;
  filter: TaskOrderFilter;
  /**
   * The instant "overdue" is judged at. A list's later pages keep the first page's instant
   * (the adapter carries it in the cursor), so a task never changes side between pages.
   */
  now: Date;
}

export interface TaskRepository {
  get(id: string): Promise<Task | undefined>;
  /**
   * Writes the task and its events; the assignee must be an active user (ValidationError on
   * body.owner_id) and a linked record must still have the owner the caller saw.
   */
  create(task: Task, link: TaskRecordLink | null, events: DomainEvent[]): Promise<void>;
  /**
   * Conditional on `before.version`. `link` is the newly linked record, when the change links
   * the task to another record; the assignee is checked when it changed.
   */
  update(before: Task, after: Task, link: TaskRecordLink | null, events: DomainEvent[]): Promise<void>;
  delete(task: Task, events: DomainEvent[]): Promise<void>;
  /** Open tasks first by due time ascending, then completed ones: key ranges, no scans. */
  list(query: TaskListQuery, page: PageQuery): Promise<Page<Task>>;
  /** Every task of a record, up to `limit` (lead conversion moves them all). */
  tasksOf(ref: RecordRef, limit: number): Promise<{ items: Task[]; truncated: boolean }>;
}
