import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminGetUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCognito, type LocalCognito } from '#infra/local/cognito.ts';
import { CognitoUserDirectory } from '#shared/identity/cognito.ts';

// The Cognito admin calls of the directory sync, served on Cognito's wire protocol and driven
// by the real SDK client and the real adapter, as the local cloud runs them.

const POOL = 'eu-west-1_localTest';
const dir = mkdtempSync(join(tmpdir(), 'crm-cognito-'));
const file = join(dir, 'users.json');
let cognito: LocalCognito;
let client: CognitoIdentityProviderClient;

const clientFor = (endpoint: string) =>
  new CognitoIdentityProviderClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

beforeAll(async () => {
  cognito = await startLocalCognito({ userPoolId: POOL, file });
  client = clientFor(cognito.endpoint);
});

afterAll(async () => {
  client?.destroy();
  await cognito?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ada = { id: 'u-1', email: 'ada@example.com', name: 'Ada', role: 'admin' as const };

describe('local Cognito admin calls', () => {
  it('invites a user into their group, and takes a redelivered invitation without a second user', async () => {
    const directory = new CognitoUserDirectory({ client, userPoolId: POOL });
    await directory.invite(ada);
    await directory.invite(ada);
    expect(cognito.users()).toEqual([
      expect.objectContaining({
        username: 'ada@example.com',
        groups: ['admin'],
        enabled: true,
        attributes: expect.objectContaining({ 'custom:user_id': 'u-1', email: 'ada@example.com' }),
      }),
    ]);
    expect(cognito.calls.filter((c) => c.action === 'AdminCreateUser')).toHaveLength(2);
  });

  it('moves a user between groups and disables and enables them', async () => {
    const directory = new CognitoUserDirectory({ client, userPoolId: POOL });
    await directory.setRole('u-1', ada.email, 'manager', 'admin');
    await directory.setEnabled('u-1', ada.email, false);
    expect(cognito.users()[0]).toMatchObject({ groups: ['manager'], enabled: false });
    await directory.setEnabled('u-1', ada.email, true);
    const user = await client.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: ada.email }));
    expect(user).toMatchObject({ Username: ada.email, Enabled: true });
    expect(user.UserAttributes).toContainEqual({ Name: 'name', Value: 'Ada' });
  });

  it("answers Cognito's errors: an unknown user, another pool", async () => {
    await expect(
      client.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: 'nobody@example.com' })),
    ).rejects.toMatchObject({ name: 'UserNotFoundException' });
    await expect(
      client.send(new AdminGetUserCommand({ UserPoolId: 'eu-west-1_other', Username: ada.email })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('keeps its users across a restart on the same file', async () => {
    const again = await startLocalCognito({ userPoolId: POOL, file });
    const other = clientFor(again.endpoint);
    try {
      const user = await other.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: ada.email }));
      expect(user.Username).toBe(ada.email);
    } finally {
      other.destroy();
      await again.stop();
    }
  });
});

describe('admin MFA status from Cognito', () => {
  it('is TOTP in AdminGetUser, cached per user for a minute, and false for an unknown user', async () => {
    const { AdminSetUserMFAPreferenceCommand } = await import('@aws-sdk/client-cognito-identity-provider');
    const { CognitoMfaStatus, MFA_STATUS_TTL_MS } = await import('#shared/identity/cognito.ts');
    let now = 0;
    const status = new CognitoMfaStatus({ client, userPoolId: POOL, clock: { now: () => new Date(now) } });
    const email = 'mfa-admin@example.com';
    await new CognitoUserDirectory({ client, userPoolId: POOL }).invite({ id: 'u-mfa', email, name: 'Mia', role: 'admin' });
    expect(await status.hasMfa(email)).toBe(false);
    await client.send(
      new AdminSetUserMFAPreferenceCommand({ UserPoolId: POOL, Username: email, SoftwareTokenMfaSettings: { Enabled: true } }),
    );
    const asked = () => cognito.calls.filter((c) => c.action === 'AdminGetUser' && c.input.Username === email).length;
    const before = asked();
    // Cached: the activation shows once the entry is a minute old.
    expect(await status.hasMfa(email)).toBe(false);
    expect(asked()).toBe(before);
    now += MFA_STATUS_TTL_MS;
    expect(await status.hasMfa(email)).toBe(true);
    expect(asked()).toBe(before + 1);
    expect(await status.hasMfa('nobody@example.com')).toBe(false);
  });
});
