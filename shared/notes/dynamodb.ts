import type { NoteRepository } from './ports.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import { VersionMismatchError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { moveNote, type Note } from './domain.ts';
import { recordRefKey, type RecordRef } from '#shared/kernel/related-records.ts';
import { noteKey } from '#shared/platform/dynamodb/keys.ts';
import { recordOwnerCheck } from '#shared/platform/dynamodb/record-owners.ts';
import { fromItem, type Item, type ItemKeys, type Table, type WriteOp } from '#shared/platform/dynamodb/table.ts';

// Notes on the single table, one item each ("note#<id>" / "note"). Indexes: gsi1 by creator
// ("note#<creator>", the caller's own notes), gsi3 by record ("<type>#<id>#note", a record's
// notes). Both sort by id, a ULID: newest first is reverse key order.

const recordPartition = (ref: RecordRef) => `${recordRefKey(ref)}#note`;

function noteKeys(note: Note): ItemKeys {
  return {
    ...noteKey(note.id),
    gsi1pk: `note#${note.creator_id}`,
    gsi1sk: note.id,
    gsi3pk: recordPartition(note),
    gsi3sk: note.id,
  };
}

function noteItem(note: Note): Item & ItemKeys {
  return { ...noteKeys(note), kind: 'note', ...note };
}

const stale = (id: string) => (current: Item | undefined) =>
  new VersionMismatchError('note', id, current ? fromItem<Note>(current) : null);

/**
 * Lead conversion: the writes that re-point a note to another record inside the caller's
 * transaction, conditional on the note's version. `at` sets updated_at (unchanged without it).
 */
export function noteMoveOps(note: Note, to: RecordRef, at?: string): WriteOp[] {
  return [{ type: 'replace', item: noteItem(moveNote(note, to, at)), expectedVersion: note.version, onConflict: stale(note.id) }];
}

export class DynamoNoteRepository implements NoteRepository {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async get(id: string): Promise<Note | undefined> {
    const item = await this.#table.get(noteKey(id));
    return item ? fromItem<Note>(item) : undefined;
  }

  async create(note: Note, recordOwnerId: string, events: DomainEvent[]): Promise<void> {
    await this.#table.write([{ type: 'create', item: noteItem(note) }, recordOwnerCheck(note, recordOwnerId)], events);
  }

  async update(before: Note, after: Note, events: DomainEvent[]): Promise<void> {
    await this.#table.write(
      [{ type: 'replace', item: noteItem(after), expectedVersion: before.version, onConflict: stale(before.id) }],
      events,
    );
  }

  async delete(note: Note, events: DomainEvent[]): Promise<void> {
    await this.#table.write(
      [{ type: 'delete', key: noteKey(note.id), expectedVersion: note.version, onConflict: stale(note.id) }],
      events,
    );
  }

  async ofRecord(ref: RecordRef, page: PageQuery): Promise<Page<Note>> {
    return this.#page({ index: 'gsi3', pk: recordPartition(ref) }, page);
  }

  async byCreator(creatorId: string, page: PageQuery): Promise<Page<Note>> {
    return this.#page({ index: 'gsi1', pk: `note#${creatorId}` }, page);
  }

  async notesOf(ref: RecordRef, limit: number): Promise<{ items: Note[]; truncated: boolean }> {
    const result = await this.#table.collect({ partitions: [{ index: 'gsi3', pk: recordPartition(ref) }], order: 'asc' }, limit);
    return { items: result.items.map((i) => fromItem<Note>(i)), truncated: result.truncated };
  }

  async #page(partition: { index: 'gsi1' | 'gsi3'; pk: string }, page: PageQuery): Promise<Page<Note>> {
    const result = await this.#table.page({ partitions: [partition], limit: page.limit, cursor: page.cursor, order: 'desc' });
    return { items: result.items.map((i) => fromItem<Note>(i)), next_cursor: result.next_cursor };
  }
}
