import type { SearchDeps } from '#shared/application/search.ts';
import { DynamoSearchIndex } from './dynamodb/search-repository.ts';
import { crmTable } from './runtime.ts';

// The search module's adapters, built once per container.

let deps: SearchDeps | undefined;

export function searchAdapters(): SearchDeps {
  deps ??= { index: new DynamoSearchIndex(crmTable()) };
  return deps;
}
