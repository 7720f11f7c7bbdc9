import type { CustomFieldDefinition, CustomFieldResource } from './domain.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';

// Ports of the custom fields module. Record modules (deals now, leads and contacts later)
// read definitions through CustomFieldCatalog (shared/custom-fields/use-cases.ts), which
// takes a CustomFieldReader; they move value counts inside their own transactions (the
// DynamoDB adapter's customFieldCountOps).

/**
 * The version of each resource type's definitions: a counter every create, update and delete
 * moves in its own transaction (0 before the first). Equal versions mean equal definitions.
 */
export type CatalogVersions = Readonly<Record<CustomFieldResource, number>>;

export interface CustomFieldReader {
  /** Every live definition of a resource type, oldest first. */
  listAll(resourceType: CustomFieldResource): Promise<CustomFieldDefinition[]>;
  /** The current versions of every resource type's definitions (one strongly consistent read). */
  catalogVersions(): Promise<CatalogVersions>;
}

export interface CustomFieldUpdate {
  before: CustomFieldDefinition;
  after: CustomFieldDefinition;
  /**
   * The change is only safe while no record holds a value (type changed, choices removed):
   * the write fails with ConflictError if value_count is not 0 when it lands.
   */
  requireNoValues: boolean;
}

export interface CustomFieldRepository extends CustomFieldReader {
  /** A live definition; deleted ones are not found. */
  get(id: string): Promise<CustomFieldDefinition | undefined>;
  list(resourceType: CustomFieldResource, query: PageQuery): Promise<Page<CustomFieldDefinition>>;
  /** Fails with ConflictError if the resource type has a field of that name (ignoring case). */
  create(definition: CustomFieldDefinition, events: DomainEvent[]): Promise<void>;
  /**
   * Writes name, type, choices and filterable (never value_count, which record writes move).
   * Fails with VersionMismatchError if `before` is stale, NotFoundError if the field is gone,
   * ConflictError if the new name is taken or `requireNoValues` does not hold.
   */
  update(change: CustomFieldUpdate, events: DomainEvent[]): Promise<void>;
  /** Fails with VersionMismatchError if `expectedVersion` is given and stale; NotFoundError if gone. */
  delete(definition: CustomFieldDefinition, expectedVersion: number | undefined, events: DomainEvent[]): Promise<void>;
}
