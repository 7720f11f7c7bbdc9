import type { ConversionDeps } from '#shared/application/lead-conversion.ts';
import { DynamoConversionWriter } from './dynamodb/lead-conversion.ts';
import { DynamoNoteRepository } from './dynamodb/note-repository.ts';
import { DynamoTaskRepository } from './dynamodb/task-repository.ts';
import { contactAdapters } from './runtime-contacts.ts';
import { customFieldAdapters } from './runtime-custom-fields.ts';
import { dealAdapters } from './runtime-deals.ts';
import { leadAdapters } from './runtime-leads.ts';
import { crmTable } from './runtime.ts';

// Lead conversion touches leads, contacts, deals, notes and tasks: their adapters, once.

let deps: ConversionDeps | undefined;

export function conversionAdapters(): ConversionDeps {
  deps ??= {
    leads: leadAdapters().leads,
    contacts: contactAdapters().contacts,
    deals: dealAdapters(),
    customFields: customFieldAdapters().catalog,
    notes: new DynamoNoteRepository(crmTable()),
    tasks: new DynamoTaskRepository(crmTable()),
    writer: new DynamoConversionWriter(crmTable()),
  };
  return deps;
}
