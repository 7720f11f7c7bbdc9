import type { ConversionDeps } from './use-cases.ts';
import { DynamoConversionWriter } from './dynamodb.ts';
import { DynamoNoteRepository } from '#shared/notes/dynamodb.ts';
import { DynamoTaskRepository } from '#shared/tasks/dynamodb.ts';
import { DynamoAppointmentRepository } from '#shared/appointments/dynamodb.ts';
import { DynamoDocumentRepository } from '#shared/documents/dynamodb.ts';
import { contactAdapters } from '#shared/contacts/runtime.ts';
import { customFieldAdapters } from '#shared/custom-fields/runtime.ts';
import { dealAdapters } from '#shared/deals/runtime.ts';
import { leadAdapters } from '#shared/leads/runtime.ts';
import { crmTable } from '#shared/platform/runtime.ts';

// Lead conversion touches leads, contacts, deals, notes, tasks and appointments: their adapters, once.

let deps: ConversionDeps | undefined;

export function conversionAdapters(): ConversionDeps {
  deps ??= {
    leads: leadAdapters().leads,
    contacts: contactAdapters().contacts,
    deals: dealAdapters(),
    customFields: customFieldAdapters().catalog,
    notes: new DynamoNoteRepository(crmTable()),
    tasks: new DynamoTaskRepository(crmTable()),
    appointments: new DynamoAppointmentRepository(crmTable()),
    documents: new DynamoDocumentRepository(crmTable()),
    writer: new DynamoConversionWriter(crmTable()),
  };
  return deps;
}
