import type { NotesDeps } from '#shared/application/notes.ts';
import { DynamoNoteRepository } from './dynamodb/note-repository.ts';
import { DynamoRecordOwners } from './dynamodb/record-owners.ts';
import { crmTable } from './runtime.ts';

// The notes module's adapters, built once per container.

let deps: NotesDeps | undefined;

export function noteAdapters(): NotesDeps {
  deps ??= { notes: new DynamoNoteRepository(crmTable()), records: new DynamoRecordOwners(crmTable()) };
  return deps;
}
