import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import type { RecordRef } from '#shared/kernel/related-records.ts';
import type { Document } from './domain.ts';

export interface DocumentRepository {
  get(id: string): Promise<Document | undefined>;
  /**
   * Writes the document and its events; the record must still exist with the owner the caller
   * was allowed to see (NotFoundError / ConflictError otherwise, as for notes).
   */
  create(document: Document, recordOwnerId: string, events: DomainEvent[]): Promise<void>;
  /** Replaces `before` with `after`, conditional on `before.version` (VersionMismatchError otherwise). */
  update(before: Document, after: Document, events: DomainEvent[]): Promise<void>;
  /** Conditional on the version read. */
  delete(document: Document, events: DomainEvent[]): Promise<void>;
  /** A record's documents, newest first: one Query a page. */
  ofRecord(ref: RecordRef, page: PageQuery): Promise<Page<Document>>;
  /** Every document of a record, up to `limit` (lead conversion moves them all). */
  documentsOf(ref: RecordRef, limit: number): Promise<{ items: Document[]; truncated: boolean }>;
}

/** What the bucket holds about an object. */
export interface StoredObject {
  /** Bytes. */
  size: number;
}

/** The files bucket, through short-lived presigned URLs for the caller's browser. */
export interface FileStore {
  /** A presigned PUT of exactly `size` bytes of `contentType` to `key`, valid `seconds`. */
  uploadUrl(key: string, options: { contentType: string; size: number; seconds: number }): Promise<string>;
  /** A presigned GET of `key`, served as an attachment named `filename` with `contentType`, valid `seconds`. */
  downloadUrl(key: string, options: { filename: string; contentType: string; seconds: number }): Promise<string>;
  /** The object's size, undefined when there is none. */
  head(key: string): Promise<StoredObject | undefined>;
  /** The first `bytes` bytes of the object (fewer when it is shorter). */
  readStart(key: string, bytes: number): Promise<Uint8Array>;
  /**
   * Copies `from` to `to`, stored with `contentType` and an attachment Content-Disposition
   * naming `filename` (what a download then gets, even where URL overrides are not honoured).
   */
  copy(from: string, to: string, options: { contentType: string; filename: string }): Promise<void>;
  /** Deletes the object; no error when there is none. */
  delete(key: string): Promise<void>;
}
