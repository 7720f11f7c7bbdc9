import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { normalizeTags, tagKey, tagsSchema } from '#shared/kernel/tags.ts';

// The tag rules every record type with tags shares (deals, leads, contacts).

describe('tags', () => {
  it('match ignoring case and Unicode normal form', () => {
    expect(tagKey(' VIP ')).toBe('vip');
    expect(tagKey('Zo\u0065\u0308')).toBe(tagKey('ZOË'));
  });

  it('keep one tag per spelling, the first as written, trimmed, blanks dropped', () => {
    expect(normalizeTags(['VIP', ' vip ', '', 'Q4', 'q4', 'Vip'])).toEqual(['VIP', 'Q4']);
  });

  it('refuse a comma, which the list filter reads as a separator', () => {
    const result = z.safeParse(tagsSchema, ['ok', 'Oslo, Norway']);
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([expect.objectContaining({ path: [1], message: expect.stringContaining('comma') })]);
    expect(z.safeParse(tagsSchema, ['Oslo / Norway']).success).toBe(true);
  });
});
