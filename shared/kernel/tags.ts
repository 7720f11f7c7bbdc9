import * as z from 'zod/mini';
import { text } from './schema.ts';

// Tags of deals, leads and contacts. Lists filter on them with `tags=a,b` (Sell's form: a
// comma-separated list), so a tag may not hold a comma: it could be saved but never asked
// for. Tags match ignoring case ("VIP" finds "vip") and are shown as written.

/** One tag: trimmed, 1-100 characters, no comma. */
export const tagSchema = text(100).check(
  z.regex(/^[^,]*$/, 'must not contain a comma: list filters take tags as a comma-separated list'),
);

/** A record's tags: at most 50. */
export const tagsSchema = z.array(tagSchema).check(z.maxLength(50, 'at most 50 tags'));

/** What a tag matches by: Unicode-normalised (NFC) and lower-cased, so "VIP" and "vip" are one tag. */
export function tagKey(tag: string): string {
  return tag.trim().normalize('NFC').toLowerCase();
}

/** Tags trimmed, blanks dropped, one per tagKey (the first spelling kept), in the order given. */
export function normalizeTags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  const kept: string[] = [];
  for (const raw of tags) {
    const tag = raw.trim();
    const key = tagKey(tag);
    if (tag === '' || seen.has(key)) continue;
    seen.add(key);
    kept.push(tag);
  }
  return kept;
}
