import { ForbiddenError, NotFoundError, ValidationError } from '#shared/kernel/errors.ts';
import { domainEvent } from '#shared/kernel/events.ts';
import { canChangeNote, noteEventData, notePrevious, type CreateNoteInput, type Note, type UpdateNoteInput } from './domain.ts';
import { recordRefKey, type RecordRef, type RelatedRecordType } from '#shared/kernel/related-records.ts';
import { canSee } from '#shared/kernel/visibility.ts';
import type { NoteRepository } from './ports.ts';
import type { Call, Page, PageQuery } from '#shared/kernel/ports.ts';
import { checkIfMatch, updateVersioned } from '#shared/kernel/versioned-update.ts';
import { visibleRecordOwner, visibleRecords, type RecordOwners } from '#shared/kernel/record-owners.ts';

// Notes on leads, contacts and deals (F3.4). A note is visible to whoever can see its record
// (an unknown or invisible record, and so its notes, is "not found"); it is changed by its
// creator or by whoever's scope covers the creator, among those who see the record.

export interface NotesDeps {
  notes: NoteRepository;
  records: RecordOwners;
}

const refOf = (note: Note): RecordRef => ({ resource_type: note.resource_type, resource_id: note.resource_id });
const noteResource = (note: Note) => ({ resource_type: 'note', resource_id: note.id });

async function visibleNote(deps: NotesDeps, call: Call, id: string): Promise<Note> {
  const note = await deps.notes.get(id);
  if (!note) throw new NotFoundError('note', id);
  const owner = await deps.records.ownerOf(note.resource_type, note.resource_id);
  if (owner === undefined || !canSee(call.principal, owner)) throw new NotFoundError('note', id);
  return note;
}

async function changeableNote(deps: NotesDeps, call: Call, id: string): Promise<Note> {
  const note = await visibleNote(deps, call, id);
  if (!canChangeNote(call.principal, note)) {
    throw new ForbiddenError(
      call.principal.role === 'user'
        ? 'Only the creator of a note may change it (or their manager, or an admin)'
        : 'Managers change their own notes and those of their direct reports; ask the creator or an admin',
      { code: 'note.change_forbidden' },
    );
  }
  return note;
}

export async function getNote(deps: NotesDeps, call: Call, id: string): Promise<Note> {
  return visibleNote(deps, call, id);
}

export async function createNote(deps: NotesDeps, call: Call, input: CreateNoteInput): Promise<Note> {
  const ref: RecordRef = { resource_type: input.resource_type, resource_id: input.resource_id };
  const recordOwner = await visibleRecordOwner(deps.records, call.principal, ref);
  const now = call.events.now.toISOString();
  const note: Note = {
    id: call.events.newId(),
    content: input.content,
    ...ref,
    creator_id: call.principal.user_id,
    created_at: now,
    updated_at: now,
    version: 1,
  };
  await deps.notes.create(note, recordOwner, [domainEvent(call.events, 'note.created', noteResource(note), noteEventData(note))]);
  return note;
}

export async function updateNote(
  deps: NotesDeps,
  call: Call,
  id: string,
  patch: UpdateNoteInput,
  ifMatch?: number,
): Promise<Note> {
  return updateVersioned({
    resource: 'note',
    id,
    ifMatch,
    load: () => changeableNote(deps, call, id),
    reload: () => deps.notes.get(id),
    apply: async (before) => {
      if (patch.content === undefined || patch.content === before.content) return before;
      const after: Note = {
        ...before,
        content: patch.content,
        updated_at: call.events.now.toISOString(),
        version: before.version + 1,
      };
      const event = domainEvent(call.events, 'note.updated', noteResource(after), noteEventData(after), {
        previous: notePrevious(before),
      });
      await deps.notes.update(before, after, [event]);
      return after;
    },
  });
}

export async function deleteNote(deps: NotesDeps, call: Call, id: string, ifMatch?: number): Promise<void> {
  const note = await changeableNote(deps, call, id);
  await checkIfMatch('note', id, note, ifMatch);
  await deps.notes.delete(note, [domainEvent(call.events, 'note.deleted', noteResource(note), noteEventData(note))]);
}

/** A record's notes, newest first, once the caller is known to see the record. */
export async function listRecordNotes(deps: NotesDeps, call: Call, ref: RecordRef, page: PageQuery): Promise<Page<Note>> {
  await visibleRecordOwner(deps.records, call.principal, ref);
  return deps.notes.ofRecord(ref, page);
}

export interface NoteListRequest extends PageQuery {
  resource_type?: RelatedRecordType | undefined;
  resource_id?: string | undefined;
}

/**
 * GET /notes: a record's notes (resource_type + resource_id), or else the caller's own notes,
 * newest first, keeping only those whose record the caller still sees.
 */
export async function listNotes(deps: NotesDeps, call: Call, request: NoteListRequest): Promise<Page<Note>> {
  const { resource_type, resource_id, limit, cursor } = request;
  if (resource_type !== undefined || resource_id !== undefined) {
    if (resource_type === undefined)
      throw ValidationError.field('query.resource_type', 'is required with resource_id', { fieldCode: 'required' });
    if (resource_id === undefined)
      throw ValidationError.field('query.resource_id', 'is required with resource_type', { fieldCode: 'required' });
    return listRecordNotes(deps, call, { resource_type, resource_id }, { limit, cursor });
  }
  const page = await deps.notes.byCreator(call.principal.user_id, { limit, cursor });
  if (page.items.length === 0) return page;
  const visible = await visibleRecords(deps.records, call.principal, page.items.map(refOf));
  return { items: page.items.filter((n) => visible.has(recordRefKey(refOf(n)))), next_cursor: page.next_cursor };
}
