import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { synthesizedTemplates, synthInputsHash, templateResourceNames } from '#infra/local/synthesized-app.ts';
import { eventFunctions } from '#infra/functions.ts';
import { shippedConfig } from './crm-app.ts';

// The local cloud reads its IAM policies and resource names from the app as CDK synthesizes it,
// cached by a hash of what synthesis reads.

const config = shippedConfig();
const cacheDir = mkdtempSync(join(tmpdir(), 'crm-synth-cache-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe('the synthesized app, for the local cloud', () => {
  it('is synthesized once, then read from the cache while its inputs are unchanged', async () => {
    const first = await synthesizedTemplates(config, { cacheDir });
    expect(first.cached).toBe(false);
    expect(Object.keys(first.templates).sort()).toEqual(
      [`crm-${config.stage}-monitoring`, `crm-${config.stage}-stateful`, `crm-${config.stage}-stateless`].sort(),
    );
    const second = await synthesizedTemplates(config, { cacheDir });
    expect(second).toMatchObject({ cached: true, key: first.key });
    expect(second.templates).toEqual(first.templates);
    // A torn cache file is synthesized again, not trusted.
    writeFileSync(join(cacheDir, `${first.key}.json`), '{"torn');
    expect((await synthesizedTemplates(config, { cacheDir })).cached).toBe(false);
    expect(readdirSync(cacheDir)).toEqual([`${first.key}.json`]);
  });

  it('keys the cache by the config too', () => {
    expect(synthInputsHash({ ...config, stage: 'other' })).not.toBe(synthInputsHash(config));
    expect(synthInputsHash({ ...config })).toBe(synthInputsHash(config));
  });

  it('names the local resources as the templates do: crm-<stage>, and the on-failure queues of the stack', async () => {
    const { templates } = await synthesizedTemplates(config, { cacheDir });
    const names = templateResourceNames({ templates, accountId: '000000000000', region: config.region });
    const name = `crm-${config.stage}`;
    expect(names).toEqual({
      tableName: name,
      eventBusName: name,
      scheduleGroupName: name,
      sesConfigurationSet: name,
      // Bucket names are global: the account and region are in it.
      filesBucketName: `${name}-files-000000000000-${config.region}`,
      streamOnFailureQueue: `${name}-dlq`,
      asyncOnFailureQueues: Object.fromEntries(
        eventFunctions.map((spec) => [`${name}-${spec.name}`, `${name}-${spec.name}-on-failure`]),
      ),
    });
  });
});
