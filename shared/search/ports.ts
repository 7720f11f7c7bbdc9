import type { SearchHit, SearchKind } from './domain.ts';

// The search index (F1.6) as the use case needs it: prefix matches on record terms, within
// owners, in term order.

export interface SearchIndexQuery {
  /** Owners in the caller's scope, or all for admins. */
  owners: 'all' | readonly string[];
  /** Normalised (normalizeSearchText), non-empty. */
  prefix: string;
  /** Only hits of these kinds. */
  kinds: readonly SearchKind[];
  /** At most this many term matches. */
  limit: number;
}

export interface SearchIndex {
  /**
   * Term matches in term order (closest first), one per matching term: a record matching
   * through two of its terms comes twice. The use case keeps one per record.
   */
  find(query: SearchIndexQuery): Promise<SearchHit[]>;
}
