import type { SortPosition } from '#shared/kernel/sorted-lists.ts';
import type { Account } from '#shared/identity/account.ts';
import type { Team, User } from '#shared/identity/domain.ts';
import type { CustomFieldDefinition, CustomFieldFilter, CustomFieldResource } from '#shared/custom-fields/domain.ts';
import type { Contact } from '#shared/contacts/domain.ts';
import type { AssociatedContact, Deal, StageChange } from '#shared/deals/domain.ts';
import { ConflictError, NotFoundError, ValidationError } from '#shared/kernel/errors.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import { recordRefKey, type RecordRef, type RelatedRecordType } from '#shared/kernel/related-records.ts';
import type { RecordOwners } from '#shared/kernel/record-owners.ts';
import type { Lead } from '#shared/leads/domain.ts';
import type { Note } from '#shared/notes/domain.ts';
import { inPipelineOrder, type Pipeline, type Stage } from '#shared/pipelines/domain.ts';
import { NAMED_LIST_LABELS, type NamedEntry, type NamedListKind } from '#shared/pipelines/reasons.ts';
import type { Task } from '#shared/tasks/domain.ts';

// ONE in-memory table for every family's fakes, as the real adapters share one DynamoDB table:
// a deal write can check its contact, a note its record's owner, a lead its source. Fakes
// write inside `transact`, which undoes everything when the write throws, so a refused write
// leaves the store as it was (DynamoDB's transactions). The `require*` checks are the
// conditions the adapters put in their transactions, with the same errors. Records go in and
// out as copies: a use case holding a read keeps a stale `before`, exactly as with the table.

export const copy = <T>(value: T): T => structuredClone(value);

/** Strings in code point order, as DynamoDB orders sort keys (localeCompare does not). */
export const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One page of `all`, in `order` of `key` (the id by default; ids sort by creation). The cursor
 * is the key of the last item returned; the next page starts after it, even if that item went.
 */
export function paginate<T extends { id: string }>(
  all: readonly T[],
  query: PageQuery,
  options: { order?: 'asc' | 'desc'; key?: (item: T) => string } = {},
): Page<T> {
  const key = options.key ?? ((item: T) => item.id);
  const desc = options.order === 'desc';
  const sorted = [...all].sort((a, b) => (desc ? byCodePoint(key(b), key(a)) : byCodePoint(key(a), key(b))));
  const after = query.cursor;
  const start = after === undefined ? 0 : sorted.findIndex((x) => (desc ? key(x) < after : key(x) > after));
  const items = start < 0 ? [] : sorted.slice(start, start + query.limit);
  const more = start >= 0 && start + query.limit < sorted.length;
  return { items: items.map(copy), next_cursor: more ? key(items.at(-1)!) : null };
}

/** Up to `max` records, saying whether there were more (the ports' `collect`). */
export function collected<T>(all: readonly T[], max: number): { items: T[]; truncated: boolean } {
  return { items: all.slice(0, max).map(copy), truncated: all.length > max };
}

/**
 * Keyset cursors bound to a list's shape, as Table.keysetCursor makes them: a cursor from
 * another query is refused (ValidationError naming query.cursor).
 */
export class KeysetCursors {
  async keysetCursor(shape: unknown, after: SortPosition): Promise<string> {
    return JSON.stringify({ shape, after });
  }
  async readKeysetCursor(shape: unknown, cursor: string | undefined): Promise<SortPosition | null> {
    if (!cursor) return null;
    const parsed = JSON.parse(cursor) as { shape: unknown; after: SortPosition };
    if (JSON.stringify(parsed.shape) !== JSON.stringify(shape)) throw ValidationError.field('query.cursor', 'not this list');
    return parsed.after;
  }
}

