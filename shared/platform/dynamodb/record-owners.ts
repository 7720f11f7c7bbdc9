import type { RecordOwners } from '#shared/kernel/record-owners.ts';
import { ConflictError, NotFoundError } from '#shared/kernel/errors.ts';
import { recordRefKey, type RecordRef, type RelatedRecordType } from '#shared/kernel/related-records.ts';
import { recordKey } from './keys.ts';
import type { Table, WriteOp } from './table.ts';

// The owner of a lead, contact or deal, read from the record's own item ("<type>#<id>" /
// "<type>", an `owner_id` attribute): one GetItem, or one BatchGetItem for a page of notes.

export class DynamoRecordOwners implements RecordOwners {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async ownerOf(resource_type: RelatedRecordType, resource_id: string): Promise<string | undefined> {
    const item = await this.#table.get(recordKey(resource_type, resource_id));
    return typeof item?.owner_id === 'string' ? item.owner_id : undefined;
  }

  async ownersOf(refs: readonly RecordRef[]): Promise<Map<string, string>> {
    const distinct = [...new Map(refs.map((r) => [recordRefKey(r), r])).values()];
    const owners = new Map<string, string>();
    for (let i = 0; i < distinct.length; i += 100) {
      const keys = distinct.slice(i, i + 100).map((r) => recordKey(r.resource_type, r.resource_id));
      // A record's pk is "<type>#<id>", which is its recordRefKey.
      for (const item of await this.#table.getMany(keys)) {
        if (typeof item.owner_id === 'string') owners.set(String(item.pk), item.owner_id);
      }
    }
    return owners;
  }
}

/**
 * Inside a note's or task's transaction: the record still exists and still has the owner the
 * caller was allowed to see when the request read it.
 */
export function recordOwnerCheck(ref: RecordRef, ownerId: string): WriteOp {
  return {
    type: 'check',
    key: recordKey(ref.resource_type, ref.resource_id),
    condition: 'owner_id = :owner',
    values: { ':owner': ownerId },
    onConflict: (current) =>
      current
        ? new ConflictError(`${ref.resource_type} ${ref.resource_id} changed owner meanwhile; try again`, {
            code: 'concurrent_change',
          })
        : new NotFoundError(ref.resource_type, ref.resource_id),
  };
}
