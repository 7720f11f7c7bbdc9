import type { NoteRepository } from './ports.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import { domainEvent, type DomainEvent, type EventContext } from '#shared/kernel/events.ts';
import { moveNote, noteEventData, type Note } from './domain.ts';
import { GATHER_MAX, type Detachment } from '#shared/platform/dynamodb/reference-checks.ts';
import type { RecordRef } from '#shared/kernel/related-records.ts';
import { recordPartitions } from '#shared/platform/dynamodb/keys.ts';
import { indexKeys, indexPartitions, tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import { recordOwnerCheck } from '#shared/platform/dynamodb/record-owners.ts';
import { INDEX } from '#shared/platform/dynamodb/table-spec.ts';
import { fromItem, type Item, type ItemKeys, type Table, type WriteOp } from '#shared/platform/dynamodb/table.ts';
import {
  recordPage,
  versionedDelete,
  versionedReplace,
  VersionedRepository,
  type VersionedKind,
} from '#shared/platform/dynamodb/versioned.ts';

// Notes on the single table, one item each ("note#<id>" / "note"). Both lists sort by id, a
// ULID: newest first is reverse key order.

export const noteKey = tableKeys<[id: string]>('note', 'note');
const NOTE: VersionedKind<Note> = { name: 'note', key: noteKey };

/** The partitions note lists read. */
export const noteIndex = {
  /** The caller's own notes: "note#<creator>". */
  byCreator: indexPartitions<[creatorId: string]>(INDEX.owner, 'note'),
  /** A record's notes: "<type>#<id>#note". */
  byRecord: recordPartitions(INDEX.relation, '#note'),
};

function noteItem(note: Note): Item & ItemKeys {
  const keys = indexKeys(note.id, noteIndex.byCreator(note.creator_id), noteIndex.byRecord(note));
  return { ...noteKey(note.id), ...keys, kind: 'note', ...note };
}

/**
 * Lead conversion: the writes that re-point a note to another record inside the caller's
 * transaction, conditional on the note's version. `at` sets updated_at (unchanged without it).
 */
export function noteMoveOps(note: Note, to: RecordRef, at?: string): WriteOp[] {
  return [versionedReplace(NOTE, note, noteItem(moveNote(note, to, at)))];
}

/**
 * Deleting a lead, contact or deal deletes its notes (README "What deleting a record does to
 * what points at it"): up to GATHER_MAX of them a call, each with its note.deleted event.
 */
export async function noteDetachments(table: Table, ref: RecordRef, ctx: EventContext): Promise<Detachment[]> {
  const { items } = await table.collect({ partitions: [noteIndex.byRecord(ref)], order: 'asc' }, GATHER_MAX);
  return items.map((item) => {
    const note = fromItem<Note>(item);
    return {
      key: `note#${note.id}`,
      ops: [versionedDelete(NOTE, note)],
      event: domainEvent(ctx, 'note.deleted', { resource_type: 'note', resource_id: note.id }, noteEventData(note)),
    };
  });
}

export class DynamoNoteRepository extends VersionedRepository<Note> implements NoteRepository {
  protected readonly kind = NOTE;

  async create(note: Note, recordOwnerId: string, events: DomainEvent[]): Promise<void> {
    await this.table.write([{ type: 'create', item: noteItem(note) }, recordOwnerCheck(note, recordOwnerId)], events);
  }

  async update(before: Note, after: Note, events: DomainEvent[]): Promise<void> {
    await this.table.write([versionedReplace(NOTE, before, noteItem(after))], events);
  }

  async delete(note: Note, events: DomainEvent[]): Promise<void> {
    await this.table.write([versionedDelete(NOTE, note)], events);
  }

  ofRecord(ref: RecordRef, page: PageQuery): Promise<Page<Note>> {
    return recordPage(this.table, noteIndex.byRecord(ref), page, fromItem<Note>, { order: 'desc' });
  }

  byCreator(creatorId: string, page: PageQuery): Promise<Page<Note>> {
    return recordPage(this.table, noteIndex.byCreator(creatorId), page, fromItem<Note>, { order: 'desc' });
  }

  async notesOf(ref: RecordRef, limit: number): Promise<{ items: Note[]; truncated: boolean }> {
    const result = await this.table.collect({ partitions: [noteIndex.byRecord(ref)], order: 'asc' }, limit);
    return { items: result.items.map((i) => fromItem<Note>(i)), truncated: result.truncated };
  }
}
