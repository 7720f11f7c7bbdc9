import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '#infra/config/load.ts';
import { functionEnvironment, functionSpec, sellImportWorkerFunction } from '#infra/functions.ts';
import { localEnvironmentValues } from '#infra/local/environment.ts';
import { RUNTIME_ENV } from '#shared/platform/runtime-env.ts';
import { SELL_BASE_URL } from '#shared/sell-import/domain.ts';
import { SHIPPED_CONFIG_PATH } from '../infra/crm-app.ts';

// Issue 17: the Sell API base URL comes from config sell_import.base_url (https, or http on
// loopback only) and reaches POST /sell_imports (which stores it on the job) and the worker.

function configWith(sellImport: unknown) {
  const raw = JSON.parse(readFileSync(SHIPPED_CONFIG_PATH, 'utf8'));
  delete raw.$schema;
  if (sellImport === undefined) delete raw.sell_import;
  else raw.sell_import = sellImport;
  return parseConfig(raw, 'crm.config.json');
}

describe('the Sell API base URL', () => {
  it("is Sell's own API unless configured", () => {
    expect(configWith(undefined).sell_import.base_url).toBe(SELL_BASE_URL);
  });

  it('takes https anywhere and plain http on loopback only', () => {
    expect(configWith({ base_url: 'https://sell.example.com' }).sell_import.base_url).toBe('https://sell.example.com');
    expect(configWith({ base_url: 'http://127.0.0.1:4010' }).sell_import.base_url).toBe('http://127.0.0.1:4010');
    expect(configWith({ base_url: 'http://localhost:4010' }).sell_import.base_url).toBe('http://localhost:4010');
    expect(() => configWith({ base_url: 'http://sell.example.com' })).toThrowError(/sell_import\.base_url: /);
    expect(() => configWith({ base_url: 'ftp://127.0.0.1' })).toThrowError(/sell_import\.base_url: /);
  });

  it('reaches POST /sell_imports and the worker as SELL_BASE_URL', () => {
    const config = configWith({ base_url: 'http://127.0.0.1:4010' });
    const values = localEnvironmentValues(config, { logLevel: 'INFO' });
    for (const spec of [functionSpec('imports'), sellImportWorkerFunction]) {
      expect(functionEnvironment(spec, values)[RUNTIME_ENV.sellBaseUrl]).toBe('http://127.0.0.1:4010');
    }
  });
});
