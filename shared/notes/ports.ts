import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Note } from './domain.ts';
import type { RecordRef } from '#shared/kernel/related-records.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';

export interface NoteRepository {
  get(id: string): Promise<Note | undefined>;
  /**
   * Writes the note and its events; the record must still exist with the owner the caller was
   * allowed to see (NotFoundError naming the record when it is gone, ConflictError when it
   * changed owner meanwhile).
   */
  create(note: Note, recordOwnerId: string, events: DomainEvent[]): Promise<void>;
  /** Conditional on `before.version` (VersionMismatchError otherwise). */
  update(before: Note, after: Note, events: DomainEvent[]): Promise<void>;
  delete(note: Note, events: DomainEvent[]): Promise<void>;
  /** A record's notes, newest first: one Query. */
  ofRecord(ref: RecordRef, page: PageQuery): Promise<Page<Note>>;
  /** Notes a user wrote, newest first: one Query. */
  byCreator(creatorId: string, page: PageQuery): Promise<Page<Note>>;
  /** Every note of a record, up to `limit` (lead conversion moves them all). */
  notesOf(ref: RecordRef, limit: number): Promise<{ items: Note[]; truncated: boolean }>;
}
