import type { SearchHit, SearchKind } from '#shared/domain/search.ts';
import type { Item, WriteOp } from './table.ts';

// The search index on the single table: one small item per (record, term), in the record's own
// partition, projected into gsi1 ("search#<owner>": one query per owner in scope) and gsi2
// ("search": admins). Record writes call `searchIndexOps` inside their transaction, so the
// index never disagrees with the records.

export interface Searchable extends SearchHit {
  terms: string[];
}

const termSk = (term: string) => `search#${term}`;

function termItem(record: Searchable, term: string): Item & { pk: string; sk: string } {
  const sortKey = `${term}#${record.kind}#${record.id}`;
  return {
    pk: `${record.kind}#${record.id}`,
    sk: termSk(term),
    kind: 'search_term',
    term,
    hit_kind: record.kind,
    hit_id: record.id,
    name: record.name,
    email: record.email,
    owner_id: record.owner_id,
    gsi1pk: `search#${record.owner_id}`,
    gsi1sk: sortKey,
    gsi2pk: 'search',
    gsi2sk: sortKey,
  };
}

/**
 * The writes that take the index from `before` to `after` (either may be null: created,
 * deleted). Terms whose item changes (new owner, name shown) are rewritten; others untouched.
 */
export function searchIndexOps(before: Searchable | null, after: Searchable | null): WriteOp[] {
  const ops: WriteOp[] = [];
  const old = new Map((before?.terms ?? []).map((t) => [t, before!]));
  const next = new Map((after?.terms ?? []).map((t) => [t, after!]));
  for (const [term, record] of old) {
    if (!next.has(term)) ops.push({ type: 'remove', key: { pk: `${record.kind}#${record.id}`, sk: termSk(term) } });
  }
  const same = (a: Searchable, b: Searchable) => a.owner_id === b.owner_id && a.name === b.name && a.email === b.email;
  for (const [term, record] of next) {
    const was = old.get(term);
    if (!was || !same(was, record)) ops.push({ type: 'put', item: termItem(record, term) });
  }
  return ops;
}

export function hitOf(item: Item): SearchHit {
  return {
    kind: item.hit_kind as SearchKind,
    id: String(item.hit_id),
    name: String(item.name),
    email: (item.email as string | null) ?? null,
    owner_id: String(item.owner_id),
  };
}
