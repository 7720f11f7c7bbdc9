import { ValidationError } from '#shared/kernel/errors.ts';
import type { RelatedRecordType } from '#shared/kernel/related-records.ts';
import { recordKey, userKey } from './keys.ts';
import type { Key, WriteOp } from './table.ts';

// Checks a record write makes inside its transaction on the records it points at, so that a
// reference is valid when the write lands, not merely when it was read. A failed check names
// the request field. Family-specific checks live with their family (namedEntryCheck in pipelines).

/** The owner is an active user. */
export function activeUserCheck(userId: string, field = 'body.owner_id'): WriteOp {
  return {
    type: 'check',
    key: userKey(userId),
    condition: '#status = :active',
    names: { '#status': 'status' },
    values: { ':active': 'active' },
    onConflict: () => ValidationError.field(field, `no active user ${userId}`, { fieldCode: 'unknown_reference' }),
  };
}

/** A lead, contact or deal exists (a deal's contact, an associated contact). */
export function recordExistsCheck(type: RelatedRecordType, id: string, field: string): WriteOp {
  return {
    type: 'check',
    key: recordKey(type, id),
    condition: 'attribute_exists(pk)',
    onConflict: () => ValidationError.field(field, `no ${type} ${id}`, { fieldCode: 'unknown_reference' }),
  };
}

export function keyOfOp(op: WriteOp): Key {
  return op.type === 'create' || op.type === 'put' || op.type === 'replace'
    ? { pk: String(op.item.pk), sk: String(op.item.sk) }
    : op.key;
}

/**
 * One transaction may touch an item only once. When writes built apart are joined (a lead
 * conversion: the contact, its organisation, the deal, the lead), their identical checks
 * (the same owner, the same source) are kept once; any other repeat of a key is a mistake of
 * the caller and fails here, naming the key, rather than as DynamoDB's ValidationException.
 */
export function withoutDuplicateChecks(ops: readonly WriteOp[]): WriteOp[] {
  const seen = new Map<string, WriteOp>();
  const out: WriteOp[] = [];
  for (const op of ops) {
    const { pk, sk } = keyOfOp(op);
    const id = `${pk}|${sk}`;
    const earlier = seen.get(id);
    if (!earlier) {
      seen.set(id, op);
      out.push(op);
      continue;
    }
    const sameCheck =
      op.type === 'check' &&
      earlier.type === 'check' &&
      op.condition === earlier.condition &&
      JSON.stringify([op.names, op.values]) === JSON.stringify([earlier.names, earlier.values]);
    if (!sameCheck) throw new Error(`a transaction touches ${pk} / ${sk} twice (${earlier.type}, then ${op.type})`);
  }
  return out;
}
