import { CustomFieldCatalog } from './use-cases.ts';
import { systemClock } from '#shared/kernel/ports.ts';
import { DynamoCustomFieldRepository } from './dynamodb.ts';
import { crmTable } from '#shared/platform/runtime.ts';

// The custom fields module's adapters, built once per container. Every handler that reads or
// writes records with custom fields (deals, leads and contacts) takes the catalog from here:
// one cache per container, invalidated by the custom field use cases of the same container;
// another function's copy catches up at once for a call naming a field it does not know, and
// otherwise within the TTL (CUSTOM_FIELD_CACHE_TTL_MS): a read after a rename or delete made
// through another function may show the old names until then. Tests that rename or delete a
// field and read at once through another function set the local-only
// CRM_CUSTOM_FIELD_CACHE_TTL_MS (unset in AWS).

let adapters: { customFields: DynamoCustomFieldRepository; catalog: CustomFieldCatalog } | undefined;

export function customFieldAdapters(): { customFields: DynamoCustomFieldRepository; catalog: CustomFieldCatalog } {
  if (!adapters) {
    const customFields = new DynamoCustomFieldRepository(crmTable());
    const ttl = process.env.CRM_CUSTOM_FIELD_CACHE_TTL_MS;
    adapters = {
      customFields,
      catalog: new CustomFieldCatalog(customFields, { clock: systemClock, ...(ttl ? { ttlMs: Number(ttl) } : {}) }),
    };
  }
  return adapters;
}
