import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// One run, five projects, chosen by file suffix so a family keeps all its tests in test/<family>/:
// `*.test.ts` unit, `*.int.test.ts` integration (one in-memory DynamoDB Local started by the
// global setup on a free port), `*.infra.test.ts` CDK synth and cdk-nag, `*.e2e.test.ts` the
// whole local cloud, started by each file; of those, test/web/'s drive chromium (browser).
//
// At least two files at a time, even on a 2-core runner (Vitest's default there is one): most
// files wait on timers, queues and a JVM more than they compute, so two share the cores at
// about 1.35 times the throughput of one (measured: four e2e files, 152 s one at a time, 112 s
// two at a time).
const INT = 'test/**/*.int.test.ts';
const INFRA = 'test/**/*.infra.test.ts';
const E2E = 'test/**/*.e2e.test.ts';
const BROWSER = 'test/web/*.e2e.test.ts';

export default defineConfig({
  test: {
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [INT, INFRA, E2E] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: [INT],
          globalSetup: ['test/helpers/dynamodb-global-setup.ts'],
          // A worker's files share its DynamoDB Local, which serves one request at a time: while
          // the Sell import's and the job grouping's long runs write, a short test waits its turn.
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      { extends: true, test: { name: 'infra', include: [INFRA], testTimeout: 120_000, hookTimeout: 120_000 } },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: [E2E],
          exclude: [BROWSER],
          globalSetup: ['test/helpers/web-build-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 90_000,
          // A whole local cloud on a shared 2-core runner: an awaited effect (an event's consumer,
          // a page's next query) may take seconds under load. Timing is judged by the bench, not here.
          expect: { poll: { timeout: 15_000 } },
        },
      },
      {
        extends: true,
        test: {
          // The browser tests (a local cloud and chromium each) run last, one at a time, on a
          // machine the other files no longer load: a page waits for what a user would see.
          name: 'browser',
          include: [BROWSER],
          globalSetup: ['test/helpers/web-build-global-setup.ts'],
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
          testTimeout: 60_000,
          hookTimeout: 90_000,
          expect: { poll: { timeout: 15_000 } },
        },
      },
    ],
  },
});
