import { describe, expect, it } from 'vitest';
import {
  NOTE_CONTENT_MAX,
  NOTE_EVENT_CONTENT_MAX,
  canChangeNote,
  createNoteInput,
  moveNote,
  noteEventData,
  notePrevious,
  updateNoteInput,
  type Note,
} from '#shared/notes/domain.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { testId } from '#test/helpers/fakes.ts';

const ADMIN = testId(1);
const MANAGER = testId(2);
const REP = testId(3);
const PEER = testId(4);
const DEAL = testId(9);

const admin: Principal = { user_id: ADMIN, email: 'a@example.com', role: 'admin', direct_reports: [] };
const manager: Principal = { user_id: MANAGER, email: 'm@example.com', role: 'manager', direct_reports: [REP] };
const rep: Principal = { user_id: REP, email: 'r@example.com', role: 'user', direct_reports: [] };

const note = (overrides: Partial<Note> = {}): Note => ({
  id: testId(20),
  content: 'Called; wants a quote',
  resource_type: 'deal',
  resource_id: DEAL,
  creator_id: REP,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  version: 3,
  ...overrides,
});

describe('note input', () => {
  it('keeps the text as written and needs a lead, contact or deal', () => {
    const parsed = createNoteInput.parse({ content: '  indented\n', resource_type: 'lead', resource_id: DEAL });
    expect(parsed.content).toBe('  indented\n');
    expect(createNoteInput.safeParse({ content: 'x', resource_type: 'task', resource_id: DEAL }).success).toBe(false);
    expect(createNoteInput.safeParse({ content: 'x', resource_type: 'deal', resource_id: 'nope' }).success).toBe(false);
    expect(createNoteInput.safeParse({ content: 'x', resource_type: 'deal' }).success).toBe(false);
  });

  it('refuses blank text and text over 100,000 characters, and takes exactly 100,000', () => {
    const base = { resource_type: 'deal', resource_id: DEAL };
    expect(createNoteInput.safeParse({ ...base, content: ' \n\t' }).success).toBe(false);
    expect(createNoteInput.safeParse({ ...base, content: 'x'.repeat(NOTE_CONTENT_MAX) }).success).toBe(true);
    expect(createNoteInput.safeParse({ ...base, content: 'x'.repeat(NOTE_CONTENT_MAX + 1) }).success).toBe(false);
  });

  it('changes only the text, never the record or the creator', () => {
    expect(updateNoteInput.safeParse({ content: 'new' }).success).toBe(true);
    expect(updateNoteInput.safeParse({}).success).toBe(false);
    expect(updateNoteInput.safeParse({ resource_id: DEAL }).success).toBe(false);
    expect(updateNoteInput.safeParse({ creator_id: PEER }).success).toBe(false);
  });
});

describe('canChangeNote', () => {
  it.each([
    ['the creator', rep, REP, true],
    ['a rep, on a note someone else wrote', rep, MANAGER, false],
    ["the creator's manager", manager, REP, true],
    ['a manager, on a note by someone outside their reports', manager, PEER, false],
    ['a manager, on an admin’s note', manager, ADMIN, false],
    ['an admin, on anyone’s note', admin, PEER, true],
  ] as const)('%s -> %s', (_label, principal, creator, expected) => {
    expect(canChangeNote(principal, { creator_id: creator })).toBe(expected);
  });
});

describe('moveNote', () => {
  it('re-points the note as a new version, keeping updated_at unless given', () => {
    const to = { resource_type: 'contact' as const, resource_id: testId(30) };
    expect(moveNote(note(), to)).toEqual(note({ ...to, version: 4 }));
    expect(moveNote(note(), to, '2026-02-02T00:00:00.000Z').updated_at).toBe('2026-02-02T00:00:00.000Z');
  });
});

describe('note events', () => {
  it('carry short notes whole', () => {
    expect(noteEventData(note())).toEqual({ ...note(), content_truncated: false });
  });

  it('cut long notes to the first 1,000 characters, and say so', () => {
    const long = note({ content: 'y'.repeat(NOTE_EVENT_CONTENT_MAX + 5) });
    const data = noteEventData(long);
    expect(data.content).toBe('y'.repeat(NOTE_EVENT_CONTENT_MAX));
    expect(data.content_truncated).toBe(true);
    expect(notePrevious(long)).toEqual({ content: 'y'.repeat(NOTE_EVENT_CONTENT_MAX), content_truncated: true });
  });

  it('cut an excerpt after NOTE_EVENT_CONTENT_MAX characters, a character outside the BMP counting one', () => {
    const text = `${'a'.repeat(NOTE_EVENT_CONTENT_MAX - 1)}😀tail`;
    const data = noteEventData(note({ content: text }));
    expect(data.content).toBe(`${'a'.repeat(NOTE_EVENT_CONTENT_MAX - 1)}😀`);
    expect(data.content_truncated).toBe(true);
  });
});
