import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Call, Page } from '#shared/kernel/ports.ts';
import type { ExportCheckpoint, ExportFilters, ExportJob, ExportMessage, ExportResource } from './domain.ts';

/** The export jobs. */
export interface ExportRepository {
  get(id: string): Promise<ExportJob | undefined>;
  create(job: ExportJob, events: DomainEvent[]): Promise<void>;
  /**
   * Records a slice: the new checkpoint and rows written, when the job still has `partsBefore`
   * parts (status queued or running → running); false (nothing written) when another
   * invocation recorded this slice first, or the job is no longer running.
   */
  checkpoint(id: string, partsBefore: number, next: ExportCheckpoint, rows: number, at: string): Promise<boolean>;
  /** running → done with the events; false when it was finished before. */
  finish(id: string, at: string, events: DomainEvent[]): Promise<boolean>;
  /** queued or running → failed with the reason and events; false when it was finished before. */
  fail(id: string, reason: string, at: string, events: DomainEvent[]): Promise<boolean>;
}

/** The files bucket, as exports use it (keys under exports/). */
export interface ExportFiles {
  /** Writes a part (CSV text, UTF-8). */
  putPart(key: string, body: string): Promise<void>;
  /** Writes `to` as the parts' bytes in order (streamed, `bytes` in all), stored as an attachment. */
  join(parts: readonly string[], to: string, options: { bytes: number; contentType: string; filename: string }): Promise<void>;
  delete(key: string): Promise<void>;
  /** A presigned GET answering an attachment of `contentType`. */
  downloadUrl(key: string, options: { filename: string; contentType: string; seconds: number }): Promise<string>;
}

/** The export queue (a message per slice, a DLQ). */
export interface ExportQueue {
  send(message: ExportMessage): Promise<void>;
}

/** The lists an export reads, through each family's own list use case (its filters, sort and visibility). */
export interface ExportSources {
  /**
   * A page of the resource's list as its list route answers it for `call`, with `filters`
   * parsed by the list route's own query schema; throws the list's ValidationError on a bad filter.
   */
  page(
    resource: ExportResource,
    call: Call,
    filters: ExportFilters,
    page: { limit: number; cursor: string | null },
  ): Promise<Page<Record<string, unknown>>>;
  /** The names of the resource's custom fields. */
  customFieldNames(resource: ExportResource): Promise<string[]>;
  /** Users' e-mails by id (unknown ids left out). */
  emailsOf(userIds: readonly string[]): Promise<Map<string, string>>;
}
