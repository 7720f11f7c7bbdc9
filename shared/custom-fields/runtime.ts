import { CustomFieldCatalog } from './use-cases.ts';
import { systemClock } from '#shared/kernel/ports.ts';
import { DynamoCustomFieldRepository } from './dynamodb.ts';
import { crmTable } from '#shared/platform/runtime.ts';

// The custom fields module's adapters, built once per container. Every handler that reads or
// writes records with custom fields (deals, later leads and contacts) takes the catalog from
// here: one cache per container, invalidated by the custom field use cases of the same
// container (on a laptop, every family shares one process, so changes show at once).

let adapters: { customFields: DynamoCustomFieldRepository; catalog: CustomFieldCatalog } | undefined;

export function customFieldAdapters(): { customFields: DynamoCustomFieldRepository; catalog: CustomFieldCatalog } {
  if (!adapters) {
    const customFields = new DynamoCustomFieldRepository(crmTable());
    adapters = { customFields, catalog: new CustomFieldCatalog(customFields, { clock: systemClock }) };
  }
  return adapters;
}
