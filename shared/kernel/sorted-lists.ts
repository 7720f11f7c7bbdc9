import { ValidationError } from './errors.ts';
import type { Page, PageQuery } from './ports.ts';

// Lists of owned records (leads, contacts) in two orders: newest or oldest first, which the
// indexes keep (ULIDs), one page per request; or by any other field, sorted in memory over
// the matches, bounded so that no request reads without limit.

/** What a repository offers a list: index pages, a bounded read of all matches, offset cursors. */
export interface SortableRepository<Q, T> {
  list(query: Q, page: PageQuery): Promise<Page<T>>;
  /** Up to `max` matching records, for orders no index serves. */
  collect(query: Q, max: number): Promise<{ items: T[]; truncated: boolean }>;
  offsetCursor(shape: unknown, offset: number): string;
  readOffsetCursor(shape: unknown, cursor: string | undefined): number;
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

export async function sortedPage<Q, T extends { id: string }>(
  repo: SortableRepository<Q, T>,
  query: Q,
  request: SortedPageRequest<T>,
): Promise<Page<T>> {
  if (request.sortBy === 'created_at') return repo.list(query, request.page);
  const max = request.max ?? MAX_SORTED_RECORDS;
  const { items, truncated } = await repo.collect(query, max);
  if (truncated) {
    throw ValidationError.field(
      'query.sort_by',
      `more than ${max} ${request.noun} match: narrow the filters to sort by ${request.sortBy}`,
      { code: 'too_many_to_sort' },
    );
  }
  const keyed = items.map((record) => ({ record, key: request.key(record) }));
  keyed.sort((a, b) => {
    const c = a.key < b.key ? -1 : a.key > b.key ? 1 : a.record.id < b.record.id ? -1 : 1;
    return request.order === 'asc' ? c : -c;
  });
  const shape = { query, sortBy: request.sortBy };
  const offset = repo.readOffsetCursor(shape, request.page.cursor);
  const end = offset + request.page.limit;
  return {
    items: keyed.slice(offset, end).map((k) => k.record),
    next_cursor: end < keyed.length ? repo.offsetCursor(shape, end) : null,
  };
}

/** Text sorts ignore case; a missing value sorts as empty. */
export const textKey = (value: string | null | undefined): string => (value ?? '').toLocaleLowerCase('en');
