import { GetSecretValueCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { cursorSecretName } from '#infra/local/environment.ts';
import { loadConfig } from '#infra/config/load.ts';
import { createContactRoute, listContactsRoute } from '#shared/contacts/routes.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';

// The cursor key in the local cloud as in AWS: a secret of the Secrets Manager stand-in, read by
// the functions at run time; RotateSecret runs the registry's rotation function in its worker,
// and a cursor issued before the rotation still pages after it.

const session = useTestCloud();
const { call } = session;
let client: SecretsManagerClient | undefined;
afterAll(() => client?.destroy());

describe('the cursor key in the local cloud', () => {
  it('is rotated by the rotation function, and a cursor from before the rotation still pages', async () => {
    for (let i = 0; i < 3; i++) bodyOf(await call(createContactRoute, { as: 'rep1', body: { last_name: `Rotation ${i}` } }), 201);
    const first = bodyOf(await call(listContactsRoute, { as: 'rep1', query: { limit: 1 } }));
    expect(first.next_cursor).toEqual(expect.any(String));

    client = new SecretsManagerClient({
      endpoint: session.cloud.secretsManager.endpoint,
      region: loadConfig().region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const SecretId = cursorSecretName(loadConfig());
    const before = await client.send(new GetSecretValueCommand({ SecretId }));
    const rotated = await client.send(new RotateSecretCommand({ SecretId }));
    const after = await client.send(new GetSecretValueCommand({ SecretId }));
    expect(after.VersionId).toBe(rotated.VersionId);
    expect(after.SecretString).not.toBe(before.SecretString);
    expect((await client.send(new GetSecretValueCommand({ SecretId, VersionStage: 'AWSPREVIOUS' }))).SecretString).toBe(
      before.SecretString,
    );

    const second = bodyOf(await call(listContactsRoute, { as: 'rep1', query: { limit: 1, cursor: first.next_cursor! } }));
    expect(second.items).toHaveLength(1);
    expect(second.items[0]!.id).not.toBe(first.items[0]!.id);
  });
});
