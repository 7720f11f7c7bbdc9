import type { NoteRepository } from '#shared/notes/ports.ts';
import type { NotesDeps } from '#shared/notes/use-cases.ts';
import { moveNote, type Note } from '#shared/notes/domain.ts';
import { ConflictError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import { recordRefKey, type RecordRef } from '#shared/kernel/related-records.ts';
import { byCodePoint, collected, copy, InMemoryRecordOwners, InMemoryStore, paginate } from '#test/helpers/in-memory-store.ts';

// An in-memory fake of the note repository (shared/notes/ports.ts), on the shared store. Like
// the DynamoDB adapter (shared/notes/dynamodb.ts): a new note's record must still exist with
// the owner the caller saw (NotFoundError naming the record / ConflictError), changes are
// conditional on the version (VersionMismatchError with the current note, or null when gone),
// and lists are newest first (ids are ULIDs).

const isOf = (ref: RecordRef) => (note: Note) => recordRefKey(note) === recordRefKey(ref);

/** noteMoveOps on the store: the note re-pointed to `to`, only while it is as read. */
export function applyNoteMove(store: InMemoryStore, note: Note, to: RecordRef, at?: string): void {
  const current = store.notes.get(note.id);
  if (!current || current.version !== note.version) {
    throw new VersionMismatchError('note', note.id, current ? copy(current) : null);
  }
  store.notes.set(note.id, moveNote(copy(note), to, at));
}

export class InMemoryNoteRepository implements NoteRepository {
  readonly store: InMemoryStore;
  readonly events: DomainEvent[] = [];
  /** Runs before each write's checks: lets a test interleave a concurrent change. */
  beforeWrite: (() => void) | undefined;
  constructor(store = new InMemoryStore()) {
    this.store = store;
  }

  async get(id: string): Promise<Note | undefined> {
    const note = this.store.notes.get(id);
    return note && copy(note);
  }

  async create(note: Note, recordOwnerId: string, events: DomainEvent[]): Promise<void> {
    this.#write(events, () => {
      if (this.store.notes.has(note.id)) throw new ConflictError(`note ${note.id} exists`);
      this.store.notes.set(note.id, copy(note));
      this.store.requireRecordOwner(note, recordOwnerId);
    });
  }

  async update(before: Note, after: Note, events: DomainEvent[]): Promise<void> {
    this.#write(events, () => {
      this.#requireVersion(before);
      this.store.notes.set(after.id, copy(after));
    });
  }

  async delete(note: Note, events: DomainEvent[]): Promise<void> {
    this.#write(events, () => {
      this.#requireVersion(note);
      this.store.notes.delete(note.id);
    });
  }

  async ofRecord(ref: RecordRef, page: PageQuery): Promise<Page<Note>> {
    return paginate([...this.store.notes.values()].filter(isOf(ref)), page, { order: 'desc' });
  }

  async byCreator(creatorId: string, page: PageQuery): Promise<Page<Note>> {
    return paginate(
      [...this.store.notes.values()].filter((n) => n.creator_id === creatorId),
      page,
      { order: 'desc' },
    );
  }

  async notesOf(ref: RecordRef, limit: number): Promise<{ items: Note[]; truncated: boolean }> {
    const all = [...this.store.notes.values()].filter(isOf(ref)).sort((a, b) => byCodePoint(a.id, b.id));
    return collected(all, limit);
  }

  #requireVersion(note: Note): void {
    const current = this.store.notes.get(note.id);
    if (!current || current.version !== note.version) {
      throw new VersionMismatchError('note', note.id, current ? copy(current) : null);
    }
  }

  #write(events: DomainEvent[], write: () => void): void {
    this.beforeWrite?.();
    this.store.transact(write);
    this.events.push(...copy(events));
  }
}

/** The notes use cases' ports on one store. */
export function notesDeps(store: InMemoryStore): NotesDeps & { notes: InMemoryNoteRepository; records: InMemoryRecordOwners } {
  return { notes: new InMemoryNoteRepository(store), records: new InMemoryRecordOwners(store) };
}

// ---- Builders ----

export function makeNote(id: string, ref: RecordRef, overrides: Partial<Note> = {}): Note {
  return {
    id,
    content: `Note ${id.slice(-4)}`,
    resource_type: ref.resource_type,
    resource_id: ref.resource_id,
    creator_id: 'owner',
    created_at: '2031-01-01T00:00:00.000Z',
    updated_at: '2031-01-01T00:00:00.000Z',
    version: 1,
    ...overrides,
  };
}
