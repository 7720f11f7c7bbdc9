import type { LeadsDeps } from '#shared/application/leads.ts';
import { DynamoLeadRepository } from './dynamodb/lead-repository.ts';
import { customFieldAdapters } from './runtime-custom-fields.ts';
import { crmTable } from './runtime.ts';

// The leads module's adapters, built once per container.

let deps: LeadsDeps | undefined;

export function leadAdapters(): LeadsDeps {
  deps ??= { leads: new DynamoLeadRepository(crmTable()), customFields: customFieldAdapters().catalog };
  return deps;
}
