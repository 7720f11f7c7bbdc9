import type { LeadsDeps } from './use-cases.ts';
import { DynamoLeadRepository } from './dynamodb.ts';
import { customFieldAdapters } from '#shared/custom-fields/runtime.ts';
import { crmTable } from '#shared/platform/runtime.ts';

// The leads module's adapters, built once per container.

let deps: LeadsDeps | undefined;

export function leadAdapters(): LeadsDeps {
  deps ??= { leads: new DynamoLeadRepository(crmTable()), customFields: customFieldAdapters().catalog };
  return deps;
}
