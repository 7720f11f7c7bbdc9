import type { TasksDeps } from '#shared/application/tasks.ts';
import { DynamoRecordOwners } from './dynamodb/record-owners.ts';
import { DynamoTaskRepository } from './dynamodb/task-repository.ts';
import { crmTable } from './runtime.ts';

// The tasks module's adapters, built once per container.

let deps: TasksDeps | undefined;

export function taskAdapters(): TasksDeps {
  deps ??= { tasks: new DynamoTaskRepository(crmTable()), records: new DynamoRecordOwners(crmTable()) };
  return deps;
}
