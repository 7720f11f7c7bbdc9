import type { SearchHit, SearchKind } from './domain.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import { indexKeys, indexPartition, indexPartitions } from '#shared/platform/dynamodb/partitions.ts';
import { INDEX } from '#shared/platform/dynamodb/table-spec.ts';
import type { Item, ItemKeys, Key, WriteOp } from '#shared/platform/dynamodb/table.ts';

// The search index on the single table: one small item per (record, term), in the record's own
// partition (recordKey), projected into the partitions of searchIndex: one per owner ("one
// query per owner in scope") and one for admins. Record writes call `searchIndexOps` inside their transaction, so the
// index never disagrees with the records.
//
// Index sort key: "<term key>#<kind>#<id>", where the term key is the term with its spaces
// written "-". Terms hold only letters, digits and single spaces (normalizeSearchText), and
// "#" < "-" < any digit or letter, so a term sorts before every longer term it begins:
// "anna" < "anna bell" < "anna1" < "annabelle". A typeahead page, read in key order, thus
// starts with the closest matches; with the spaces left as they are, every "anna <...>"
// would come before "anna" itself, and the record named exactly what was typed could fall
// off the page.

export interface Searchable extends SearchHit {
  terms: string[];
}

/** The kind attribute of index items. */
export const SEARCH_TERM_KIND = 'search_term';
/** The partitions searches read, sorted by term key (see above). */
export const searchIndex = {
  /** The index items of one owner's records: "search#<owner>". */
  byOwner: indexPartitions<[ownerId: string]>(INDEX.owner, 'search'),
  /** Every index item (admins). */
  all: indexPartition(INDEX.all, 'search'),
};
/** The partition key of every index item (searchIndex.all). */
export const SEARCH_ALL_PARTITION = searchIndex.all().pk;
/** The partition key of one owner's index items (searchIndex.byOwner). */
export const searchOwnerPartition = (ownerId: string): string => searchIndex.byOwner(ownerId).pk;
/** What index sort keys matching `prefix` (normalised) begin with. */
export const searchSortKeyPrefix = (prefix: string): string => prefix.replaceAll(' ', '-');

const recordPk = (record: Pick<Searchable, 'kind' | 'id'>) => recordKey(record.kind, record.id).pk;
const termKey = (record: Pick<Searchable, 'kind' | 'id'>, term: string): Key => ({
  pk: recordPk(record),
  sk: `search#${term}`,
});

function termItem(record: Searchable, term: string): Item & ItemKeys {
  const sortKey = `${searchSortKeyPrefix(term)}#${record.kind}#${record.id}`;
  return {
    ...termKey(record, term),
    kind: SEARCH_TERM_KIND,
    term,
    hit_kind: record.kind,
    hit_id: record.id,
    name: record.name,
    email: record.email ?? null,
    owner_id: record.owner_id,
    ...indexKeys(sortKey, searchIndex.byOwner(record.owner_id), searchIndex.all()),
  };
}

const termsOf = (record: Searchable | null) => new Set((record?.terms ?? []).filter((t) => t !== ''));

/**
 * The writes that take the index from `before` to `after` (either may be null: created,
 * deleted). Terms gone are removed; terms whose item changes (new owner, name or e-mail
 * shown) are rewritten; others are untouched. Each key is written at most once, as one
 * transaction requires.
 */
export function searchIndexOps(before: Searchable | null, after: Searchable | null): WriteOp[] {
  // Not the same record (should not happen): drop the old one's terms, write the new one's.
  if (before && after && recordPk(before) !== recordPk(after)) {
    return [...searchIndexOps(before, null), ...searchIndexOps(null, after)];
  }
  const old = termsOf(before);
  const next = termsOf(after);
  const ops: WriteOp[] = [];
  for (const term of old) if (!next.has(term)) ops.push({ type: 'remove', key: termKey(before!, term) });
  const unchanged =
    before !== null &&
    after !== null &&
    before.owner_id === after.owner_id &&
    before.name === after.name &&
    (before.email ?? null) === (after.email ?? null);
  for (const term of next) if (!(unchanged && old.has(term))) ops.push({ type: 'put', item: termItem(after!, term) });
  return ops;
}

export function hitOf(item: Item): SearchHit {
  return {
    kind: item.hit_kind as SearchKind,
    id: String(item.hit_id),
    name: String(item.name),
    email: typeof item.email === 'string' ? item.email : null,
    owner_id: String(item.owner_id),
  };
}
