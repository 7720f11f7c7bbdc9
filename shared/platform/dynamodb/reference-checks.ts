import { ValidationError } from '#shared/kernel/errors.ts';
import type { RelatedRecordType } from '#shared/kernel/related-records.ts';
import { inScope, type Scope } from '#shared/kernel/visibility.ts';
import { recordKey, userKey } from './keys.ts';
import type { Key, WriteOp } from './table.ts';

// Checks a record write makes inside its transaction on the records it points at, so that a
// reference is valid when the write lands, not merely when it was read. A failed check names
// the request field. Family-specific checks live with their family (namedEntryCheck in pipelines).
// A record reference is checked against the caller's scope too: a record the caller may not see
// fails exactly as a missing one (same status, code and message), so ids leak nothing.

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

/** IN takes at most 100 operands: larger scopes are OR-ed groups. */
const IN_LIMIT = 100;

/**
 * The condition that the checked item's `owner_id` is in `scope`, with its values (prefixed
 * `:scope`); null when the scope is everyone's (admins, system writes).
 */
export function ownerInScope(scope: Scope | undefined): { condition: string; values: Record<string, string> } | null {
  if (!scope || scope.kind === 'all') return null;
  const values: Record<string, string> = {};
  const groups: string[] = [];
  for (let i = 0; i < scope.owner_ids.length; i += IN_LIMIT) {
    const names = scope.owner_ids.slice(i, i + IN_LIMIT).map((owner, j) => {
      const name = `:scope${i + j}`;
      values[name] = owner;
      return name;
    });
    groups.push(`owner_id IN (${names.join(', ')})`);
  }
  // An empty scope sees nothing: a condition no item meets.
  if (groups.length === 0) return { condition: 'attribute_not_exists(pk)', values };
  return { condition: groups.length === 1 ? groups[0]! : `(${groups.join(' OR ')})`, values };
}

/** The item exists and, when a scope is given, the caller may see it. */
const visible = (current: { owner_id?: unknown } | undefined, scope: Scope | undefined): boolean =>
  current !== undefined && (!scope || inScope(scope, String(current.owner_id)));

/**
 * A lead, contact or deal exists and lies in `scope` (the caller's: a deal's contact, an
 * associated contact). Missing and invisible fail alike: 422 unknown_reference "no <type> <id>".
 */
export function recordExistsCheck(type: RelatedRecordType, id: string, field: string, scope?: Scope): WriteOp {
  const owned = ownerInScope(scope);
  return {
    type: 'check',
    key: recordKey(type, id),
    condition: owned ? `attribute_exists(pk) AND ${owned.condition}` : 'attribute_exists(pk)',
    ...(owned ? { values: owned.values } : {}),
    onConflict: () => ValidationError.field(field, `no ${type} ${id}`, { fieldCode: 'unknown_reference' }),
  };
}

/**
 * A contact exists, is an organisation and lies in `scope` (a person's organisation, a deal's).
 * Missing and invisible fail alike (422 unknown_reference "no organisation contact <id>"); a
 * visible person is named as one (422 invalid).
 */
export function organizationCheck(id: string, field: string, scope?: Scope): WriteOp {
  const owned = ownerInScope(scope);
  return {
    type: 'check',
    key: recordKey('contact', id),
    condition: owned ? `is_organization = :org AND ${owned.condition}` : 'is_organization = :org',
    values: { ':org': true, ...owned?.values },
    onConflict: (current) =>
      visible(current, scope)
        ? ValidationError.field(field, `contact ${id} is a person, not an organisation`, { fieldCode: 'invalid' })
        : ValidationError.field(field, `no organisation contact ${id}`, { fieldCode: 'unknown_reference' }),
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
