import { describe, expect, it } from 'vitest';
import { charLength, firstChars } from '#shared/kernel/chars.ts';
import { text } from '#shared/kernel/schema.ts';
import { NOTE_EVENT_CONTENT_MAX, noteEventData } from '#shared/notes/domain.ts';

// One unit for every length the API states: characters (Unicode code points), as JSON
// Schema's maxLength counts them. "𠮷" is one character and two UTF-16 units.

const WIDE = '𠮷';

describe('charLength and firstChars', () => {
  it('count code points, not UTF-16 units', () => {
    expect(WIDE.length).toBe(2);
    expect(charLength(WIDE.repeat(3))).toBe(3);
    expect(charLength('a😀é')).toBe(3);
    expect(charLength('')).toBe(0);
  });

  it('cut after a number of characters, never inside one', () => {
    expect(firstChars(WIDE.repeat(5), 3)).toBe(WIDE.repeat(3));
    expect(firstChars('ab', 5)).toBe('ab');
    expect(firstChars(`a${WIDE}`, 1)).toBe('a');
  });
});

describe('the schemas every route uses for text', () => {
  it('take as many wide characters as narrow ones (a deal name of 255 "𠮷")', () => {
    const name = text(255);
    expect(name.safeParse(WIDE.repeat(255)).success).toBe(true);
    expect(name.safeParse(WIDE.repeat(256)).success).toBe(false);
    expect(name.safeParse('x'.repeat(256)).success).toBe(false);
  });
});

describe('note events', () => {
  it('carry the first NOTE_EVENT_CONTENT_MAX characters of a note, wide or not', () => {
    const note = {
      id: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
      content: WIDE.repeat(NOTE_EVENT_CONTENT_MAX + 10),
      resource_type: 'deal' as const,
      resource_id: '01ARZ3NDEKTSV4RRFFQ69G5FAW',
      creator_id: 'u',
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
      version: 1,
    };
    const data = noteEventData(note);
    expect(charLength(data.content)).toBe(NOTE_EVENT_CONTENT_MAX);
    expect(data.content_truncated).toBe(true);
    expect(noteEventData({ ...note, content: WIDE.repeat(NOTE_EVENT_CONTENT_MAX) }).content_truncated).toBe(false);
  });
});
