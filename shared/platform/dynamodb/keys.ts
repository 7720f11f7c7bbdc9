import { RELATED_RECORD_TYPES, type RecordRef } from '#shared/kernel/related-records.ts';
import { choosing, indexPartitions, tableKeys, type IndexPartition, type KeyBuilder } from './partitions.ts';
import type { IndexName } from './table-spec.ts';

// The keys other kinds reference generically: a user (owners, assignees, checks that a user is
// active) and a lead, contact or deal (notes, tasks, search terms and record owners find it by
// type and id). Every other key, and every index partition, lives with its kind, in its
// family's dynamodb.ts.

/** A user: "user#<id>" / "user". */
export const userKey = tableKeys<[id: string]>('user', 'user');

/**
 * A lead, contact or deal: "<type>#<id>" / "<type>" ("<type>#<id>" is its recordRefKey). Its
 * partition also holds its search terms and, for deals and organisations, their children.
 */
export const recordKey = choosing(RELATED_RECORD_TYPES, (type) => tableKeys<[id: string]>(type, type));

/** Partitions of `index` per lead, contact or deal, "<type>#<id><suffix>": a record's notes, its tasks. */
export function recordPartitions(index: IndexName, suffix: string): KeyBuilder<[ref: RecordRef], IndexPartition> {
  const byType = choosing(RELATED_RECORD_TYPES, (type) => indexPartitions<[id: string]>(index, type, suffix));
  return Object.assign((ref: RecordRef) => byType(ref.resource_type, ref.resource_id), { patterns: byType.patterns });
}
