import { indexAttributes, type IndexName } from './table-spec.ts';
import type { ItemKeys, Key } from './table.ts';

// Partition keys, declared once per access pattern. A family's dynamodb.ts names its kind's
// partitions with these builders (one index object per kind, e.g. `dealIndex.byStage(id)`);
// the item builder projects into the same partitions the Query reads, so a key such as
// "deal_stage#<id>" is spelled in one place. Each builder also says what its keys look like
// (KeyPattern), so a test can check that no two kinds' partitions can ever be the same.
//
// A key is its name, then its parts, joined by "#", then a suffix: "deal_stage#<s>#<o>",
// "lead#<id>#note". With no parts, it is the name alone ("deal", the gsi2 collection).

/** The key space a partition key lives in: the table's `pk` or one index's partition key. */
export type KeySpace = 'table' | IndexName;

/** What the keys of one builder look like, for checking that two builders cannot alias. */
export interface KeyPattern {
  readonly space: KeySpace;
  /** Literal text every key starts with ("deal_stage#"), or the whole key when `exact`. */
  readonly prefix: string;
  /** Literal text every key ends with ("#note"), after the variable parts. */
  readonly suffix: string;
  /** Takes no parts: one key, `prefix`. */
  readonly exact: boolean;
}

/** A key builder that also says what its keys look like. */
export type KeyBuilder<P extends readonly unknown[], R> = ((...parts: P) => R) & { readonly patterns: readonly KeyPattern[] };

/** One partition of one index: what an item projects into and what a Query reads (a PartitionQuery). */
export interface IndexPartition {
  readonly index: IndexName;
  readonly pk: string;
}

type Parts = readonly [string, ...string[]];

const join = (name: string, parts: readonly string[], suffix = '') => `${[name, ...parts].join('#')}${suffix}`;
const exactly = (space: KeySpace, key: string): KeyPattern => ({ space, prefix: key, suffix: '', exact: true });
const parted = (space: KeySpace, name: string, suffix = ''): KeyPattern => ({ space, prefix: `${name}#`, suffix, exact: false });

function builder<P extends readonly string[], R>(patterns: KeyPattern[], build: (...parts: P) => R): KeyBuilder<P, R> {
  return Object.assign(build, { patterns });
}

/** The one partition `name` of `index` (a whole collection: "deal" in gsi2). */
export function indexPartition(index: IndexName, name: string): KeyBuilder<[], IndexPartition> {
  return builder([exactly(index, name)], () => ({ index, pk: name }));
}

/** Partitions "<name>#<parts...><suffix>" of `index`, one part per element of P. */
export function indexPartitions<P extends Parts>(index: IndexName, name: string, suffix = ''): KeyBuilder<P, IndexPartition> {
  return builder([parted(index, name, suffix)], (...parts: P) => ({ index, pk: join(name, parts, suffix) }));
}

/** The one item `name` / `sk` (a singleton: the account, a counter). */
export function tableKey(name: string, sk: string): KeyBuilder<[], Key> {
  return builder([exactly('table', name)], () => ({ pk: name, sk }));
}

/** Items "<name>#<parts...>" / `sk`, one per partition (a record, a uniqueness claim). */
export function tableKeys<P extends Parts>(name: string, sk: string): KeyBuilder<P, Key> {
  return builder([parted('table', name)], (...parts: P) => ({ pk: join(name, parts), sk }));
}

/** The one table partition `name`, holding several items, each with its own sort key. */
export function tablePartition(name: string): KeyBuilder<[], string> {
  return builder([exactly('table', name)], () => name);
}

/** Table partitions "<name>#<parts...>" holding several items, each with its own sort key. */
export function tablePartitions<P extends Parts>(name: string): KeyBuilder<P, string> {
  return builder([parted('table', name)], (...parts: P) => join(name, parts));
}

/**
 * One builder per value of a closed set (record types, list kinds), chosen by the first
 * argument: `recordKey('deal', id)`. Its patterns are those of every choice.
 */
export function choosing<C extends string, P extends readonly string[], R>(
  choices: readonly C[],
  make: (choice: C) => KeyBuilder<P, R>,
): KeyBuilder<[C, ...P], R> {
  const byChoice = new Map(choices.map((c) => [c, make(c)] as const));
  return builder(
    [...byChoice.values()].flatMap((b) => b.patterns),
    (choice: C, ...parts: P) => {
      const chosen = byChoice.get(choice);
      if (!chosen) throw new Error(`no key builder for ${choice}`);
      return chosen(...parts);
    },
  );
}

/**
 * The index attributes of an item in `partitions` (null: not in that index, sparse), all
 * sorted by `sortKey`: e.g. { gsi1pk: "deal#<owner>", gsi1sk: "<id>", gsi3pk: ... }.
 */
export function indexKeys(sortKey: string, ...partitions: (IndexPartition | null)[]): Omit<ItemKeys, 'pk' | 'sk'> {
  const keys: Record<string, string> = {};
  for (const partition of partitions) {
    if (!partition) continue;
    const { partitionKey, sortKey: sortAttribute } = indexAttributes(partition.index);
    if (partitionKey in keys) throw new Error(`an item sits in one partition of ${partition.index}, got two`);
    keys[partitionKey] = partition.pk;
    keys[sortAttribute] = sortKey;
  }
  return keys;
}

/** Every KeyPattern reachable from builders, objects of builders and arrays of them. */
export function keyPatternsOf(...groups: unknown[]): KeyPattern[] {
  const found = new Set<KeyPattern>();
  const seen = new Set<object>();
  const visit = (value: unknown): void => {
    if (typeof value === 'function' && 'patterns' in value) {
      for (const pattern of (value as KeyBuilder<[], unknown>).patterns) found.add(pattern);
    } else if (value !== null && typeof value === 'object' && !seen.has(value)) {
      seen.add(value);
      Object.values(value).forEach(visit);
    }
  };
  groups.forEach(visit);
  return [...found];
}

/**
 * Whether some key could match both patterns (the parts being any text): then two kinds
 * could read and write the same partition.
 */
export function canAlias(a: KeyPattern, b: KeyPattern): boolean {
  if (a.space !== b.space) return false;
  if (a.exact && b.exact) return a.prefix === b.prefix;
  if (a.exact || b.exact) {
    const [key, pattern] = a.exact ? [a.prefix, b] : [b.prefix, a];
    return (
      key.startsWith(pattern.prefix) &&
      key.endsWith(pattern.suffix) &&
      key.length >= pattern.prefix.length + pattern.suffix.length
    );
  }
  const prefixes = a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix);
  const suffixes = a.suffix.endsWith(b.suffix) || b.suffix.endsWith(a.suffix);
  return prefixes && suffixes;
}