/** Whether a stored value passes a custom field filter (DynamoDB's `=` and `contains`). */
export function passesCustomFieldFilters(stored: Record<string, unknown>, filters: readonly CustomFieldFilter[] = []): boolean {
  return filters.every((f) => {
    const value = stored[f.fieldId];
    if (f.operator === 'eq') return value === f.value;
    if (Array.isArray(value)) return value.includes(f.value);
    return typeof value === 'string' && typeof f.value === 'string' && value.includes(f.value);
  });
}

/** A custom field definition, or its tombstone once deleted (records may still hold values). */
export interface CustomFieldEntry {
  definition: CustomFieldDefinition;
  deleted: boolean;
}

/** A deal's link to an associated contact, carrying the deal's owner (as the adapter's item). */
export type DealLink = AssociatedContact & { owner_id: string };

export interface StoreSeed {
  users?: User[];
  teams?: Team[];
  account?: Account;
  pipelines?: Pipeline[];
  stages?: Stage[];
  namedEntries?: Partial<Record<NamedListKind, NamedEntry[]>>;
  customFields?: CustomFieldDefinition[];
  leads?: Lead[];
  contacts?: Contact[];
  deals?: Deal[];
  notes?: Note[];
  tasks?: Task[];
}

interface Snapshot {
  maps: [unknown, unknown][][];
  account: Account | undefined;
}

const isActiveAdmin = (u: User) => u.role === 'admin' && u.status === 'active';

export class InMemoryStore {
  readonly users = new Map<string, User>();
  readonly teams = new Map<string, Team>();
  account: Account | undefined;
  readonly pipelines = new Map<string, Pipeline>();
  readonly stages = new Map<string, Stage>();
  readonly namedLists = new Map<NamedListKind, Map<string, NamedEntry>>();
  /** Live definitions and tombstones, by id. */
  readonly customFields = new Map<string, CustomFieldEntry>();
  /** Uniqueness of custom field names: "<resource>#<lower-case name>" -> field id. */
  readonly customFieldNames = new Map<string, string>();
  readonly leads = new Map<string, Lead>();
  readonly contacts = new Map<string, Contact>();
  readonly deals = new Map<string, Deal>();
  /** Each deal's stays in stages, by deal id, oldest first. */
  readonly stageChanges = new Map<string, StageChange[]>();
  /** Each deal's associated contacts, by deal id, then contact id. */
  readonly dealLinks = new Map<string, Map<string, DealLink>>();
  readonly notes = new Map<string, Note>();
  readonly tasks = new Map<string, Task>();
  #depth = 0;

  /**
   * Puts records as given, bypassing every rule (test set-up). A deal comes with what its
   * creation writes beside it: its open stay, and one more in its stage's deal_count when the
   * stage is in the store already.
   */
  seed(seed: StoreSeed): this {
    for (const user of seed.users ?? []) this.users.set(user.id, copy(user));
    for (const team of seed.teams ?? []) this.teams.set(team.id, copy(team));
    if (seed.account) this.account = copy(seed.account);
    for (const pipeline of seed.pipelines ?? []) this.pipelines.set(pipeline.id, copy(pipeline));
    for (const stage of seed.stages ?? []) this.stages.set(stage.id, copy(stage));
    for (const [kind, entries] of Object.entries(seed.namedEntries ?? {}) as [NamedListKind, NamedEntry[]][]) {
      for (const entry of entries) this.namedList(kind).set(entry.id, copy(entry));
    }
    for (const d of seed.customFields ?? []) {
      this.customFields.set(d.id, { definition: copy(d), deleted: false });
      this.customFieldNames.set(customFieldNameKey(d), d.id);
    }
    for (const lead of seed.leads ?? []) this.leads.set(lead.id, copy(lead));
    for (const contact of seed.contacts ?? []) this.contacts.set(contact.id, copy(contact));
    for (const deal of seed.deals ?? []) {
      this.deals.set(deal.id, copy(deal));
      this.openStay(deal, `${deal.id}-seed`);
      const stage = this.stages.get(deal.stage_id);
      if (stage) stage.deal_count += 1;
    }
    for (const note of seed.notes ?? []) this.notes.set(note.id, copy(note));
    for (const task of seed.tasks ?? []) this.tasks.set(task.id, copy(task));
    return this;
  }

