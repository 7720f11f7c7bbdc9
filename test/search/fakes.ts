import type { SearchIndex, SearchIndexQuery } from '#shared/search/ports.ts';
import { searchTerms, type SearchHit } from '#shared/search/domain.ts';

// An in-memory search index with the port's contract (shared/search/ports.ts):
// one match per matching term, in term order (a term before every longer term it begins),
// within the owners and kinds asked, up to the limit. It records each query it answers.

export interface IndexedRecord {
  hit: SearchHit;
  terms: string[];
}

/** A record as the repositories index it: by its name and e-mail. */
export function indexed(hit: SearchHit): IndexedRecord {
  return { hit, terms: searchTerms([hit.name], [hit.email]) };
}

export class InMemorySearchIndex implements SearchIndex {
  readonly records: IndexedRecord[] = [];
  readonly queries: SearchIndexQuery[] = [];

  add(...records: IndexedRecord[]): this {
    this.records.push(...records);
    return this;
  }

  async find(query: SearchIndexQuery): Promise<SearchHit[]> {
    this.queries.push(structuredClone(query));
    const owners = query.owners === 'all' ? null : new Set(query.owners);
    return this.records
      .filter((r) => (!owners || owners.has(r.hit.owner_id)) && query.kinds.includes(r.hit.kind))
      .flatMap((r) => r.terms.filter((t) => t.startsWith(query.prefix)).map((term) => ({ term, hit: r.hit })))
      .map((m) => ({ ...m, key: `${m.term.replaceAll(' ', '-')}#${m.hit.kind}#${m.hit.id}` }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, query.limit)
      .map((m) => ({ ...m.hit }));
  }
}

/** An index that ignores owners and kinds: what a broken adapter would answer. */
export class LeakySearchIndex extends InMemorySearchIndex {
  override async find(query: SearchIndexQuery): Promise<SearchHit[]> {
    return super.find({ ...query, owners: 'all', kinds: ['lead', 'contact', 'deal'] });
  }
}
