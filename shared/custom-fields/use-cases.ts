import {
  defaultFilterable,
  definitionProblems,
  isListType,
  removedChoices,
  type CreateCustomFieldInput,
  type CustomFieldDefinition,
  type CustomFieldResource,
  type UpdateCustomFieldInput,
  presentCustomFields,
  validateCustomFieldInput,
  type CustomFieldValue,
  type StoredCustomFields,
} from './domain.ts';
import { ConflictError, NotFoundError, ValidationError } from '#shared/kernel/errors.ts';
import { changedFields, domainEvent } from '#shared/kernel/events.ts';
import type { CatalogVersions, CustomFieldReader, CustomFieldRepository } from './ports.ts';
import { systemClock, type Call, type Clock, type Page, type PageQuery } from '#shared/kernel/ports.ts';
import { checkIfMatch } from '#shared/kernel/versioned-update.ts';

// Custom field definitions (F6.1): everyone reads them, admins change them (the route
// contracts enforce the role). Record modules read definitions through CustomFieldCatalog.

/**
 * How long a container trusts its copy of the definitions without checking it: the bound for
 * callers that never call CustomFieldCatalog.refresh (HTTP functions refresh on every request).
 */
export const CUSTOM_FIELD_CACHE_TTL_MS = 30_000;

interface CatalogEntry {
  /** When the copy was loaded, or last found current by refresh. */
  checkedAt: number;
  /** The catalog version the copy is at least as new as (the last refresh's), if known. */
  version: number | undefined;
  definitions: Promise<readonly CustomFieldDefinition[]>;
}

/**
 * The definitions of each resource type, cached per container: record reads and writes need
 * them on every call. Concurrent callers share one load; changes made through this container's
 * use cases invalidate at once. Changes made through another function (another container) are
 * seen through `refresh`, which the HTTP functions call at the start of every request, beside
 * the read of the caller's user record (so it adds a request but no round trip): one read of
 * the catalog's versions, which every definition write moves in its transaction; a copy whose
 * version differs is dropped and loaded again (one Query). A caller that never refreshes sees
 * another container's change within CUSTOM_FIELD_CACHE_TTL_MS, and at once for a call that
 * names a field its copy does not know (that call reloads once).
 */
export class CustomFieldCatalog {
  readonly #reader: CustomFieldReader;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #entries = new Map<CustomFieldResource, CatalogEntry>();
  /** The versions the last refresh read: what a copy loaded after it is at least as new as. */
  #observed: CatalogVersions | undefined;
  /** Whether this container reads definitions at all (else refresh costs nothing). */
  #inUse = false;

  constructor(reader: CustomFieldReader, options: { clock?: Clock; ttlMs?: number } = {}) {
    this.#reader = reader;
    this.#clock = options.clock ?? systemClock;
    this.#ttlMs = options.ttlMs ?? CUSTOM_FIELD_CACHE_TTL_MS;
  }

