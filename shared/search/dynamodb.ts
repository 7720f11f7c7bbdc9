import type { SearchIndex, SearchIndexQuery } from './ports.ts';
import { SEARCH_KINDS, type SearchHit } from './domain.ts';
import { hitOf, searchIndex, searchSortKeyPrefix } from './index-terms.ts';
import type { PageRequest, PartitionQuery, Table } from '#shared/platform/dynamodb/table.ts';

// Search over the index items of index-terms.ts: one Query per owner in scope (begins_with on
// the term key), or one Query of every item for admins, merged in key order by Table.page. No cursor: a typeahead asks again with more letters instead of paging.

export class DynamoSearchIndex implements SearchIndex {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async find(query: SearchIndexQuery): Promise<SearchHit[]> {
    if (!query.prefix || query.kinds.length === 0 || query.limit < 1) return [];
    if (query.owners !== 'all' && query.owners.length === 0) return [];
    const skBeginsWith = searchSortKeyPrefix(query.prefix);
    const partitions: PartitionQuery[] =
      query.owners === 'all'
        ? [{ ...searchIndex.all(), skBeginsWith }]
        : [...new Set(query.owners)].map((owner) => ({ ...searchIndex.byOwner(owner), skBeginsWith }));
    const request: PageRequest = { partitions, limit: query.limit, order: 'asc' };
    // A filter only when it removes something: it saves the transfer, not the read.
    const kinds = SEARCH_KINDS.filter((kind) => query.kinds.includes(kind));
    if (kinds.length < SEARCH_KINDS.length) {
      const values = Object.fromEntries(kinds.map((kind, i) => [`:hit_kind${i}`, kind]));
      request.filter = {
        expression: `#hit_kind IN (${Object.keys(values).join(', ')})`,
        names: { '#hit_kind': 'hit_kind' },
        values,
      };
    }
    // One read of `limit` items per partition, as a typeahead wants: no further rounds to fill.
    const page = await this.#table.page(request, { items: query.limit * partitions.length, rounds: 1 });
    return page.items.map(hitOf);
  }
}
