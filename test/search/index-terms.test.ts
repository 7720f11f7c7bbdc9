import { describe, expect, it } from 'vitest';
import {
  hitOf,
  SEARCH_ALL_PARTITION,
  searchIndexOps,
  searchOwnerPartition,
  searchSortKeyPrefix,
  type Searchable,
} from '#shared/search/index-terms.ts';
import type { Item, WriteOp } from '#shared/platform/dynamodb/table.ts';
import { searchTerms } from '#shared/search/domain.ts';
import { testId } from '#test/helpers/fakes.ts';

// The index writes a record change carries in its transaction: exactly the terms that appear,
// disappear or must show something new, and nothing else.

const ID = testId(1);
const OWNER = testId(2);
const OTHER_OWNER = testId(3);

function contact(name: string, email: string | null = null, owner = OWNER): Searchable {
  return { kind: 'contact', id: ID, name, email, owner_id: owner, terms: searchTerms([name], [email]) };
}

const puts = (ops: WriteOp[]) => ops.flatMap((op) => (op.type === 'put' ? [op.item] : []));
const removed = (ops: WriteOp[]) => ops.flatMap((op) => (op.type === 'remove' ? [op.key.sk] : []));
const termsPut = (ops: WriteOp[]) => puts(ops).map((item) => item.term as string);

describe('searchIndexOps', () => {
  it('writes one item per term on create, in the record partition, projected for its owner and for admins', () => {
    const ops = searchIndexOps(null, contact('Zoë Müller', 'zoe@example.com'));
    expect(ops.map((op) => op.type)).toEqual(['put', 'put', 'put']);
    expect(termsPut(ops)).toEqual(['zoe muller', 'zoe example com', 'muller']);
    expect(puts(ops)[0]).toEqual({
      pk: `contact#${ID}`,
      sk: 'search#zoe muller',
      kind: 'search_term',
      term: 'zoe muller',
      hit_kind: 'contact',
      hit_id: ID,
      name: 'Zoë Müller',
      email: 'zoe@example.com',
      owner_id: OWNER,
      gsi1pk: searchOwnerPartition(OWNER),
      gsi1sk: `zoe-muller#contact#${ID}`,
      gsi2pk: SEARCH_ALL_PARTITION,
      gsi2sk: `zoe-muller#contact#${ID}`,
    });
  });

  it('writes nothing when nothing searchable changed', () => {
    expect(searchIndexOps(contact('Zoë Müller', 'zoe@example.com'), contact('Zoë Müller', 'zoe@example.com'))).toEqual([]);
  });

  it('on a rename removes the terms gone, writes the new ones, and rewrites the kept ones to show the new name', () => {
    const ops = searchIndexOps(contact('Zoë Anna Müller'), contact('Ann Müller'));
    expect(removed(ops).sort()).toEqual(['search#anna muller', 'search#zoe anna muller']);
    expect(termsPut(ops).sort()).toEqual(['ann muller', 'muller']);
    expect(puts(ops).every((item) => item.name === 'Ann Müller')).toBe(true);
  });

  it('rewrites every term when only the spelling shown changes', () => {
    const ops = searchIndexOps(contact('Zoe Muller'), contact('Zoë Müller'));
    expect(removed(ops)).toEqual([]);
    expect(termsPut(ops)).toEqual(['zoe muller', 'muller']);
  });

  it('rewrites every term on an owner change, so each moves to the new owner’s partition', () => {
    const ops = searchIndexOps(contact('Zoë Müller', 'zoe@example.com'), contact('Zoë Müller', 'zoe@example.com', OTHER_OWNER));
    expect(removed(ops)).toEqual([]);
    expect(puts(ops)).toHaveLength(3);
    expect(puts(ops).every((item) => item.gsi1pk === searchOwnerPartition(OTHER_OWNER) && item.owner_id === OTHER_OWNER)).toBe(
      true,
    );
  });

  it('on an e-mail change replaces the address term and rewrites the name terms to show the new address', () => {
    const ops = searchIndexOps(contact('Zoë Müller', 'zoe@old.com'), contact('Zoë Müller', 'zoe@new.com'));
    expect(removed(ops)).toEqual(['search#zoe old com']);
    expect(termsPut(ops)).toEqual(['zoe muller', 'zoe new com', 'muller']);
    expect(puts(ops).every((item) => item.email === 'zoe@new.com')).toBe(true);
  });

  it('removes every term on delete', () => {
    const ops = searchIndexOps(contact('Zoë Müller', 'zoe@example.com'), null);
    expect(ops.every((op) => op.type === 'remove')).toBe(true);
    expect(removed(ops)).toEqual(['search#zoe muller', 'search#zoe example com', 'search#muller']);
    expect(ops.every((op) => op.type === 'remove' && op.key.pk === `contact#${ID}`)).toBe(true);
  });

  it('writes each key once even when terms repeat (a transaction refuses two writes to one item)', () => {
    const record = { ...contact('Acme'), terms: ['acme', 'acme', ''] };
    expect(termsPut(searchIndexOps(null, record))).toEqual(['acme']);
    expect(removed(searchIndexOps(record, null))).toEqual(['search#acme']);
  });

  it('treats two different records as a delete and a create', () => {
    const other: Searchable = { ...contact('Acme'), kind: 'lead' };
    const ops = searchIndexOps(contact('Acme'), other);
    expect(ops).toEqual([
      { type: 'remove', key: { pk: `contact#${ID}`, sk: 'search#acme' } },
      { type: 'put', item: expect.objectContaining({ pk: `lead#${ID}`, hit_kind: 'lead' }) },
    ]);
  });

  it('orders index keys so a term comes before every longer term it begins', () => {
    const keys = ['annabelle', 'anna1', 'anna bell', 'anna', 'anna zed', 'ann'].map(
      (name) => puts(searchIndexOps(null, { ...contact(name), terms: [name] }))[0]!.gsi1sk as string,
    );
    const sorted = [...keys].sort();
    expect(sorted.map((key) => key.split('#')[0])).toEqual(['ann', 'anna', 'anna-bell', 'anna-zed', 'anna1', 'annabelle']);
    // What a typed prefix matches: begins_with on the key.
    const matches = (typed: string) => sorted.filter((key) => key.startsWith(searchSortKeyPrefix(typed))).length;
    expect(matches('anna')).toBe(5);
    expect(matches('anna b')).toBe(1);
    expect(matches('annab')).toBe(1);
  });
});

describe('hitOf', () => {
  it('reads back what an index item shows', () => {
    const item: Item = puts(searchIndexOps(null, contact('Zoë Müller', 'zoe@example.com')))[0]!;
    expect(hitOf(item)).toEqual({ kind: 'contact', id: ID, name: 'Zoë Müller', email: 'zoe@example.com', owner_id: OWNER });
    expect(hitOf({ ...item, email: null }).email).toBeNull();
    expect(hitOf({ ...item, email: undefined }).email).toBeNull();
  });
});