  /**
   * Checks the cached copies against the catalog's versions (one strongly consistent read):
   * a copy that is behind, or whose version is unknown, is dropped; a current one is trusted
   * anew. Does nothing (no request) until this container has read definitions. Never throws:
   * when the read fails every copy is dropped, and the next definitions() loads afresh.
   */
  async refresh(): Promise<void> {
    if (!this.#inUse) return;
    const now = this.#clock.now().getTime();
    let versions: CatalogVersions;
    try {
      versions = await this.#reader.catalogVersions();
    } catch {
      this.#observed = undefined;
      this.#entries.clear();
      return;
    }
    this.#observed = versions;
    for (const [resourceType, entry] of this.#entries) {
      if (entry.version === versions[resourceType]) entry.checkedAt = now;
      else this.#entries.delete(resourceType);
    }
  }

  /**
   * Oldest first. The array is the caller's own; the definitions in it are shared and frozen.
   * `naming`: the field names the call uses (a write's custom_fields keys, a list's filters);
   * one the cached copy lacks makes this call read the definitions again, once.
   */
  async definitions(resourceType: CustomFieldResource, naming: Iterable<string> = []): Promise<CustomFieldDefinition[]> {
    this.#inUse = true;
    const cached = this.#entries.get(resourceType);
    const definitions = await this.#load(resourceType);
    const known = new Set(definitions.map((d) => d.name.trim().toLowerCase()));
    const unknown = [...naming].some((name) => !known.has(name.trim().toLowerCase()));
    if (!unknown || cached === undefined || this.#entries.get(resourceType) !== cached) return [...definitions];
    return [...(await this.#load(resourceType, true))];
  }

  #load(resourceType: CustomFieldResource, fresh = false): Promise<readonly CustomFieldDefinition[]> {
    const now = this.#clock.now().getTime();
    const cached = this.#entries.get(resourceType);
    if (!fresh && cached && now - cached.checkedAt < this.#ttlMs) return cached.definitions;
    const definitions = this.#reader.listAll(resourceType).then((list) => Object.freeze(list.map(freeze)));
    const entry: CatalogEntry = { checkedAt: now, version: this.#observed?.[resourceType], definitions };
    this.#entries.set(resourceType, entry);
    // A failed load is not cached: the next call tries again.
    definitions.catch(() => {
      if (this.#entries.get(resourceType) === entry) this.#entries.delete(resourceType);
    });
    return definitions;
  }

  /** Forgets one resource type's definitions (or all): the next read loads them again. */
  invalidate(resourceType?: CustomFieldResource): void {
    if (resourceType) this.#entries.delete(resourceType);
    else this.#entries.clear();
  }
}

function freeze(definition: CustomFieldDefinition): CustomFieldDefinition {
  const choices = definition.choices ? (Object.freeze([...definition.choices]) as string[]) : null;
  return Object.freeze({ ...definition, choices });
}

export interface CustomFieldsDeps {
  customFields: CustomFieldRepository;
  /** Invalidated after every change, so that this container's record writes see it at once. */
  catalog: Pick<CustomFieldCatalog, 'invalidate'>;
}

const resourceOf = (definition: CustomFieldDefinition) => ({ resource_type: 'custom_field', resource_id: definition.id });

export async function getCustomField(
  deps: Pick<CustomFieldsDeps, 'customFields'>,
  resourceType: CustomFieldResource,
  id: string,
): Promise<CustomFieldDefinition> {
  const definition = await deps.customFields.get(id);
  // A lead's field asked for under /custom_fields/deals is not found there.
  if (!definition || definition.resource_type !== resourceType) throw new NotFoundError('custom field', id);
  return definition;
}

export function listCustomFields(
  deps: Pick<CustomFieldsDeps, 'customFields'>,
  resourceType: CustomFieldResource,
  query: PageQuery,
): Promise<Page<CustomFieldDefinition>> {
  return deps.customFields.list(resourceType, query);
}

export async function createCustomField(
  deps: CustomFieldsDeps,
  call: Call,
  resourceType: CustomFieldResource,
  input: CreateCustomFieldInput,
): Promise<CustomFieldDefinition> {
  const now = call.events.now.toISOString();
  const definition: CustomFieldDefinition = {
    id: call.events.newId(),
    resource_type: resourceType,
    name: input.name,
    type: input.type,
    choices: input.choices ?? null,
    filterable: input.filterable ?? defaultFilterable(input.type),
    value_count: 0,
    created_at: now,
    updated_at: now,
    version: 1,
  };
  const problems = definitionProblems(definition);
  if (problems.length > 0) throw new ValidationError(problems);
  // A taken name fails the write itself (a uniqueness item in the same transaction).
  await deps.customFields.create(definition, [
    domainEvent(call.events, 'custom_field.created', resourceOf(definition), definition),
  ]);
  deps.catalog.invalidate(resourceType);
  return definition;
}

/**
 * Renaming keeps every value (records store them by id). Changing the type, or removing a
 * choice, is refused while any record holds a value: a record's value cannot be found
 * without reading every record, so the honest rule is "only while unused" (clear the
 * values first, or add a new field). Adding and reordering choices is always allowed.
 */
export async function updateCustomField(
  deps: CustomFieldsDeps,
  call: Call,
  resourceType: CustomFieldResource,
  id: string,
  patch: UpdateCustomFieldInput,
  ifMatch?: number,
): Promise<CustomFieldDefinition> {
  const before = await getCustomField(deps, resourceType, id);
  await checkIfMatch('custom field', id, before, ifMatch);
  const after: CustomFieldDefinition = { ...before };
  if (patch.name !== undefined) after.name = patch.name;
  if (patch.type !== undefined) after.type = patch.type;
  if (patch.filterable !== undefined) after.filterable = patch.filterable;
  if (patch.choices !== undefined) after.choices = patch.choices;
  // A field that stops being a list drops its choices unless the request names them.
  else if (!isListType(after.type)) after.choices = null;
  if (patch.type === 'address' && patch.filterable === undefined) after.filterable = false;
  const problems = definitionProblems(after);
  if (problems.length > 0) throw new ValidationError(problems);

  const typeChanged = after.type !== before.type;
  const removed = typeChanged ? [] : removedChoices(before.choices, after.choices);
  if (typeChanged && before.value_count > 0) {
    throw new ConflictError(
      `${before.name} holds values in ${before.value_count} record(s): its type cannot change from ${before.type} to ${after.type}; clear them first or add a new field`,
      { code: 'custom_field.has_values' },
    );
  }
  if (removed.length > 0 && before.value_count > 0) {
    throw new ConflictError(
      `${before.name} holds values in ${before.value_count} record(s): choices cannot be removed (${removed.map((c) => JSON.stringify(c)).join(', ')}); clear them first, or add choices instead`,
      { code: 'custom_field.has_values' },
    );
  }

  const previous = changedFields(before, after);
  if (Object.keys(previous).length === 0) return before;
  const saved: CustomFieldDefinition = { ...after, updated_at: call.events.now.toISOString(), version: before.version + 1 };
  await deps.customFields.update({ before, after: saved, requireNoValues: typeChanged || removed.length > 0 }, [
    domainEvent(call.events, 'custom_field.updated', resourceOf(saved), saved, { previous }),
  ]);
  deps.catalog.invalidate(resourceType);
  return saved;
}

/** The definition goes; records keep their values under its id, and reads skip them. */
export async function deleteCustomField(
  deps: CustomFieldsDeps,
  call: Call,
  resourceType: CustomFieldResource,
  id: string,
  ifMatch?: number,
): Promise<void> {
  const definition = await getCustomField(deps, resourceType, id);
  await checkIfMatch('custom field', id, definition, ifMatch);
  await deps.customFields.delete(definition, ifMatch, [
    domainEvent(call.events, 'custom_field.deleted', resourceOf(definition), definition),
  ]);
  deps.catalog.invalidate(resourceType);
}

// --- what record families (leads, contacts, deals) share about custom field values (F6.2) ---

/** The field names a write's custom_fields object uses (its keys), for CustomFieldCatalog.definitions. */
export const fieldNamesOf = (customFields: unknown): string[] =>
  customFields && typeof customFields === 'object' ? Object.keys(customFields) : [];

/** The field names a list's query filters on (`custom_fields[<name>]=...`), for CustomFieldCatalog.definitions. */
export const filteredFieldNames = (query: Record<string, unknown>): string[] =>
  Object.keys(query).flatMap((key) => /^custom_fields\[(.+)\]$/.exec(key)?.[1] ?? []);

/** A record as the API shows it: its custom field values keyed by field name, deleted fields hidden. */
export function withCustomFieldNames<T extends { custom_fields: StoredCustomFields }>(
  definitions: readonly CustomFieldDefinition[],
  record: T,
): Omit<T, 'custom_fields'> & { custom_fields: Record<string, CustomFieldValue> } {
  return { ...record, custom_fields: presentCustomFields(definitions, record.custom_fields) };
}

/**
 * A write's custom field values (by name in `input`) merged onto `before` and stored by field id.
 * Throws ValidationError with one entry per bad field, named `body.custom_fields.<name>`.
 */
export function storedCustomFields(
  definitions: readonly CustomFieldDefinition[],
  input: unknown,
  before: StoredCustomFields,
): StoredCustomFields {
  const { stored, problems } = validateCustomFieldInput(definitions, input, before, 'body.custom_fields');
  if (problems.length > 0) throw new ValidationError(problems);
  return stored;
}
