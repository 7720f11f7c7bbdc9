import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import type { CatalogVersions, CustomFieldReader, CustomFieldRepository, CustomFieldUpdate } from './ports.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import {
  CUSTOM_FIELD_RESOURCES,
  type CustomFieldDefinition,
  type CustomFieldFilter,
  type CustomFieldResource,
} from './domain.ts';
import { ConflictError, NotFoundError, ValidationError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { indexKeys, indexPartitions, tableKey, tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import { INDEX, indexAttributes } from '#shared/platform/dynamodb/table-spec.ts';
import { fromItem, type Item, type WriteOp } from '#shared/platform/dynamodb/table.ts';
import { recordPage, stale, VersionedRepository, type VersionedKind } from '#shared/platform/dynamodb/versioned.ts';

// Custom field definitions on the single table. One name per resource type (ignoring case)
// is a uniqueness item written in the same transaction as the definition. value_count is
// moved by the record writes (customFieldCountOps, inside their transactions), so definition
// writes set their own attributes and never overwrite it.
//
// A deleted definition stays as a tombstone (deleted_at set, out of the list index): records
// that still hold one of its values can then clear it, or be deleted, and decrement its count
// like any other, with no special case; new values for it are refused.

const KIND = 'custom_field';
/** Definitions read per query when loading them all (the catalog's cold read). */
const LOAD_PAGE = 100;

/** Definitions: "custom_field#<id>" / "custom_field". */
export const customFieldKey = tableKeys<[id: string]>(KIND, KIND);
/** One name per resource type, ignoring case: a claim item "custom_field_name#<resource>#<name>". */
const nameClaimKey = tableKeys<[resource: CustomFieldResource, name: string]>(`${KIND}_name`, 'unique');
const customFieldNameKey = (resource: CustomFieldResource, name: string) => nameClaimKey(resource, name.trim().toLowerCase());
/**
 * The catalog's versions: one item, a counter per resource type (CatalogVersions), moved by
 * every definition write in its transaction. Containers read it at the start of each request
 * (beside the caller's user record) to know whether their cached definitions still hold.
 */
const catalogKey = tableKey('custom_field_catalog', 'versions');
/** The family's items beside the definitions (customFieldKey). */
export const customFieldKeys = { nameClaim: nameClaimKey, catalog: catalogKey };

/** A definition write's companion in its transaction: the resource type's catalog version moves on. */
function catalogChange(resourceType: CustomFieldResource): WriteOp {
  return {
    type: 'update',
    key: catalogKey(),
    update: 'ADD #resource :one',
    names: { '#resource': resourceType },
    values: { ':one': 1 },
  };
}

/** The live definitions of one resource type (a deleted one leaves it). */
export const customFieldIndex = { byResource: indexPartitions<[resource: CustomFieldResource]>(INDEX.all, KIND) };

const isLive = (item: Item | undefined): item is Item => item !== undefined && item.deleted_at === undefined;
const definitionOf = (item: Item): CustomFieldDefinition => fromItem<CustomFieldDefinition>(item);
const CUSTOM_FIELD: VersionedKind<CustomFieldDefinition> = { name: 'custom field', key: customFieldKey, read: definitionOf };

export class DynamoCustomFieldRepository
  extends VersionedRepository<CustomFieldDefinition>
  implements CustomFieldRepository, CustomFieldReader
{
  protected readonly kind = CUSTOM_FIELD;

  /** Live definitions only: a deleted one is a tombstone. */
  override async get(id: string): Promise<CustomFieldDefinition | undefined> {
    const item = await this.table.get(customFieldKey(id));
    return isLive(item) ? definitionOf(item) : undefined;
  }

  list(resourceType: CustomFieldResource, query: PageQuery): Promise<Page<CustomFieldDefinition>> {
    return recordPage(this.table, customFieldIndex.byResource(resourceType), query, definitionOf);
  }

  async listAll(resourceType: CustomFieldResource): Promise<CustomFieldDefinition[]> {
    const all: CustomFieldDefinition[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.list(resourceType, { limit: LOAD_PAGE, cursor });
      all.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return all;
  }

  async catalogVersions(): Promise<CatalogVersions> {
    const item = await this.table.get(catalogKey(), { consistent: true });
    return Object.fromEntries(CUSTOM_FIELD_RESOURCES.map((r) => [r, Number(item?.[r] ?? 0)])) as Record<
      CustomFieldResource,
      number
    >;
  }

  async create(definition: CustomFieldDefinition, events: DomainEvent[]): Promise<void> {
    const keys = {
      ...customFieldKey(definition.id),
      ...indexKeys(definition.id, customFieldIndex.byResource(definition.resource_type)),
    };
    await this.table.write(
      [
        { type: 'create', item: { ...keys, kind: KIND, ...definition } },
        nameClaim(definition),
        catalogChange(definition.resource_type),
      ],
      events,
    );
  }

  async update(change: CustomFieldUpdate, events: DomainEvent[]): Promise<void> {
    const { before, after } = change;
    const values: Record<string, NativeAttributeValue> = {
      ':name': after.name,
      ':type': after.type,
      ':choices': after.choices,
      ':filterable': after.filterable,
      ':now': after.updated_at,
      ':next': after.version,
      ':expected': before.version,
    };
    let condition = '#version = :expected AND attribute_not_exists(deleted_at)';
    if (change.requireNoValues) {
      condition += ' AND value_count = :zero';
      values[':zero'] = 0;
    }
    const ops: WriteOp[] = [
      {
        type: 'update',
        key: customFieldKey(before.id),
        update:
          'SET #name = :name, #type = :type, choices = :choices, filterable = :filterable, updated_at = :now, #version = :next',
        condition,
        names: { '#name': 'name', '#type': 'type', '#version': 'version' },
        values,
        onConflict: (current) => {
          if (!isLive(current)) return new NotFoundError('custom field', before.id);
          if (current.version !== before.version) return stale(CUSTOM_FIELD, before.id)(current);
          return new ConflictError(
            `${before.name} holds values in ${String(current.value_count)} record(s) now: its type cannot change and its choices cannot be removed; clear them first`,
            { code: 'custom_field.has_values' },
          );
        },
      },
    ];
    if (customFieldNameKey(before.resource_type, before.name).pk !== customFieldNameKey(after.resource_type, after.name).pk) {
      ops.push(nameClaim(after), nameRelease(before));
    }
    ops.push(catalogChange(before.resource_type));
    await this.table.write(ops, events);
  }

  async delete(definition: CustomFieldDefinition, expectedVersion: number | undefined, events: DomainEvent[]): Promise<void> {
    const deletedAt = events[0]?.metadata.occurred_at ?? new Date().toISOString();
    const values: Record<string, NativeAttributeValue> = { ':now': deletedAt };
    let condition = 'attribute_exists(pk) AND attribute_not_exists(deleted_at)';
    if (expectedVersion !== undefined) {
      condition += ' AND #version = :expected';
      values[':expected'] = expectedVersion;
    }
    const listed = indexAttributes(customFieldIndex.byResource(definition.resource_type).index);
    await this.table.write(
      [
        {
          type: 'update',
          key: customFieldKey(definition.id),
          // Out of the list index; kept for the counts of values records still hold.
          update: `SET deleted_at = :now REMOVE ${listed.partitionKey}, ${listed.sortKey}`,
          condition,
          ...(expectedVersion !== undefined ? { names: { '#version': 'version' } } : {}),
          values,
          onConflict: (current) =>
            isLive(current) ? stale(CUSTOM_FIELD, definition.id)(current) : new NotFoundError('custom field', definition.id),
        },
        nameRelease(definition),
        catalogChange(definition.resource_type),
      ],
      events,
    );
  }
}

function nameClaim(definition: CustomFieldDefinition): WriteOp {
  return {
    type: 'create',
    item: { ...customFieldNameKey(definition.resource_type, definition.name), kind: 'unique', custom_field_id: definition.id },
    onConflict: () =>
      new ConflictError(
        `A ${definition.resource_type} custom field named "${definition.name}" already exists (names ignore case)`,
        { code: 'custom_field.name_taken' },
      ),
  };
}

function nameRelease(definition: CustomFieldDefinition): WriteOp {
  return {
    type: 'delete',
    key: customFieldNameKey(definition.resource_type, definition.name),
    condition: 'custom_field_id = :id',
    values: { ':id': definition.id },
    onConflict: () =>
      new ConflictError(`The custom field ${definition.name} changed meanwhile; reload it and try again`, {
        code: 'concurrent_change',
      }),
  };
}

/**
 * The writes that move value counts, for a record repository to add to ITS transaction (one
 * per changed field, from valueCountChanges). A value may only appear on a live field, and,
 * when `definitions` (those the values were validated against) are given, only while the
 * field still has the type they were validated as: a container with a stale catalog then
 * fails instead of storing a value of the wrong type. A value may always go (deleted fields
 * keep a tombstone to count on).
 *
 * The failure is a ValidationError naming `<fieldPrefix>.<name>` (the field id when no
 * definitions are given); a caller that sees one should invalidate its CustomFieldCatalog.
 */
export function customFieldCountOps(
  changes: Record<string, number>,
  options: { definitions?: readonly CustomFieldDefinition[]; fieldPrefix?: string } = {},
): WriteOp[] {
  const prefix = options.fieldPrefix ?? 'body.custom_fields';
  const ops: WriteOp[] = [];
  for (const [id, delta] of Object.entries(changes)) {
    if (delta === 0) continue;
    const definition = options.definitions?.find((d) => d.id === id);
    const field = `${prefix}.${definition?.name ?? id}`;
    const values: Record<string, NativeAttributeValue> = { ':delta': delta };
    const names: Record<string, string> = {};
    let condition = 'attribute_exists(pk)';
    if (delta > 0) {
      condition += ' AND attribute_not_exists(deleted_at)';
      if (definition) {
        condition += ' AND #type = :type';
        names['#type'] = 'type';
        values[':type'] = definition.type;
      }
    }
    ops.push({
      type: 'update',
      key: customFieldKey(id),
      update: 'ADD value_count :delta',
      condition,
      ...(Object.keys(names).length > 0 ? { names } : {}),
      values,
      onConflict: (current) =>
        ValidationError.field(
          field,
          isLive(current)
            ? `this custom field is now of type ${String(current.type)}; reload the custom fields and try again`
            : 'this custom field was deleted; reload the custom fields and try again',
          { code: 'custom_field.definition_changed' },
        ),
    });
  }
  return ops;
}

/**
 * List filters on custom fields (from parseCustomFieldFilters) as a FilterExpression on the
 * record's `custom_fields` map, for Table.page's `filter`. Names and values use the `cf`
 * prefix (#cf, #cf0, :cf0...) so they can be joined with a list's own filter.
 */
export function customFieldFilterExpression(
  filters: readonly CustomFieldFilter[],
  attribute = 'custom_fields',
): { expression: string; names: Record<string, string>; values: Record<string, NativeAttributeValue> } | undefined {
  if (filters.length === 0) return undefined;
  const names: Record<string, string> = { '#cf': attribute };
  const values: Record<string, NativeAttributeValue> = {};
  const conditions = filters.map((filter, i) => {
    names[`#cf${i}`] = filter.fieldId;
    values[`:cf${i}`] = filter.value;
    return filter.operator === 'contains' ? `contains(#cf.#cf${i}, :cf${i})` : `#cf.#cf${i} = :cf${i}`;
  });
  return { expression: conditions.join(' AND '), names, values };
}
