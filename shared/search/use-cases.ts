import { firstHitPerRecord, parseSearchQuery, SEARCH_KINDS, type SearchHit, type SearchKind } from './domain.ts';
import { inScope, ownersToQuery, scopeOf } from '#shared/kernel/visibility.ts';
import type { Call } from '#shared/kernel/ports.ts';
import type { SearchIndex } from './ports.ts';

// One search across leads, contacts and deals (F1.6), for typeahead: the records whose name
// or e-mail begins with what was typed, within the caller's visibility (F1.1), closest first.

export interface SearchDeps {
  index: SearchIndex;
}

export const SEARCH_LIMIT = { default: 10, max: 25 } as const;

/**
 * A record matches a prefix through at most a few of its terms in practice (its name and its
 * e-mail): reading twice the page is enough to return `limit` distinct records.
 */
const TERMS_PER_RECORD = 2;
/** At most this many term matches read per query. */
export const MAX_TERM_READS = 100;

/**
 * How many term matches to read. A kinds filter drops items after DynamoDB has read them
 * (its Limit counts before the filter), so asking for fewer kinds reads proportionally more.
 */
export function termReads(limit: number, kinds: readonly SearchKind[]): number {
  const share = SEARCH_KINDS.length / Math.max(1, kinds.length);
  return Math.min(MAX_TERM_READS, Math.ceil(limit * TERMS_PER_RECORD * share));
}

export interface SearchRequest {
  q: string;
  /** Comma-separated: leads, contacts, deals; all when absent. */
  types?: string | undefined;
  limit?: number | undefined;
}

export async function searchRecords(deps: SearchDeps, call: Call, request: SearchRequest): Promise<{ items: SearchHit[] }> {
  const { prefix, kinds } = parseSearchQuery(request, { q: 'query.q', types: 'query.types' });
  const limit = Math.min(SEARCH_LIMIT.max, Math.max(1, Math.trunc(request.limit ?? SEARCH_LIMIT.default)));
  const scope = scopeOf(call.principal);
  const owners = ownersToQuery(scope);
  if (owners !== 'all' && owners.length === 0) return { items: [] };
  const hits = await deps.index.find({ owners, prefix, kinds, limit: termReads(limit, kinds) });
  // The index already answers within scope and kinds; checking again costs nothing and keeps
  // visibility a property of this use case rather than of one adapter.
  const allowed = hits.filter((hit) => inScope(scope, hit.owner_id) && kinds.includes(hit.kind));
  return { items: firstHitPerRecord(allowed, limit) };
}
