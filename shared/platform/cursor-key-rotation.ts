import { randomBytes } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

// Rotation of the cursor HMAC key, Secrets Manager's four-step protocol
// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html):
// createSecret puts a new random key as AWSPENDING; setSecret and testSecret have nothing to
// do (no other system holds the key); finishSecret moves AWSCURRENT to it, which leaves the
// old key AWSPREVIOUS. Readers accept both (cursor-keys.ts), so cursors survive one rotation.
// Every step is idempotent: Secrets Manager retries a step that failed.

/** What Secrets Manager sends at each step. */
export interface RotationEvent {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly Step: string;
}

/** The key's length: as the stack's first key (64 characters). */
const KEY_BYTES = 48;

/**
 * Runs one step for `event`. `secretId` is the only secret this function may rotate (its
 * CURSOR_SECRET_ID): another one is refused, whatever its grants.
 * @throws Error on an unknown step, another secret, or a token that is not this rotation's.
 */
export async function rotateCursorKey(client: SecretsManagerClient, secretId: string, event: RotationEvent): Promise<string> {
  const { SecretId: id, ClientRequestToken: token, Step: step } = event;
  if (id !== secretId) throw new Error(`this function rotates ${secretId} only, not ${id}`);
  const described = await client.send(new DescribeSecretCommand({ SecretId: id }));
  const versions = described.VersionIdsToStages ?? {};
  const stages = versions[token];
  if (!stages) throw new Error(`version ${token} is not a version of ${id}`);
  if (stages.includes('AWSCURRENT')) return `${step}: version ${token} is already AWSCURRENT`;
  if (!stages.includes('AWSPENDING')) throw new Error(`version ${token} of ${id} is not AWSPENDING`);

  switch (step) {
    case 'createSecret':
      return createSecret(client, id, token);
    case 'setSecret':
    case 'testSecret':
      // The key lives in this secret only: there is no other system to set or test it on.
      return `${step}: nothing to do`;
    case 'finishSecret': {
      const current = Object.entries(versions).find(([, s]) => s.includes('AWSCURRENT'))?.[0];
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: id,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: token,
          ...(current ? { RemoveFromVersionId: current } : {}),
        }),
      );
      return `finishSecret: version ${token} is AWSCURRENT`;
    }
    default:
      throw new Error(`unknown rotation step "${step}"`);
  }
}

async function createSecret(client: SecretsManagerClient, id: string, token: string): Promise<string> {
  // A retried createSecret finds the key it put the first time.
  try {
    await client.send(new GetSecretValueCommand({ SecretId: id, VersionId: token, VersionStage: 'AWSPENDING' }));
    return `createSecret: version ${token} already has its key`;
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  await client.send(
    new PutSecretValueCommand({
      SecretId: id,
      ClientRequestToken: token,
      SecretString: randomBytes(KEY_BYTES).toString('base64url'),
      VersionStages: ['AWSPENDING'],
    }),
  );
  return `createSecret: version ${token} has a new key`;
}
