import { ConflictError, DomainError, ValidationError } from '#shared/kernel/errors.ts';
import { newId } from '#shared/kernel/ids.ts';
import type { RelatedRecordType } from '#shared/kernel/related-records.ts';
import { inScope, type Scope } from '#shared/kernel/visibility.ts';
import { recordKey, userKey } from './keys.ts';
import { domainEvent, type DomainEvent, type EventContext } from '#shared/kernel/events.ts';
import { fromItem, type Item, type ItemKeys, type Key, type Table, type WriteOp } from './table.ts';

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

// --- what a delete does to the records pointing at the deleted one ---------------------------

/** DynamoDB's limit on the writes of one transaction (events are writes too: outbox items). */
const TRANSACTION_LIMIT = 100;

/**
 * What deleting a record does to ONE record that points at it (clears the reference, removes a
 * link, deletes a note): its writes, conditional on what was read, and the event saying so.
 * `key` names it, so that a record is handled once however often it is read.
 */
export interface Detachment {
  key: string;
  ops: WriteOp[];
  event: DomainEvent;
}

/**
 * The context of a delete's own events, for the events of what it cascades to: the same actor,
 * correlation and time (now, without events).
 */
export function cascadeContext(events: readonly DomainEvent[]): EventContext {
  const first = events[0]?.metadata;
  return {
    actor_id: first?.actor_id ?? 'system',
    correlation_id: first?.correlation_id ?? newId(),
    now: first ? new Date(first.occurred_at) : new Date(),
    newId: () => newId(),
    ...(first?.caused_by ? { caused_by: first.caused_by } : {}),
  };
}

/** How many pointing records one `gather` reads at most (DeleteCascade reads again for more). */
export const GATHER_MAX = 500;

/** The same as a write: ops and events. */
const sizeOf = (ds: readonly Detachment[]) => ds.reduce((n, d) => n + d.ops.length + 1, 0);

/**
 * A delete's cascade (README "What deleting a record does to what points at it"). `gather`
 * reads what points at the record now (indexes, the record's own partition), up to a bound per
 * call. Before the delete, `fitting(room)` writes what does not fit beside the delete's own
 * writes in transactions of their own (the record still exists then, so an interrupted delete
 * is simply repeated) and answers the rest, for the delete's transaction. After it, `sweep()`
 * handles what a concurrent write linked between the read and the delete (it read the record
 * as existing); a write after the delete fails its reference check instead.
 */
export class DeleteCascade {
  readonly #table: Table;
  readonly #gather: () => Promise<Detachment[]>;
  readonly #handled = new Set<string>();

  constructor(table: Table, gather: () => Promise<Detachment[]>) {
    this.#table = table;
    this.#gather = gather;
  }

  /** Writes detachments until the rest fit in `room` writes; answers that rest (ops and events). */
  async fitting(room: number): Promise<{ ops: WriteOp[]; events: DomainEvent[] }> {
    room = Math.max(0, room);
    for (;;) {
      const found = await this.#fresh();
      if (sizeOf(found) <= room) return { ops: found.flatMap((d) => d.ops), events: found.map((d) => d.event) };
      await this.#writeAll(found);
    }
  }

  /**
   * After the delete: detaches what still points at the record (nothing, unless a write raced
   * it). A record changed meanwhile (its write conflicts) is read again, up to three rounds: the
   * delete has landed, so its caller should not see a conflict it cannot resolve by retrying.
   */
  async sweep(): Promise<void> {
    for (let round = 1; ; round++) {
      const found = await this.#fresh();
      if (found.length === 0) return;
      try {
        await this.#writeAll(found);
      } catch (error) {
        if (round >= 3 || !(error instanceof DomainError)) throw error;
        for (const d of found) this.#handled.delete(d.key);
      }
    }
  }

  async #fresh(): Promise<Detachment[]> {
    const found = (await this.#gather()).filter((d) => !this.#handled.has(d.key));
    for (const d of found) this.#handled.add(d.key);
    return found;
  }

