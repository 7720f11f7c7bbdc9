import type { NotesDeps } from './use-cases.ts';
import { DynamoNoteRepository } from './dynamodb.ts';
import { DynamoRecordOwners } from '#shared/platform/dynamodb/record-owners.ts';
import { crmTable } from '#shared/platform/runtime.ts';

// The notes module's adapters, built once per container.

let deps: NotesDeps | undefined;

export function noteAdapters(): NotesDeps {
  deps ??= { notes: new DynamoNoteRepository(crmTable()), records: new DynamoRecordOwners(crmTable()) };
  return deps;
}
