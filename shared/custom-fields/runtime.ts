import { CustomFieldCatalog } from './use-cases.ts';
import { systemClock } from '#shared/kernel/ports.ts';
import { DynamoCustomFieldRepository } from './dynamodb.ts';
import { crmTable } from '#shared/platform/runtime.ts';

// The custom fields module's adapters, built once per container. Every handler that reads or
// writes records with custom fields (deals, leads and contacts) takes the catalog from here:
// one cache per container, invalidated by the custom field use cases of the same container and
// checked against the catalog's versions at the start of every HTTP request
// (refreshCustomFieldCatalog, called by shared/app.ts), so a field renamed or deleted through
// one function shows at once in every other.

let adapters: { customFields: DynamoCustomFieldRepository; catalog: CustomFieldCatalog } | undefined;

export function customFieldAdapters(): { customFields: DynamoCustomFieldRepository; catalog: CustomFieldCatalog } {
  if (!adapters) {
    const customFields = new DynamoCustomFieldRepository(crmTable());
    adapters = { customFields, catalog: new CustomFieldCatalog(customFields, { clock: systemClock }) };
  }
  return adapters;
}

/**
 * Checks this container's cached custom field definitions against the catalog's versions (see
 * CustomFieldCatalog.refresh): one GetItem when the container has read definitions, none
 * otherwise. Never throws.
 */
export function refreshCustomFieldCatalog(): Promise<void> {
  return adapters ? adapters.catalog.refresh() : Promise.resolve();
}
