import type { TasksDeps } from './use-cases.ts';
import { DynamoRecordOwners } from '#shared/platform/dynamodb/record-owners.ts';
import { DynamoTaskRepository } from './dynamodb.ts';
import { crmTable } from '#shared/platform/runtime.ts';

// The tasks module's adapters, built once per container.

let deps: TasksDeps | undefined;

export function taskAdapters(): TasksDeps {
  deps ??= { tasks: new DynamoTaskRepository(crmTable()), records: new DynamoRecordOwners(crmTable()) };
  return deps;
}
