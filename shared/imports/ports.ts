import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Call } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import type { CustomFieldDefinition } from '#shared/custom-fields/domain.ts';
import type { BatchResult, ImportJob, ImportMessage, ImportResource, ParentType } from './domain.ts';

/** The import jobs and their batch results. */
export interface ImportRepository {
  get(id: string): Promise<ImportJob | undefined>;
  create(job: ImportJob, events: DomainEvent[]): Promise<void>;
  /**
   * awaiting_upload → queued, with the run's settings; false (nothing written) when the import
   * is no longer awaiting its start.
   */
  start(
    id: string,
    settings: Pick<ImportJob, 'mapping' | 'columns' | 'match_by_email' | 'run_automations'>,
    at: string,
  ): Promise<boolean>;
  /** queued → running, with the file's row and batch counts (again with the same counts: no change). */
  planned(id: string, totals: { total_rows: number; batches: number }, at: string): Promise<void>;
  /**
   * Records a batch's result and adds its counters (created, updated, failed, batches_done) to
   * the import, in one transaction, once: false when the batch was recorded before.
   */
  recordBatch(id: string, result: BatchResult, at: string): Promise<boolean>;
  /** Every recorded batch result, in batch order. */
  batchResults(id: string): Promise<BatchResult[]>;
  /** running → finished, with the events; false when it was finished before. */
  finish(id: string, at: string, events: DomainEvent[]): Promise<boolean>;
}

/** The files bucket, as imports use it. */
export interface ImportFiles {
  /** A presigned PUT signing the type and size. */
  uploadUrl(key: string, options: { contentType: string; size: number; seconds: number }): Promise<string>;
  /** A presigned GET answering an attachment. */
  downloadUrl(key: string, options: { filename: string; contentType: string; seconds: number }): Promise<string>;
  /** The object's bytes as a stream; undefined when there is no such object. */
  read(key: string): Promise<AsyncIterable<Uint8Array> | undefined>;
  put(key: string, body: string, options: { contentType: string; filename: string }): Promise<void>;
}

/** The import queue (batches of rows, bounded concurrency, a DLQ). */
export interface ImportQueue {
  send(messages: readonly ImportMessage[]): Promise<void>;
}

/** How a row's record is created (ImportTargets.create). */
export interface CreateOptions {
  /** The owner's user id, found active by the batch. */
  ownerChecked?: string;
  /** The Sell id the record takes (one it names, or one of reserveSellIds); a taken one fails the create (ConflictError). */
  sellId?: number;
}

/** The records an import writes, through each family's own use cases (rights and rules included). */
export interface ImportTargets {
  /** The resource's custom field definitions (names, types, choices). */
  customFields(resource: ImportResource): Promise<CustomFieldDefinition[]>;
  /** The active user with this e-mail (lower case). */
  userIdByEmail(email: string): Promise<string | undefined>;
  /** The acting user as a principal (their role, team and reports). */
  principalOf(userId: string): Promise<Principal>;
  /**
   * Those of `ids` that are active users now, read once (consistent reads, 100 a request): a
   * batch checks its owners here instead of in every row's transaction.
   */
  activeUserIds(ids: readonly string[]): Promise<Set<string>>;
  /**
   * Takes `count` consecutive Sell ids of the resource's kind at once (one counter update a
   * batch, not one a row); answers the first. Numbers a failed batch drew stay unused.
   */
  reserveSellIds(resource: ImportResource, count: number): Promise<number>;
  /**
   * Moves the resource's Sell id sequence to at least `atLeast` (one conditional update; never
   * back), before rows that name their own Sell id (a Sell export's) are written with it.
   */
  advanceSellIds(resource: ImportResource, atLeast: number): Promise<void>;
  exists(resource: ImportResource, id: string): Promise<boolean>;
  /** The id of the record of `type` that has this Sell id (imported from Sell, or numbered here). */
  recordIdBySellId(type: ParentType, sellId: number): Promise<string | undefined>;
  /** A record of the resource with this e-mail that the caller may change, if any. */
  idByEmail(resource: ImportResource, call: Call, email: string): Promise<string | undefined>;
  /**
   * Creates through the resource's create use case (the record's id is the first id drawn).
   * `options.ownerChecked`: the batch found this owner active just before (activeUserIds), so
   * the row's transaction leaves out its check on the owner's user item, which every row of
   * that owner would contend for. `options.sellId`: the record's Sell id (reserveSellIds).
   */
  create(resource: ImportResource, call: Call, input: Record<string, unknown>, options?: CreateOptions): Promise<void>;
  /** Updates through the resource's update use case. */
  update(resource: ImportResource, call: Call, id: string, input: Record<string, unknown>): Promise<void>;
}
