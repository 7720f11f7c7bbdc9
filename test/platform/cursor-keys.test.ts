import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_SECRET_SUFFIX } from '#infra/local/iam/arns.ts';
import { ensureLocalSecret, startLocalSecretsManager, type LocalSecretsManager } from '#infra/local/secrets-manager.ts';
import { ValidationError } from '#shared/kernel/errors.ts';
import { rotateCursorKey } from '#shared/platform/cursor-key-rotation.ts';
import { CURSOR_KEYS_MIN_REFRESH_MS, CURSOR_KEYS_TTL_MS, secretsManagerCursorKeys } from '#shared/platform/cursor-keys.ts';
import { CursorCodec } from '#shared/platform/dynamodb/cursor.ts';
import { rejection } from '#test/helpers/fakes.ts';

// The cursor key from Secrets Manager, as the functions read it (cached, two keys during a
// rotation), and its rotation as Secrets Manager drives it: the local stand-in on the service's
// wire protocol, the real SDK client, the real rotation code.

const REGION = 'eu-west-1';
const NAME = 'crm-test/cursor-hmac-key';
const STATE = { q: 'query', p: { main: null } };

let sm: LocalSecretsManager;
let client: SecretsManagerClient;
let arn: string;
let now = 0;
const clock = { now: () => new Date(now) };

const gets = () => sm.calls.filter((c) => c.action === 'GetSecretValue').length;

/** A codec as a fresh container makes it (its own cache). */
function containerCodec(options: { ttlMs?: number } = {}): CursorCodec {
  return new CursorCodec(secretsManagerCursorKeys({ client: () => client, secretId: () => arn, clock, ...options }));
}

async function encode(codec: CursorCodec): Promise<string> {
  await codec.ready();
  return codec.encode(STATE);
}

async function decodes(codec: CursorCodec, cursor: string): Promise<boolean> {
  await codec.ready();
  try {
    codec.decode(cursor, 'query');
    return true;
  } catch (error) {
    if (error instanceof ValidationError) return false;
    throw error;
  }
}

async function rotate(): Promise<string> {
  const out = await client.send(new RotateSecretCommand({ SecretId: arn }));
  return out.VersionId!;
}

const value = async (stage: string) =>
  (await client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }))).SecretString;

