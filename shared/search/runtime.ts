import type { SearchDeps } from './use-cases.ts';
import { DynamoSearchIndex } from './dynamodb.ts';
import { crmTable } from '#shared/platform/runtime.ts';

// The search module's adapters, built once per container.

let deps: SearchDeps | undefined;

export function searchAdapters(): SearchDeps {
  deps ??= { index: new DynamoSearchIndex(crmTable()) };
  return deps;
}
