import type { DocumentsDeps } from './use-cases.ts';
import { DynamoDocumentRepository } from './dynamodb.ts';
import { DynamoRecordOwners } from '#shared/platform/dynamodb/record-owners.ts';
import { crmTable, runtimeClock } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { S3FileStore } from '#shared/platform/s3-files.ts';

// The documents module's adapters, built once per container.

let deps: DocumentsDeps | undefined;

export function documentAdapters(): DocumentsDeps {
  deps ??= {
    documents: new DynamoDocumentRepository(crmTable()),
    records: new DynamoRecordOwners(crmTable()),
    files: new S3FileStore({ bucket: requireEnv(RUNTIME_ENV.filesBucket) }),
    clock: runtimeClock,
  };
  return deps;
}
