import { NotFoundError } from './errors.ts';
import type { Principal } from './principal.ts';
import { recordRefKey, type RecordRef, type RelatedRecordType } from './related-records.ts';
import { canSee } from './visibility.ts';

// Who owns a lead, contact or deal: what notes and tasks ask the visibility policy about.
// Each module keeps its records; this port only reads their owner.

export interface RecordOwners {
  /** The record's owner; undefined when there is no such record. */
  ownerOf(resource_type: RelatedRecordType, resource_id: string): Promise<string | undefined>;
  /** Owners of up to 100 records at once, by recordRefKey; unknown records are absent. */
  ownersOf(refs: readonly RecordRef[]): Promise<Map<string, string>>;
}

/**
 * The owner of a record the caller can see; otherwise "not found", naming the record (an
 * invisible record answers exactly as a missing one: no existence leak).
 */
export async function visibleRecordOwner(records: RecordOwners, principal: Principal, ref: RecordRef): Promise<string> {
  const owner = await records.ownerOf(ref.resource_type, ref.resource_id);
  if (owner === undefined || !canSee(principal, owner)) throw new NotFoundError(ref.resource_type, ref.resource_id);
  return owner;
}

/** Which of these records the caller can see, by recordRefKey (one batch read). */
export async function visibleRecords(
  records: RecordOwners,
  principal: Principal,
  refs: readonly RecordRef[],
): Promise<Set<string>> {
  const distinct = [...new Map(refs.map((r) => [recordRefKey(r), r])).values()];
  const owners = await records.ownersOf(distinct);
  return new Set([...owners].filter(([, owner]) => canSee(principal, owner)).map(([key]) => key));
}
