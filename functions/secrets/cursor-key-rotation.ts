import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { logger } from '#shared/platform/observability.ts';
import { rotateCursorKey, type RotationEvent } from '#shared/platform/cursor-key-rotation.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';

// Secrets Manager invokes this on the cursor key's rotation schedule (30 days), once per step
// (createSecret, setSecret, testSecret, finishSecret). It rotates its own secret only.

const client = new SecretsManagerClient({});
const secretId = requireEnv(RUNTIME_ENV.cursorSecret);

export const handler = async (event: RotationEvent): Promise<void> => {
  logger.info(await rotateCursorKey(client, secretId, event), { step: event.Step, version_id: event.ClientRequestToken });
};
