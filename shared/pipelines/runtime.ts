import { DynamoNamedListRepository, DynamoPipelineRepository } from './dynamodb.ts';
import { crmTable } from '#shared/platform/runtime.ts';

// The pipelines module's adapters (pipelines, stages, reasons, sources), built once per
// container on the shared table.

let adapters: { pipelines: DynamoPipelineRepository; namedLists: DynamoNamedListRepository } | undefined;

export function pipelineAdapters() {
  adapters ??= { pipelines: new DynamoPipelineRepository(crmTable()), namedLists: new DynamoNamedListRepository(crmTable()) };
  return adapters;
}
