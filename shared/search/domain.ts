import * as z from 'zod/mini';
import { charLength, firstChars } from '#shared/kernel/chars.ts';
import { ValidationError, type FieldProblem } from '#shared/kernel/errors.ts';

// Search terms (F1.6): what a record can be found by when someone types part of it. Case- and
// accent-insensitive: "Zoë Müller" is found by "zoe", "mull" and "zoe mu". The same
// normalisation runs on what is stored and on what is typed, so they always compare alike.

export const SEARCH_KINDS = ['lead', 'contact', 'deal'] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

/** The API names kinds in the plural (`types=leads,deals`), as its paths do. */
export const SEARCH_TYPES: Readonly<Record<string, SearchKind>> = { leads: 'lead', contacts: 'contact', deals: 'deal' };

/** Apostrophes join rather than split: "O'Brien" is found by "obrien" and "o'brien". */
const APOSTROPHES = /['`\u2018\u2019\u02bc]/gu;

/** Latin letters that NFKD leaves whole, spelled as people type them without the key. */
const FOLDS: Readonly<Record<string, string>> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
  ς: 'σ',
};
const FOLDABLE = new RegExp(`[${Object.keys(FOLDS).join('')}]`, 'gu');

/**
 * Lower case, accents and other marks removed, letters without a decomposition folded
 * (ß → ss, ø → o, ł → l), apostrophes dropped, and every other run of characters that are
 * not letters, digits or pictographs (emoji and other symbols, \p{So}, with the joiners
 * of emoji sequences) made a single space. E-mail addresses go through the same rule, so
 * "zoe.muller@x.com" is stored and typed as "zoe muller x com"; so do hyphenated names:
 * "Jean-Luc" is found by "jean luc" and "luc"; "🛶 Kayaks" by "🛶" and "kay".
 *
 * A text with none of those (a name saved as "!!!" or "++") keeps its own characters, lower
 * case and with runs of white space made one: whatever can be saved can be found.
 */
export function normalizeSearchText(text: string): string {
  const words = text
    .toLowerCase()
    .replace(APOSTROPHES, '')
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(FOLDABLE, (c) => FOLDS[c] ?? c)
    .replace(/(?<!\p{So})\u200D|\u200D(?!\p{So})/gu, ' ')
    .replace(/[^\p{L}\p{N}\p{So}\u200D]+/gu, ' ')
    .trim();
  return words || text.toLowerCase().normalize('NFKC').replace(/\s+/gu, ' ').trim();
}

/** At most this many terms per record: each is one item written with the record. */
export const MAX_SEARCH_TERMS = 8;
/** Terms are cut to this many characters; a search text may not be longer. */
export const MAX_SEARCH_TERM_LENGTH = 60;

/** Cut by characters (code points), never inside a surrogate pair; no trailing space. */
const clip = (text: string): string => firstChars(text, MAX_SEARCH_TERM_LENGTH).trimEnd();

/**
 * The terms of a record: each name whole (so "zoe mu" matches "Zoë Müller"), each e-mail
 * address whole, and each name again from each of its later words (so "mul" matches too).
 * Over MAX_SEARCH_TERMS, later words go first: whole names and e-mails are always kept,
 * and a name's second word outranks any name's third.
 */
export function searchTerms(
  names: readonly (string | null | undefined)[],
  emails: readonly (string | null | undefined)[] = [],
): string[] {
  const wholes: string[] = [];
  const tails: string[][] = [];
  for (const name of names) {
    const text = normalizeSearchText(name ?? '');
    if (!text) continue;
    wholes.push(clip(text));
    const words = text.split(' ');
    tails.push(words.slice(1).map((_, i) => clip(words.slice(i + 1).join(' '))));
  }
  const addresses = emails.map((email) => clip(normalizeSearchText(email ?? ''))).filter(Boolean);
  const byWord: string[] = [];
  for (let i = 0; tails.some((t) => i < t.length); i++) for (const t of tails) if (i < t.length) byWord.push(t[i]!);
  return [...new Set([...wholes, ...addresses, ...byWord])].slice(0, MAX_SEARCH_TERMS);
}

/** What a search hit shows: enough for a typeahead line. */
export const searchHitSchema = z.object({
  kind: z.enum(SEARCH_KINDS),
  id: z.string(),
  name: z.string(),
  email: z.nullable(z.string()),
  owner_id: z.string(),
});
export type SearchHit = z.output<typeof searchHitSchema>;

/**
 * A search as typed: the normalised prefix (1 to MAX_SEARCH_TERM_LENGTH characters) and the
 * kinds asked for (all when `types` is absent). Every problem is reported, under `fields`.
 */
export function parseSearchQuery(
  input: { q: string; types?: string | undefined },
  fields: { q: string; types: string } = { q: 'q', types: 'types' },
): { prefix: string; kinds: SearchKind[] } {
  const problems: FieldProblem[] = [];
  const prefix = normalizeSearchText(input.q);
  if (!prefix) problems.push({ field: fields.q, message: 'must not be blank' });
  else if (charLength(prefix) > MAX_SEARCH_TERM_LENGTH) {
    problems.push({
      field: fields.q,
      message: `must be at most ${MAX_SEARCH_TERM_LENGTH} characters, spaces and punctuation aside`,
    });
  }
  let kinds: SearchKind[] = [...SEARCH_KINDS];
  if (input.types !== undefined) {
    const names = input.types.split(',').map((t) => t.trim().toLowerCase());
    const unknown = names.filter((t) => !Object.hasOwn(SEARCH_TYPES, t));
    const known = Object.keys(SEARCH_TYPES).join(', ');
    if (unknown.length > 0) {
      const listed = unknown.map((t) => (t ? `"${t}"` : 'an empty name')).join(', ');
      problems.push({ field: fields.types, message: `names no type ${listed}: use ${known}` });
    } else kinds = SEARCH_KINDS.filter((kind) => names.some((t) => SEARCH_TYPES[t] === kind));
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return { prefix, kinds };
}

/**
 * One hit per record (a record can match through several of its terms: its name and its
 * e-mail), the first kept: hits come in term order, so that is the closest match.
 */
export function firstHitPerRecord(hits: readonly SearchHit[], limit: number): SearchHit[] {
  const seen = new Set<string>();
  const out: SearchHit[] = [];
  for (const hit of hits) {
    if (out.length >= limit) break;
    const key = `${hit.kind}#${hit.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(hit);
  }
  return out;
}