beforeEach(async () => {
  now = 1_000_000;
  sm = await startLocalSecretsManager({
    scope: { accountId: '000000000000', region: REGION },
    rotate: async (event) => {
      await rotateCursorKey(client, arn, event);
    },
  });
  client = new SecretsManagerClient({
    endpoint: sm.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  ({ arn } = await ensureLocalSecret({ endpoint: sm.endpoint, region: REGION, name: NAME }));
});

afterEach(async () => {
  client.destroy();
  await sm.stop();
});

describe('local Secrets Manager', () => {
  it('serves a secret by name, full ARN and partial ARN, and no other ARN', async () => {
    expect(arn).toBe(`arn:aws:secretsmanager:${REGION}:000000000000:secret:${NAME}${LOCAL_SECRET_SUFFIX}`);
    const byName = await client.send(new GetSecretValueCommand({ SecretId: NAME }));
    expect(byName).toMatchObject({ ARN: arn, Name: NAME, VersionStages: ['AWSCURRENT'] });
    expect(byName.SecretString).toHaveLength(64);
    expect((await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString).toBe(byName.SecretString);
    const partial = arn.slice(0, -LOCAL_SECRET_SUFFIX.length);
    expect((await client.send(new GetSecretValueCommand({ SecretId: partial }))).SecretString).toBe(byName.SecretString);
    const other = `${partial}-AbCdEf`;
    expect(await rejection(client.send(new GetSecretValueCommand({ SecretId: other })))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
    // No rotation yet: no AWSPREVIOUS.
    expect(await rejection(client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSPREVIOUS' })))).toMatchObject(
      { name: 'ResourceNotFoundException' },
    );
  });

  it('keeps staging labels as AWS does: AWSCURRENT moved leaves AWSPREVIOUS, a held label needs RemoveFromVersionId', async () => {
    const first = await value('AWSCURRENT');
    await client.send(
      new PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: 'v2',
        SecretString: 'second-key-0123456789',
        VersionStages: ['AWSPENDING'],
      }),
    );
    expect(await value('AWSCURRENT')).toBe(first);
    const moving = client.send(
      new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSCURRENT', MoveToVersionId: 'v2' }),
    );
    expect(await rejection(moving)).toMatchObject({ name: 'InvalidParameterException' });
    const { VersionIdsToStages: before } = await client.send(new DescribeSecretCommand({ SecretId: arn }));
    const current = Object.entries(before!).find(([, s]) => s.includes('AWSCURRENT'))![0];
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: 'v2',
        RemoveFromVersionId: current,
      }),
    );
    expect(await value('AWSCURRENT')).toBe('second-key-0123456789');
    expect(await value('AWSPREVIOUS')).toBe(first);
  });

  it('keeps secrets in its file across restarts', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'crm-sm-'));
    try {
      const scope = { accountId: '000000000000', region: REGION };
      const one = await startLocalSecretsManager({ scope, file: join(dir, 'secrets.json') });
      const made = await ensureLocalSecret({ endpoint: one.endpoint, region: REGION, name: NAME });
      await one.stop();
      const two = await startLocalSecretsManager({ scope, file: join(dir, 'secrets.json') });
      const again = await ensureLocalSecret({ endpoint: two.endpoint, region: REGION, name: NAME });
      await two.stop();
      expect(made.created).toBe(true);
      expect(again).toEqual({ arn: made.arn, created: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cursor key rotation', () => {
  it('makes a new AWSCURRENT key and keeps the old one as AWSPREVIOUS', async () => {
    const before = await value('AWSCURRENT');
    const version = await rotate();
    const after = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    expect(after.VersionId).toBe(version);
    expect(after.SecretString).not.toBe(before);
    expect(after.SecretString).toHaveLength(64);
    expect(await value('AWSPREVIOUS')).toBe(before);
    // The service's own steps, in order, then no label left pending.
    const { VersionIdsToStages } = await client.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(Object.values(VersionIdsToStages!).flat().sort()).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
  });

  it('accepts a cursor issued before one rotation, refuses it after two, and signs new cursors with the new key', async () => {
    const old = await encode(containerCodec());
    await rotate();
    // A container that starts now (or whose cache expired) reads both keys.
    const afterOne = containerCodec();
    expect(await decodes(afterOne, old)).toBe(true);
    const fresh = await encode(afterOne);
    expect(await decodes(new CursorCodec((await value('AWSCURRENT'))!), fresh)).toBe(true);
    expect(await decodes(new CursorCodec((await value('AWSPREVIOUS'))!), fresh)).toBe(false);
    await rotate();
    const afterTwo = containerCodec();
    expect(await decodes(afterTwo, old)).toBe(false);
    expect(await decodes(afterTwo, fresh)).toBe(true);
  });

  it('is idempotent step by step, as Secrets Manager retries a failed step', async () => {
    const token = 'retried-version-0001';
    const { VersionIdsToStages } = await client.send(new DescribeSecretCommand({ SecretId: arn }));
    const current = Object.keys(VersionIdsToStages!)[0]!;
    // As RotateSecret announces the version before the first step.
    await client.send(
      new PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: token,
        SecretString: 'x'.repeat(64),
        VersionStages: ['AWSPENDING'],
      }),
    );
    const step = (Step: string) => rotateCursorKey(client, arn, { SecretId: arn, ClientRequestToken: token, Step });
    expect(await step('createSecret')).toMatch(/already has its key/);
    expect(await step('setSecret')).toMatch(/nothing to do/);
    expect(await step('testSecret')).toMatch(/nothing to do/);
    await step('finishSecret');
    expect(await step('finishSecret')).toMatch(/already AWSCURRENT/);
    const { VersionIdsToStages: after } = await client.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(after![token]).toContain('AWSCURRENT');
    expect(after![current]).toEqual(['AWSPREVIOUS']);
  });

  it('rotates its own secret only, and refuses unknown steps and versions', async () => {
    const other = (await ensureLocalSecret({ endpoint: sm.endpoint, region: REGION, name: 'someone-else' })).arn;
    expect(
      await rejection(rotateCursorKey(client, arn, { SecretId: other, ClientRequestToken: 't', Step: 'createSecret' })),
    ).toMatchObject({ message: expect.stringContaining('rotates') });
    expect(
      await rejection(rotateCursorKey(client, arn, { SecretId: arn, ClientRequestToken: 'unknown', Step: 'createSecret' })),
    ).toMatchObject({ message: expect.stringContaining('not a version') });
    await client.send(
      new PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: 'pending',
        SecretString: 'y'.repeat(64),
        VersionStages: ['AWSPENDING'],
      }),
    );
    expect(
      await rejection(rotateCursorKey(client, arn, { SecretId: arn, ClientRequestToken: 'pending', Step: 'dropTable' })),
    ).toMatchObject({ message: expect.stringContaining('unknown rotation step') });
  });
});

describe('cursor keys per container', () => {
  it('reads the secret once per TTL (AWSCURRENT and AWSPREVIOUS), not per cursor', async () => {
    const codec = containerCodec();
    for (let i = 0; i < 5; i++) await encode(codec);
    expect(gets()).toBe(2);
    now += CURSOR_KEYS_TTL_MS - 1;
    await encode(codec);
    expect(gets()).toBe(2);
    now += 1;
    await encode(codec);
    expect(gets()).toBe(4);
  });

  it('takes a key rotated in since it last read on a refresh, but at most once per interval', async () => {
    const codec = containerCodec();
    await encode(codec);
    await rotate();
    // Another container, started after the rotation, signs with the new key.
    const newer = await encode(containerCodec());
    expect(await decodes(codec, newer)).toBe(false);
    const reads = gets();
    // Too soon after the last read: no call, no change (forged cursors cost nothing).
    expect(await codec.refresh()).toBe(false);
    expect(gets()).toBe(reads);
    now += CURSOR_KEYS_MIN_REFRESH_MS;
    expect(await codec.refresh()).toBe(true);
    expect(await decodes(codec, newer)).toBe(true);
  });

  it('does not cache a failed read: the next list tries again', async () => {
    let id = 'no-such-secret';
    const codec = new CursorCodec(secretsManagerCursorKeys({ client: () => client, secretId: () => id, clock }));
    expect(await rejection(codec.ready())).toMatchObject({ name: 'ResourceNotFoundException' });
    id = arn;
    await codec.ready();
    expect(codec.encode(STATE)).toMatch(/\./);
  });

  it('fails the list, naming the variable, when the function was given no secret', async () => {
    const codec = new CursorCodec(
      secretsManagerCursorKeys({
        client: () => client,
        secretId: () => {
          throw new Error('environment variable CURSOR_SECRET_ID is not set');
        },
        clock,
      }),
    );
    expect(await rejection(codec.ready())).toMatchObject({ message: expect.stringContaining('CURSOR_SECRET_ID') });
  });
});
