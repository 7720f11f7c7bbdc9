import * as z from 'zod/mini';
import { charLength, firstChars } from '#shared/kernel/chars.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { recordRefFields, relatedRecordTypeSchema, type RecordRef } from '#shared/kernel/related-records.ts';
import { notEmpty } from '#shared/kernel/schema.ts';
import { canChange } from '#shared/kernel/visibility.ts';

// Notes on leads, contacts and deals, with Sell's field names (X6). A note is visible to
// whoever can see its record; it is changed by its creator, or by whoever's scope covers the
// creator (their manager, an admin), as long as they can see the record.

/** A note as stored and as the API shows it. */
export const noteSchema = z.object({
  id: z.string(),
  content: z.string(),
  resource_type: relatedRecordTypeSchema,
  resource_id: z.string(),
  creator_id: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.int(),
});
export type Note = z.output<typeof noteSchema>;

export const NOTE_CONTENT_MAX = 100_000;

/** Kept as written (a note is formatted text); blank notes are refused. */
const content = z.string().check(
  z.maxLength(NOTE_CONTENT_MAX),
  z.refine((v) => v.trim().length > 0, 'must not be empty'),
);

export const createNoteInput = z.strictObject({ content, ...recordRefFields });
export const updateNoteInput = z.strictObject({ content: z.optional(content) }).check(notEmpty);

export type CreateNoteInput = z.output<typeof createNoteInput>;
export type UpdateNoteInput = z.output<typeof updateNoteInput>;

/**
 * Who may change or delete a visible note: its creator, or a principal whose scope covers the
 * creator (a manager for their reports' notes, an admin for all). The record's owner is not
 * enough: a rep does not rewrite what their manager wrote on their deal.
 */
export function canChangeNote(principal: Principal, note: Pick<Note, 'creator_id'>): boolean {
  return canChange(principal, note.creator_id);
}

/** The note re-pointed to another record (lead conversion): a new version of the note. */
export function moveNote(note: Note, to: RecordRef, at?: string): Note {
  return {
    ...note,
    resource_type: to.resource_type,
    resource_id: to.resource_id,
    ...(at !== undefined ? { updated_at: at } : {}),
    version: note.version + 1,
  };
}

/** Events carry at most this much of a note's text: the bus takes 256 KB per PutEvents. */
export const NOTE_EVENT_CONTENT_MAX = 1_000;

export interface NoteEventData extends Note {
  /** True when `content` is only the note's first NOTE_EVENT_CONTENT_MAX characters. */
  content_truncated: boolean;
}

const excerpt = (text: string): string => firstChars(text, NOTE_EVENT_CONTENT_MAX);

/** A note as its events carry it: the text cut to NOTE_EVENT_CONTENT_MAX characters. */
export function noteEventData(note: Note): NoteEventData {
  return { ...note, content: excerpt(note.content), content_truncated: charLength(note.content) > NOTE_EVENT_CONTENT_MAX };
}

/** The `previous` of note.updated: the text as it was (cut as above). */
export function notePrevious(before: Note): Partial<NoteEventData> {
  return { content: excerpt(before.content), content_truncated: charLength(before.content) > NOTE_EVENT_CONTENT_MAX };
}
