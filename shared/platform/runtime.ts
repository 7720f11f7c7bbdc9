import { newId } from '#shared/kernel/ids.ts';
import { systemClock } from '#shared/kernel/ports.ts';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { CursorCodec } from '#shared/platform/dynamodb/cursor.ts';
import { Table } from '#shared/platform/dynamodb/table.ts';
import { RUNTIME_ENV, requireEnv } from './runtime-env.ts';

// The composition root's parts: built lazily once per container from the runtime
// environment, and shared by every handler of the container.

let table: Table | undefined;

export function crmTable(): Table {
  table ??= new Table({
    client: dynamoDocumentClient(),
    name: requireEnv(RUNTIME_ENV.tableName),
    cursors: new CursorCodec(requireEnv(RUNTIME_ENV.cursorSecret)),
  });
  return table;
}

export const runtimeClock = systemClock;
export const runtimeIds = () => newId();
