import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Call, Page } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import type { BulkCounts, BulkMessage, BulkOperation, BulkResource, BulkResult } from './domain.ts';

/** The operations, their plans and their per-record results. */
export interface BulkOperationRepository {
  get(id: string): Promise<BulkOperation | undefined>;
  create(op: BulkOperation, events: DomainEvent[]): Promise<void>;
  /** The selected ids, in batches (written before `planned`; a redelivered plan reads them back). */
  savePlan(id: string, batches: readonly string[][]): Promise<void>;
  /** The saved batches, in order (`count` of them). */
  plan(id: string, count: number): Promise<string[][]>;
  /** queued → running with the totals (again with the same totals: no change). */
  planned(id: string, totals: { total: number; batches: number }, at: string): Promise<void>;
  /** One record's result, if recorded. */
  result(id: string, recordId: string): Promise<BulkResult | undefined>;
  putResult(id: string, result: BulkResult): Promise<void>;
  /** Marks a record as being deleted by the operation (before the delete: a redelivery reads it). */
  markDeleting(id: string, recordId: string): Promise<void>;
  isDeleting(id: string, recordId: string): Promise<boolean>;
  /** Every recorded result, in record id order. */
  results(id: string): Promise<BulkResult[]>;
  /** Adds a batch's counters to the operation once: false when the batch was recorded before. */
  recordBatch(id: string, batch: number, counts: BulkCounts, at: string): Promise<boolean>;
  /** running → finished, with the events; false when it was finished before. */
  finish(id: string, at: string, events: DomainEvent[]): Promise<boolean>;
}

/** The bulk operations queue (plan and batch messages; bounded concurrency, a DLQ). */
export interface BulkQueue {
  send(messages: readonly BulkMessage[]): Promise<void>;
}

/** A record as an operation needs it. */
export interface BulkRecord {
  owner_id: string;
  tags: string[];
  version: number;
}

/** The records an operation acts on, through each family's own use cases (rights and rules included). */
export interface BulkTargets {
  /** The requester as a principal (their role, team and reports now). */
  principalOf(userId: string): Promise<Principal>;
  /** Whether the record exists at all (no rights involved: tells forbidden from not_found). */
  exists(resource: BulkResource, id: string): Promise<boolean>;
  /** The record through the family's get use case (NotFoundError when out of reach). */
  read(resource: BulkResource, call: Call, id: string): Promise<BulkRecord>;
  /** Through the family's update use case (with If-Match when `ifMatch` is given). */
  update(
    resource: BulkResource,
    call: Call,
    id: string,
    patch: { owner_id?: string; tags?: string[] },
    ifMatch?: number,
  ): Promise<void>;
  /** Through the family's delete use case. */
  remove(resource: BulkResource, call: Call, id: string): Promise<void>;
  /**
   * One page of the ids the family's list use case gives for the filter (the list route's
   * query fields), within the caller's visibility.
   * @throws ValidationError for a filter the list route refuses
   */
  select(resource: BulkResource, call: Call, filter: Record<string, string>, cursor?: string): Promise<Page<string>>;
}