  async #writeAll(detachments: readonly Detachment[]): Promise<void> {
    let chunk: Detachment[] = [];
    for (const d of detachments) {
      if (sizeOf(chunk) + d.ops.length + 1 > TRANSACTION_LIMIT) {
        await this.#write(chunk);
        chunk = [];
      }
      chunk.push(d);
    }
    if (chunk.length > 0) await this.#write(chunk);
  }

  #write(chunk: readonly Detachment[]): Promise<void> {
    return this.#table.write(
      chunk.flatMap((d) => d.ops),
      chunk.map((d) => d.event),
    );
  }
}

/**
 * An item in the partition of record `targetPk` saying that another record points at it
 * through `field`, where no index finds that record by the reference (a converted lead's
 * converted_contact_id): what backReferenceDetachments reads when the target is deleted.
 */
export function backReferenceItem(
  targetPk: string,
  targetId: string,
  from: { resource_type: string; resource_id: string; key: Key },
  field: string,
): Item & ItemKeys {
  return {
    pk: targetPk,
    sk: `referrer#${from.resource_type}#${from.resource_id}#${field}`,
    kind: 'back_reference',
    target_id: targetId,
    resource_type: from.resource_type,
    resource_id: from.resource_id,
    ref_pk: from.key.pk,
    ref_sk: from.key.sk,
    field,
  };
}

/**
 * Clears the references that the back-reference items among `children` (the deleted record's
 * partition) name: each versioned record gets the field null, a new version and updated_at,
 * and a `<resource_type>.updated` event with the field's previous value.
 */
export async function backReferenceDetachments(
  table: Table,
  children: readonly Item[],
  ctx: EventContext,
): Promise<Detachment[]> {
  const byRecord = new Map<string, Item[]>();
  for (const item of children.filter((i) => i.kind === 'back_reference')) {
    const id = `${String(item.ref_pk)}|${String(item.ref_sk)}`;
    byRecord.set(id, [...(byRecord.get(id) ?? []), item]);
  }
  if (byRecord.size === 0) return [];
  const refs = [...byRecord.values()];
  const current = new Map(
    (await table.getMany(refs.map(([r]) => ({ pk: String(r!.ref_pk), sk: String(r!.ref_sk) })))).map((i) => [
      `${String(i.pk)}|${String(i.sk)}`,
      i,
    ]),
  );
  return refs.flatMap((group) => {
    const first = group[0]!;
    const item = current.get(`${String(first.ref_pk)}|${String(first.ref_sk)}`);
    const fields = group.filter((r) => item?.[String(r.field)] === r.target_id);
    if (!item || fields.length === 0) return [];
    const before = fromItem<Record<string, unknown> & { version: number }>(item);
    const now = ctx.now.toISOString();
    const previous: Record<string, unknown> = {};
    const after: Record<string, unknown> = { ...before, updated_at: now, version: before.version + 1 };
    const names: Record<string, string> = {};
    const sets = fields.map((r, i) => {
      previous[String(r.field)] = r.target_id;
      after[String(r.field)] = null;
      names[`#f${i}`] = String(r.field);
      return `#f${i} = :null`;
    });
    const op: WriteOp = {
      type: 'update',
      key: { pk: String(first.ref_pk), sk: String(first.ref_sk) },
      update: `SET ${sets.join(', ')}, updated_at = :now, version = :next`,
      condition: 'version = :v',
      names,
      values: { ':null': null, ':now': now, ':next': before.version + 1, ':v': before.version },
      onConflict: () =>
        new ConflictError(`${String(first.resource_type)} ${String(first.resource_id)} changed meanwhile; try again`, {
          code: 'concurrent_change',
        }),
    };
    const resource = { resource_type: String(first.resource_type), resource_id: String(first.resource_id) };
    return [
      {
        key: `${resource.resource_type}#${resource.resource_id}`,
        ops: [op],
        event: domainEvent(ctx, `${resource.resource_type}.updated`, resource, after, { previous }),
      },
    ];
  });
}
