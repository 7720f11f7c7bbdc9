import type { CatalogVersions, CustomFieldRepository, CustomFieldUpdate } from '#shared/custom-fields/ports.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import type { CustomFieldDefinition, CustomFieldResource } from '#shared/custom-fields/domain.ts';
import { ConflictError, NotFoundError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { copy, customFieldNameKey as nameKey, InMemoryStore, paginate } from '#test/helpers/in-memory-store.ts';

// In-memory fake of the custom field repository, on the shared store. Each write checks what
// the DynamoDB adapter checks inside its transaction (shared/custom-fields/dynamodb.ts),
// inside store.transact, so a refused write leaves the store as it was. value_count moves
// with the record writes of the other fakes (store.moveValueCounts), as in the table.

export class InMemoryCustomFieldRepository implements CustomFieldRepository {
  readonly store: InMemoryStore;
  readonly events: DomainEvent[] = [];
  /** Calls of listAll, per resource type (what a cache should save). */
  readonly listAllCalls: CustomFieldResource[] = [];
  /** The catalog's versions, moved by every write (and by seed, a change made elsewhere). */
  readonly versions: Record<CustomFieldResource, number> = { lead: 0, contact: 0, deal: 0 };
  /** How many times catalogVersions was read. */
  versionReads = 0;
  constructor(store = new InMemoryStore()) {
    this.store = store;
  }

  /** Live definitions and tombstones (deleted: true), by id. */
  get fields(): Map<string, { definition: CustomFieldDefinition; deleted: boolean }> {
    return this.store.customFields;
  }

  /** Uniqueness items: "<resource>#<lower-case name>" → field id. */
  get names(): Map<string, string> {
    return this.store.customFieldNames;
  }

  /** Puts definitions as given, bypassing every rule (test set-up). */
  seed(...definitions: CustomFieldDefinition[]): this {
    this.store.seed({ customFields: definitions });
    for (const d of definitions) this.versions[d.resource_type] += 1;
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

  async list(resourceType: CustomFieldResource, query: PageQuery): Promise<Page<CustomFieldDefinition>> {
    return paginate(this.store.liveCustomFields(resourceType), query);
  }

  async listAll(resourceType: CustomFieldResource): Promise<CustomFieldDefinition[]> {
    this.listAllCalls.push(resourceType);
    return this.store.liveCustomFields(resourceType);
  }

  async catalogVersions(): Promise<CatalogVersions> {
    this.versionReads += 1;
    return { ...this.versions };
  }

  async create(definition: CustomFieldDefinition, events: DomainEvent[]): Promise<void> {
    this.store.transact(() => {
      if (this.fields.has(definition.id)) throw new ConflictError(`custom field ${definition.id} already exists`);
      if (this.names.has(nameKey(definition))) {
        throw new ConflictError(
          `A ${definition.resource_type} custom field named "${definition.name}" already exists (names ignore case)`,
        );
      }
      this.fields.set(definition.id, { definition: copy(definition), deleted: false });
      this.names.set(nameKey(definition), definition.id);
    });
    this.versions[definition.resource_type] += 1;
    this.events.push(...copy(events));
  }

  async update(change: CustomFieldUpdate, events: DomainEvent[]): Promise<void> {
    const { before, after } = change;
    this.store.transact(() => {
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
    });
    this.versions[before.resource_type] += 1;
    this.events.push(...copy(events));
  }

  async delete(definition: CustomFieldDefinition, expectedVersion: number | undefined, events: DomainEvent[]): Promise<void> {
    this.store.transact(() => {
      const entry = this.fields.get(definition.id);
      if (!entry || entry.deleted) throw new NotFoundError('custom field', definition.id);
      if (expectedVersion !== undefined && entry.definition.version !== expectedVersion) {
        throw new VersionMismatchError('custom field', definition.id, copy(entry.definition));
      }
      entry.deleted = true;
      this.names.delete(nameKey(entry.definition));
    });
    this.versions[definition.resource_type] += 1;
    this.events.push(...copy(events));
  }
}

/**
 * The custom field catalog on the store (what the record use cases read): the live
 * definitions of a resource type, uncached.
 */
export function catalogOf(store: InMemoryStore): {
  definitions(resource: CustomFieldResource): Promise<CustomFieldDefinition[]>;
} {
  return { definitions: async (resource) => store.liveCustomFields(resource) };
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
