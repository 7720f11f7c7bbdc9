import { ValidationError } from './errors.ts';
import type { Page, PageQuery } from './ports.ts';

// Lists of owned records (leads, contacts, deals) in two kinds of order: newest or oldest
// first, which the indexes keep (ULIDs), one page per request; or by any other field, sorted
// in memory over every match, bounded so that no request reads without limit. Both page by
// keyset: a cursor names the last record returned (its sort value and id), never an offset,
// so a walk returns each record that existed throughout exactly once, whatever is inserted or
// deleted meanwhile.

/** A place in a list sorted in memory: just after the record with this sort value and id. */
export interface SortPosition {
  key: string | number;
  id: string;
}

/** What a repository offers a list: index pages, a bounded read of all matches, keyset cursors. */
export interface SortableRepository<Q, T> {
  list(query: Q, page: PageQuery): Promise<Page<T>>;
  /** Up to `max` matching records, for orders no index serves (`truncated`: more match, or too many were read to find them). */
  collect(query: Q, max: number): Promise<{ items: T[]; truncated: boolean }>;
  /** A cursor for the place just after `after`, bound to `shape` (the query and order). */
  keysetCursor(shape: unknown, after: SortPosition): Promise<string>;
  /** The place a cursor names (null without one); ValidationError naming query.cursor for another query's cursor. */
  readKeysetCursor(shape: unknown, cursor: string | undefined): Promise<SortPosition | null>;
}

/** Lists sorted by a field no index orders hold at most this many matches in scope. */
export const MAX_SORTED_RECORDS = 1000;

export interface SortedPageRequest<T> {
  /** "created_at" reads the index in `order`; any other field sorts in memory by `key`. */
  sortBy: string;
  order: 'asc' | 'desc';
  key: (record: T) => string | number;
  page: PageQuery;
  /** What the records are called in the refusal ("leads"). */
  noun: string;
  max?: number;
}

/**
 * One page in the requested order. In memory, the matches are sorted by (key, id) and the page
 * starts just after the cursor's (key, id). Throws a 422 naming query.sort_by
 * (too_many_to_sort) when the matches cannot all be read within the bound: refused, never
 * approximated.
 */
export async function sortedPage<Q, T extends { id: string }>(
  repo: SortableRepository<Q, T>,
  query: Q,
  request: SortedPageRequest<T>,
): Promise<Page<T>> {
  if (request.sortBy === 'created_at') return repo.list(query, request.page);
  const max = request.max ?? MAX_SORTED_RECORDS;
  const shape = { query, sortBy: request.sortBy };
  const after = await repo.readKeysetCursor(shape, request.page.cursor);
  const { items, truncated } = await repo.collect(query, max);
  if (truncated) {
    throw ValidationError.field(
      'query.sort_by',
      `more than ${max} ${request.noun} match (or too many were read to find them): narrow the filters to sort by ${request.sortBy}`,
      { code: 'too_many_to_sort' },
    );
  }
  const sign = request.order === 'asc' ? 1 : -1;
  const keyed = items
    .map((record) => ({ record, key: request.key(record) }))
    .sort((a, b) => sign * comparePositions(a.key, a.record.id, b.key, b.record.id));
  const from = after ? keyed.findIndex((k) => sign * comparePositions(k.key, k.record.id, after.key, after.id) > 0) : 0;
  const page = from < 0 ? [] : keyed.slice(from, from + request.page.limit);
  const last = page.at(-1);
  const more = from >= 0 && from + request.page.limit < keyed.length;
  return {
    items: page.map((k) => k.record),
    next_cursor: more && last ? await repo.keysetCursor(shape, { key: last.key, id: last.record.id }) : null,
  };
}

/** Order of two places: by sort value, then id (numbers before text if ever mixed). */
function comparePositions(aKey: string | number, aId: string, bKey: string | number, bId: string): number {
  if (typeof aKey !== typeof bKey) return typeof aKey === 'number' ? -1 : 1;
  if (aKey !== bKey) return aKey < bKey ? -1 : 1;
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}

/** Text sorts ignore case; a missing value sorts as empty. */
export const textKey = (value: string | null | undefined): string => (value ?? '').toLocaleLowerCase('en');
