import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '#infra/local/dynamodb-local.ts';
import { freePort } from '#infra/local/ports.ts';

// In-memory DynamoDB Locals for the integration project, one per test worker (at most
// MAX_INSTANCES): each test file makes its own table in its worker's (test/helpers/table.ts).
// One instance for all workers was the suite's bottleneck: DynamoDB Local serves its requests
// on about one core (measured: its JVM at 96% of a core, the two test workers at 7% and 3%).

/** More JVMs than this cost more memory than they win back. */
const MAX_INSTANCES = 4;

declare module 'vitest' {
  export interface ProvidedContext {
    /** The instances' endpoints, indexed by worker (testDynamoEndpoint picks a worker's). */
    dynamoEndpoints: string[];
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const count = Math.max(1, Math.min(MAX_INSTANCES, Number(project.config.maxWorkers) || 1));
  const instances = await Promise.all(Array.from({ length: count }, async () => startDynamoDbLocal({ port: await freePort() })));
  project.provide(
    'dynamoEndpoints',
    instances.map((i) => i.endpoint),
  );
  return async () => {
    await Promise.all(instances.map((i) => i.stop()));
  };
}