  /**
   * Runs one write: everything it changed is undone when it throws, as when a DynamoDB
   * transaction is cancelled. Writes nest (lead conversion joins several families' writes).
   */
  transact<T>(write: () => T): T {
    if (this.#depth > 0) return write();
    const saved = this.#snapshot();
    this.#depth++;
    try {
      return write();
    } catch (error) {
      this.#restore(saved);
      throw error;
    } finally {
      this.#depth--;
    }
  }

  // ---- Reads (copies) ----

  user(id: string): User | undefined {
    const user = this.users.get(id);
    return user && copy(user);
  }

  team(id: string): Team | undefined {
    const team = this.teams.get(id);
    return team && copy(team);
  }

  activeAdminCount(): number {
    return [...this.users.values()].filter(isActiveAdmin).length;
  }

  pipeline(id: string): Pipeline | undefined {
    const pipeline = this.pipelines.get(id);
    return pipeline && copy(pipeline);
  }

  stage(id: string): Stage | undefined {
    const stage = this.stages.get(id);
    return stage && copy(stage);
  }

  /** A pipeline's stages (not deleted) in position order, as [name, position] pairs: easy to assert on. */
  order(pipelineId: string): [string, number][] {
    return inPipelineOrder(
      [...this.stages.values()].filter((s) => s.pipeline_id === pipelineId && s.deleted_at === undefined),
    ).map((s) => [s.name, s.position]);
  }

  /** A deal arriving in a stage (only what a deal write does to the stage item). */
  addDeals(stageId: string, n: number): void {
    this.stages.get(stageId)!.deal_count += n;
  }

  /** One named list (sources, loss reasons...), created empty on first use. */
  namedList(kind: NamedListKind): Map<string, NamedEntry> {
    let list = this.namedLists.get(kind);
    if (!list) this.namedLists.set(kind, (list = new Map()));
    return list;
  }

  /** Live custom field definitions of a resource type, by id. */
  liveCustomFields(resourceType: CustomFieldResource): CustomFieldDefinition[] {
    return [...this.customFields.values()]
      .filter((e) => !e.deleted && e.definition.resource_type === resourceType)
      .map((e) => copy(e.definition))
      .sort((a, b) => byCodePoint(a.id, b.id));
  }

  /** The owner of a lead, contact or deal; undefined when there is no such record. */
  ownerOf(ref: RecordRef): string | undefined {
    const records: Record<RelatedRecordType, Map<string, { owner_id: string }>> = {
      lead: this.leads,
      contact: this.contacts,
      deal: this.deals,
    };
    return records[ref.resource_type].get(ref.resource_id)?.owner_id;
  }

  /** A deal's associated contacts (created empty on first use). */
  linksOf(dealId: string): Map<string, DealLink> {
    let links = this.dealLinks.get(dealId);
    if (!links) this.dealLinks.set(dealId, (links = new Map()));
    return links;
  }

  /** Opens a deal's stay in its current stage (what a deal's creation or stage move writes). */
  openStay(deal: Deal, id: string): void {
    const stays = this.stageChanges.get(deal.id) ?? [];
    stays.push({
      id,
      deal_id: deal.id,
      pipeline_id: deal.pipeline_id,
      stage_id: deal.stage_id,
      entered_at: deal.last_stage_change_at,
      entered_by_id: deal.last_stage_change_by_id,
      left_at: null,
      left_by_id: null,
    });
    this.stageChanges.set(deal.id, stays);
  }

  // ---- The conditions the adapters put in their transactions ----

  /** activeUserCheck: the user exists and is active. */
  requireActiveUser(userId: string, field = 'body.owner_id'): void {
    if (this.users.get(userId)?.status !== 'active') throw ValidationError.field(field, `no active user ${userId}`);
  }

  /** namedEntryCheck: the entry exists in its list. */
  requireNamedEntry(kind: NamedListKind, id: string, field: string): void {
    if (this.namedList(kind).get(id)?.deleted_at !== undefined || !this.namedList(kind).has(id))
      throw ValidationError.field(field, `no ${NAMED_LIST_LABELS[kind]} ${id}`);
  }

  /** The contact exists (person or organisation). */
  requireContact(contactId: string, field: string): void {
    if (!this.contacts.has(contactId)) throw ValidationError.field(field, `no contact ${contactId}`);
  }

  /** The contact exists and is an organisation. */
  requireOrganization(contactId: string, field: string): void {
    const contact = this.contacts.get(contactId);
    if (contact?.is_organization !== true) {
      throw ValidationError.field(
        field,
        contact ? `contact ${contactId} is a person, not an organisation` : `no organisation contact ${contactId}`,
      );
    }
  }

  /**
   * customFieldCountOps: moves each field's value_count; a field gaining values must be live
   * (ValidationError naming body.custom_fields.<id> otherwise), one losing them must exist.
   */
  moveValueCounts(changes: Record<string, number>): void {
    for (const [id, delta] of Object.entries(changes)) {
      if (delta === 0) continue;
      const entry = this.customFields.get(id);
      if (!entry || (delta > 0 && entry.deleted)) {
        throw ValidationError.field(
          `body.custom_fields.${id}`,
          'this custom field was deleted; reload the custom fields and try again',
        );
      }
      entry.definition.value_count += delta;
    }
  }

  /**
   * recordOwnerCheck: the record still exists (NotFoundError naming it) and still has the
   * owner the caller was allowed to see (ConflictError).
   */
  requireRecordOwner(ref: RecordRef, ownerId: string): void {
    const owner = this.ownerOf(ref);
    if (owner === undefined) throw new NotFoundError(ref.resource_type, ref.resource_id);
    if (owner !== ownerId) {
      throw new ConflictError(`${ref.resource_type} ${ref.resource_id} changed owner meanwhile; try again`);
    }
  }

  #snapshot(): Snapshot {
    return { maps: this.#maps().map((m) => copy([...m])), account: copy(this.account) };
  }

  #restore(saved: Snapshot): void {
    this.#maps().forEach((map, i) => {
      map.clear();
      for (const [k, v] of saved.maps[i]!) map.set(k, v);
    });
    this.account = saved.account;
  }

  #maps(): Map<unknown, unknown>[] {
    return [
      this.users,
      this.teams,
      this.pipelines,
      this.stages,
      this.namedLists,
      this.customFields,
      this.customFieldNames,
      this.leads,
      this.contacts,
      this.deals,
      this.stageChanges,
      this.dealLinks,
      this.notes,
      this.tasks,
    ] as Map<unknown, unknown>[];
  }
}

/** "<resource>#<lower-case name>": custom field names are unique per resource, ignoring case. */
export const customFieldNameKey = (d: Pick<CustomFieldDefinition, 'resource_type' | 'name'>) =>
  `${d.resource_type}#${d.name.trim().toLowerCase()}`;

/** The RecordOwners port on the store; counts its reads (one per call, as the adapter's). */
export class InMemoryRecordOwners implements RecordOwners {
  readonly store: InMemoryStore;
  readonly reads: ('ownerOf' | 'ownersOf')[] = [];
  constructor(store: InMemoryStore) {
    this.store = store;
  }

  async ownerOf(resource_type: RelatedRecordType, resource_id: string): Promise<string | undefined> {
    this.reads.push('ownerOf');
    return this.store.ownerOf({ resource_type, resource_id });
  }

  async ownersOf(refs: readonly RecordRef[]): Promise<Map<string, string>> {
    this.reads.push('ownersOf');
    const owners = new Map<string, string>();
    for (const ref of refs) {
      const owner = this.store.ownerOf(ref);
      if (owner !== undefined) owners.set(recordRefKey(ref), owner);
    }
    return owners;
  }
}
