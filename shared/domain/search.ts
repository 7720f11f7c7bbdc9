// Search terms (F1.6): what a record can be found by when someone types part of it. Case- and
// accent-insensitive: "Zoë Müller" is found by "zoe", "mull" and "zoe mu".

export const SEARCH_KINDS = ['lead', 'contact', 'deal'] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

/** Lower case, accents and other marks removed, runs of spaces and punctuation made single spaces. */
export function normalizeSearchText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}@._+-]+/gu, ' ')
    .trim();
}

/** At most this many terms per record: each is one item written with the record. */
export const MAX_SEARCH_TERMS = 8;
const MAX_TERM_LENGTH = 60;

/**
 * The terms of a record: the whole name (so "zoe mu" matches "Zoë Müller"), each later word
 * of it on its own (so "mul" matches too), and each e-mail address whole.
 */
export function searchTerms(
  names: readonly (string | null | undefined)[],
  emails: readonly (string | null | undefined)[] = [],
): string[] {
  const terms = new Set<string>();
  for (const name of names) {
    const text = normalizeSearchText(name ?? '');
    if (!text) continue;
    terms.add(text.slice(0, MAX_TERM_LENGTH));
    const words = text.split(' ');
    for (let i = 1; i < words.length; i++) terms.add(words.slice(i).join(' ').slice(0, MAX_TERM_LENGTH));
  }
  for (const email of emails) {
    const text = (email ?? '').trim().toLowerCase();
    if (text) terms.add(text.slice(0, MAX_TERM_LENGTH));
  }
  return [...terms].filter(Boolean).slice(0, MAX_SEARCH_TERMS);
}

/** What a search hit shows: enough for a typeahead line. */
export interface SearchHit {
  kind: SearchKind;
  id: string;
  name: string;
  email: string | null;
  owner_id: string;
}
