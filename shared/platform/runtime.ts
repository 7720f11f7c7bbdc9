import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { newId } from '#shared/kernel/ids.ts';
import { systemClock } from '#shared/kernel/ports.ts';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { CursorCodec } from '#shared/platform/dynamodb/cursor.ts';
import { Table } from '#shared/platform/dynamodb/table.ts';
import { secretsManagerCursorKeys } from './cursor-keys.ts';
import { RUNTIME_ENV, requireEnv } from './runtime-env.ts';

// The composition root's parts: built lazily once per container from the runtime
// environment, and shared by every handler of the container.

let table: Table | undefined;
let secretsManager: Promise<SecretsManagerClient> | undefined;

/**
 * The CRM table: TABLE_NAME is read now (every use needs it), CURSOR_SECRET_ID only when a
 * list first signs or checks a cursor, so a function that pages no list needs no key (and one
 * that does but was not given it fails that list with "CURSOR_SECRET_ID is not set", not its
 * init). The keys themselves come from Secrets Manager, cached per container.
 */
export function crmTable(): Table {
  table ??= new Table({
    client: dynamoDocumentClient(),
    name: requireEnv(RUNTIME_ENV.tableName),
    cursors: new CursorCodec(
      secretsManagerCursorKeys({
        // The SDK client is imported on the first list, not at init (a split chunk).
        client: () =>
          (secretsManager ??= import('@aws-sdk/client-secrets-manager').then((sdk) => new sdk.SecretsManagerClient({}))),
        secretId: () => requireEnv(RUNTIME_ENV.cursorSecret),
        clock: systemClock,
      }),
    ),
  });
  return table;
}

export const runtimeClock = systemClock;
export const runtimeIds = () => newId();
