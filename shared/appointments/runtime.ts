import type { AppointmentsDeps } from './use-cases.ts';
import { DynamoRecordOwners } from '#shared/platform/dynamodb/record-owners.ts';
import { DynamoAppointmentRepository } from './dynamodb.ts';
import { crmTable } from '#shared/platform/runtime.ts';

// The appointments module's adapters, built once per container.

let deps: AppointmentsDeps | undefined;

export function appointmentAdapters(): AppointmentsDeps {
  deps ??= { appointments: new DynamoAppointmentRepository(crmTable()), records: new DynamoRecordOwners(crmTable()) };
  return deps;
}
