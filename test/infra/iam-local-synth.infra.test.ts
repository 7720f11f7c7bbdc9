import { EXPORT_QUEUE_MAX_RECEIVES } from '#shared/exports/domain.ts';
import { SELL_IMPORT_QUEUE_MAX_RECEIVES } from '#shared/sell-import/domain.ts';
import {
  SELL_IMPORT_QUEUE_VISIBILITY_SECONDS,
  EXPORT_QUEUE_VISIBILITY_SECONDS,
  IMPORT_QUEUE_MAX_RECEIVES,
  IMPORT_QUEUE_VISIBILITY_SECONDS,
  BULK_QUEUE_MAX_RECEIVES,
  BULK_QUEUE_VISIBILITY_SECONDS,
  MAIL_QUEUE_DELAY_SECONDS,
  MAIL_QUEUE_MAX_RECEIVES,
  MAIL_QUEUE_VISIBILITY_SECONDS,
} from '#infra/stateful-stack.ts';
import {
  EXPORT_WORKER_CONCURRENCY,
  IMPORT_WORKER_CONCURRENCY,
  BULK_WORKER_CONCURRENCY,
  SELL_IMPORT_WORKER_CONCURRENCY,
} from '#infra/stateless-stack.ts';
import { MAIL_SENDER_CONCURRENCY } from '#shared/mail/domain.ts';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { synthesizedTemplates, synthInputsHash, templateResourceNames } from '#infra/local/synthesized-app.ts';
import { eventFunctions, scheduledFunctions } from '#infra/functions.ts';
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

  it('names the local resources as the templates do: crm-<stage>, the on-failure queues, the mail and import queues of the stack, and the WebSocket API', async () => {
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
        [...eventFunctions, ...scheduledFunctions].map((spec) => [`${name}-${spec.name}`, `${name}-${spec.name}-on-failure`]),
      ),
      // What reminder schedules name, as the reminder sync's variables give them.
      reminderTargetArn: `arn:aws:lambda:${config.region}:000000000000:function:${name}-reminders`,
      reminderDeadLetterQueueArn: `arn:aws:sqs:${config.region}:000000000000:${name}-reminders-dlq`,
      schedulerRoleArn: expect.stringMatching(
        new RegExp(`^arn:aws:iam::000000000000:role/${name}-stateless-SchedulerTargetRole`),
      ),
      // An API id as API Gateway makes them (10 lower-case letters and digits), and its stage.
      liveWebSocket: { apiId: expect.stringMatching(/^[a-z0-9]{10}$/), stageName: 'live' },
      // As the stack makes it and its event source drains it (the local cloud does the same).
      mailQueue: {
        queueName: `${name}-mail`,
        deadLetterQueueName: `${name}-mail-dlq`,
        maxReceiveCount: MAIL_QUEUE_MAX_RECEIVES,
        delaySeconds: MAIL_QUEUE_DELAY_SECONDS,
        visibilityTimeoutSeconds: MAIL_QUEUE_VISIBILITY_SECONDS,
        functionName: `${name}-mail-sender`,
        batchSize: 10,
        maximumConcurrency: MAIL_SENDER_CONCURRENCY,
      },
      importQueue: {
        queueName: `${name}-imports`,
        deadLetterQueueName: `${name}-imports-dlq`,
        maxReceiveCount: IMPORT_QUEUE_MAX_RECEIVES,
        delaySeconds: 0,
        visibilityTimeoutSeconds: IMPORT_QUEUE_VISIBILITY_SECONDS,
        functionName: `${name}-import-worker`,
        batchSize: 1,
        maximumConcurrency: IMPORT_WORKER_CONCURRENCY,
      },
      bulkQueue: {
        queueName: `${name}-bulk-operations`,
        deadLetterQueueName: `${name}-bulk-operations-dlq`,
        maxReceiveCount: BULK_QUEUE_MAX_RECEIVES,
        delaySeconds: 0,
        visibilityTimeoutSeconds: BULK_QUEUE_VISIBILITY_SECONDS,
        functionName: `${name}-bulk-worker`,
        batchSize: 1,
        maximumConcurrency: BULK_WORKER_CONCURRENCY,
      },
      exportQueue: {
        queueName: `${name}-exports`,
        deadLetterQueueName: `${name}-exports-dlq`,
        maxReceiveCount: EXPORT_QUEUE_MAX_RECEIVES,
        delaySeconds: 0,
        visibilityTimeoutSeconds: EXPORT_QUEUE_VISIBILITY_SECONDS,
        functionName: `${name}-export-worker`,
        batchSize: 1,
        maximumConcurrency: EXPORT_WORKER_CONCURRENCY,
      },
      sellImportQueue: {
        queueName: `${name}-sell-imports`,
        deadLetterQueueName: `${name}-sell-imports-dlq`,
        maxReceiveCount: SELL_IMPORT_QUEUE_MAX_RECEIVES,
        delaySeconds: 0,
        visibilityTimeoutSeconds: SELL_IMPORT_QUEUE_VISIBILITY_SECONDS,
        functionName: `${name}-sell-import-worker`,
        batchSize: 1,
        maximumConcurrency: SELL_IMPORT_WORKER_CONCURRENCY,
      },
    });
  });
});
