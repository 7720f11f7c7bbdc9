import type { CustomFieldRepository, CustomFieldUpdate } from '#shared/custom-fields/ports.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import type { CustomFieldDefinition, CustomFieldResource } from '#shared/custom-fields/domain.ts';
import { ConflictError, NotFoundError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';

// In-memory fake of the custom field repository. Each write checks what the DynamoDB adapter
// checks inside its transaction (shared/custom-fields/dynamodb.ts) before
// it changes anything, so a refused write leaves the store as it was. Records go in and out
// as copies.

const copy = <T>(value: T): T => structuredClone(value);
const nameKey = (d: Pick<CustomFieldDefinition, 'resource_type' | 'name'>) => `${d.resource_type}#${d.name.trim().toLowerCase()}`;

export class InMemoryCustomFieldRepository implements CustomFieldRepository {
  /** Live definitions and tombstones (deleted: true), by id. */
  readonly fields = new Map<string, { definition: CustomFieldDefinition; deleted: boolean }>();
  /** Uniqueness items: "<resource>#<lower-case name>" → field id. */
  readonly names = new Map<string, string>();
  readonly events: DomainEvent[] = [];
  /** Calls of listAll, per resource type (what a cache should save). */
  readonly listAllCalls: CustomFieldResource[] = [];

  /** Puts definitions as given, bypassing every rule (test set-up). */
  seed(...definitions: CustomFieldDefinition[]): this {
    for (const d of definitions) {
      this.fields.set(d.id, { definition: copy(d), deleted: false });
      this.names.set(nameKey(d), d.id);
    }
    return this;
  }

  /** What a record write's customFieldCountOps does: moves value_count (tombstones too). */
  addValueCounts(changes: Record<string, number>): void {
    for (const [id, delta] of Object.entries(changes)) this.fields.get(id)!.definition.value_count += delta;
  }

  async get(id: string): Promise<CustomFieldDefinition | undefined> {
    const entry = this.fields.get(id);
    return entry && !entry.deleted ? copy(entry.definition) : undefined;
  }

  #live(resourceType: CustomFieldResource): CustomFieldDefinition[] {
    return [...this.fields.values()]
      .filter((e) => !e.deleted && e.definition.resource_type === resourceType)
      .map((e) => e.definition)
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async list(resourceType: CustomFieldResource, query: PageQuery): Promise<Page<CustomFieldDefinition>> {
    const all = this.#live(resourceType);
    const start = query.cursor ? all.findIndex((d) => d.id > query.cursor!) : 0;
    const items = start < 0 ? [] : all.slice(start, start + query.limit);
    const last = items.at(-1);
    const more = last !== undefined && all.indexOf(last) < all.length - 1;
    return { items: items.map(copy), next_cursor: more ? last.id : null };
  }

  async listAll(resourceType: CustomFieldResource): Promise<CustomFieldDefinition[]> {
    this.listAllCalls.push(resourceType);
    return this.#live(resourceType).map(copy);
  }

  async create(definition: CustomFieldDefinition, events: DomainEvent[]): Promise<void> {
    if (this.fields.has(definition.id)) throw new ConflictError(`custom field ${definition.id} already exists`);
    if (this.names.has(nameKey(definition))) {
      throw new ConflictError(
        `A ${definition.resource_type} custom field named "${definition.name}" already exists (names ignore case)`,
      );
    }
    this.fields.set(definition.id, { definition: copy(definition), deleted: false });
    this.names.set(nameKey(definition), definition.id);
    this.events.push(...copy(events));
  }

  async update(change: CustomFieldUpdate, events: DomainEvent[]): Promise<void> {
    const { before, after } = change;
    const entry = this.fields.get(before.id);
    if (!entry || entry.deleted) throw new NotFoundError('custom field', before.id);
    const current = entry.definition;
    if (current.version !== before.version) throw new VersionMismatchError('custom field', before.id, copy(current));
    if (change.requireNoValues && current.value_count !== 0) {
      throw new ConflictError(`${before.name} holds values in ${current.value_count} record(s) now; clear them first`);
    }
    const renamed = nameKey(before) !== nameKey(after);
    if (renamed && this.names.has(nameKey(after))) {
      throw new ConflictError(`A ${after.resource_type} custom field named "${after.name}" already exists (names ignore case)`);
    }
    // value_count moves with record writes: the update never overwrites it.
    Object.assign(current, {
      name: after.name,
      type: after.type,
      choices: copy(after.choices),
      filterable: after.filterable,
      updated_at: after.updated_at,
      version: after.version,
    });
    if (renamed) {
      this.names.delete(nameKey(before));
      this.names.set(nameKey(after), after.id);
    }
    this.events.push(...copy(events));
  }

  async delete(definition: CustomFieldDefinition, expectedVersion: number | undefined, events: DomainEvent[]): Promise<void> {
    const entry = this.fields.get(definition.id);
    if (!entry || entry.deleted) throw new NotFoundError('custom field', definition.id);
    if (expectedVersion !== undefined && entry.definition.version !== expectedVersion) {
      throw new VersionMismatchError('custom field', definition.id, copy(entry.definition));
    }
    entry.deleted = true;
    this.names.delete(nameKey(entry.definition));
    this.events.push(...copy(events));
  }
}

/** A catalog stand-in that records invalidations (for use case tests). */
export class RecordingInvalidator {
  readonly invalidated: (CustomFieldResource | undefined)[] = [];
  invalidate(resourceType?: CustomFieldResource): void {
    this.invalidated.push(resourceType);
  }
}

// ---- Builders ----

export function makeCustomField(id: string, overrides: Partial<CustomFieldDefinition> = {}): CustomFieldDefinition {
  const type = overrides.type ?? 'string';
  return {
    id,
    resource_type: 'deal',
    name: `Field ${id.slice(-4)}`,
    type,
    choices: type === 'list' || type === 'multi_select_list' ? ['Red', 'Green', 'Blue'] : null,
    filterable: type !== 'address',
    value_count: 0,
    created_at: '2031-01-01T00:00:00.000Z',
    updated_at: '2031-01-01T00:00:00.000Z',
    version: 1,
    ...overrides,
  };
}
