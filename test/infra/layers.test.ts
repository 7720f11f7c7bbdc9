import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#infra/build/bundle.ts';

// The layer rules of the feature-slice layout (infra/lint/layers.js), run through the project's
// own ESLint config on deliberate violations: each rule must refuse its violation, and the
// allowed imports must pass, so a rule that stops firing fails here.

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: REPO_ROOT });
});

async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport const x = 1;\n`, { filePath });
  return result!.messages.filter((m) => m.ruleId?.startsWith('crm/')).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layer rules', () => {
  it.each([
    [
      'the kernel imports a family',
      'shared/kernel/money.ts',
      "import '#shared/deals/domain.ts';",
      /kernel imports only the kernel/,
    ],
    [
      'the kernel imports platform',
      'shared/kernel/ids.ts',
      "import '#shared/platform/dynamodb/table.ts';",
      /kernel imports only/,
    ],
    ['the kernel imports AWS', 'shared/kernel/ids.ts', "import '@aws-sdk/client-dynamodb';", /free of AWS/],
    [
      'platform imports a family',
      'shared/platform/http/handler.ts',
      "import '#shared/identity/runtime.ts';",
      /platform\/ imports no family/,
    ],
    [
      'platform imports the composition',
      'shared/platform/http/openapi.ts',
      "import '#shared/families.ts';",
      /lists every family/,
    ],
    ['a domain file imports AWS', 'shared/deals/domain.ts', "import '@aws-sdk/lib-dynamodb';", /free of AWS/],
    ['a domain file imports middy', 'shared/contacts/details.ts', "import '@middy/core';", /free of AWS/],
    [
      'a domain file imports platform',
      'shared/notes/domain.ts',
      "import '#shared/platform/http/contract.ts';",
      /domain file may not import a platform/,
    ],
    [
      'a domain file imports its adapter',
      'shared/notes/domain.ts',
      "import './dynamodb.ts';",
      /domain file may not import an adapter/,
    ],
    [
      'a domain file imports use cases',
      'shared/notes/domain.ts',
      "import './use-cases.ts';",
      /domain file may not import a use-cases/,
    ],
    ['ports import an adapter', 'shared/tasks/ports.ts', "import './dynamodb.ts';", /ports file may not import an adapter/],
    [
      'use cases import their adapter',
      'shared/tasks/use-cases.ts',
      "import './dynamodb.ts';",
      /use-cases file may not import an adapter/,
    ],
    ['use cases import routes', 'shared/tasks/use-cases.ts', "import './routes.ts';", /may not import a routes/],
    ['use cases import runtime', 'shared/tasks/use-cases.ts', "import './runtime.ts';", /may not import a runtime/],
    [
      'use cases import platform',
      'shared/leads/use-cases.ts',
      "import '#shared/platform/dynamodb/table.ts';",
      /may not import a platform/,
    ],
    ['use cases import AWS', 'shared/leads/use-cases.ts', "import '@aws-lambda-powertools/logger';", /free of AWS/],
    [
      "routes import another slice's routes",
      'shared/deals/routes.ts',
      "import '#shared/leads/routes.ts';",
      /may not import a routes/,
    ],
    [
      "an adapter imports another slice's runtime",
      'shared/notes/dynamodb.ts',
      "import '#shared/deals/runtime.ts';",
      /may not import a runtime/,
    ],
    ['a slice imports the composition file', 'shared/notes/runtime.ts', "import '#shared/app.ts';", /lists every family/],
    ['shared imports tests', 'shared/notes/use-cases.ts', "import '#test/helpers/fakes.ts';", /never imports test/],
    [
      "a relative import climbs into another slice's adapter",
      'shared/notes/use-cases.ts',
      "import '../deals/dynamodb.ts';",
      /may not import an adapter/,
    ],
  ])('refuses: %s', async (_what, file, code, message) => {
    const errors = await layerErrors(file, code);
    expect(errors.join('\n')).toMatch(message);
  });

  it.each([
    [
      "a domain file imports the kernel and another slice's domain",
      'shared/deals/domain.ts',
      "import '#shared/kernel/money.ts';\nimport '#shared/pipelines/domain.ts';",
    ],
    ['a domain file imports a domain extra of another slice', 'shared/leads/domain.ts', "import '#shared/contacts/details.ts';"],
    [
      "use cases import another slice's use cases and ports",
      'shared/contacts/use-cases.ts',
      "import '#shared/leads/use-cases.ts';\nimport '#shared/pipelines/ports.ts';",
    ],
    [
      "an adapter composes another slice's adapter (one transaction)",
      'shared/lead-conversion/dynamodb.ts',
      "import '#shared/deals/dynamodb.ts';\nimport '#shared/platform/dynamodb/table.ts';",
    ],
    [
      "runtime wires other slices' runtime",
      'shared/deals/runtime.ts',
      "import '#shared/custom-fields/runtime.ts';\nimport '#shared/platform/runtime.ts';",
    ],
    ['the composition file lists families', 'shared/families.ts', "import '#shared/deals/routes.ts';"],
    [
      'platform uses the kernel and AWS',
      'shared/platform/dynamodb/table.ts',
      "import '#shared/kernel/errors.ts';\nimport '@aws-sdk/lib-dynamodb';",
    ],
  ])('allows: %s', async (_what, file, code) => {
    expect(await layerErrors(file, code)).toEqual([]);
  });
});

describe('slice file names', () => {
  it.each([
    ['shared/notes/helpers.ts', /not a known slice file name/],
    ['shared/deals/board/counters.ts', /a slice is flat/],
    ['shared/utils.ts', /shared\/ holds only slices/],
    ['shared/notes/board.ts', /not a known slice file name/],
  ])('refuses %s', async (file, message) => {
    expect((await layerErrors(file, '')).join('\n')).toMatch(message);
  });

  it.each(['shared/notes/domain.ts', 'shared/notes/runtime.ts', 'shared/deals/board.ts', 'shared/identity/cognito.ts'])(
    'knows %s',
    async (file) => {
      expect(await layerErrors(file, '')).toEqual([]);
    },
  );
});
