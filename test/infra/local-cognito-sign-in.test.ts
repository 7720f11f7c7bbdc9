import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCognito, type LocalCognito } from '#infra/local/cognito.ts';
import { DevAuth, LOCAL_CLIENT_ID } from '#infra/local/dev-auth.ts';

// The web app's sign-in on the Cognito stand-in: InitiateAuth with a password and with a refresh
// token, driven by the real SDK client; the ID token it returns is one the local API accepts.

const POOL = 'us-east-1_signInTest';
const PASSWORD = 'local-secret';
const auth = DevAuth.ephemeral();
let cognito: LocalCognito;
let client: CognitoIdentityProviderClient;

beforeAll(async () => {
  cognito = await startLocalCognito({
    userPoolId: POOL,
    signIn: {
      clientId: LOCAL_CLIENT_ID,
      password: PASSWORD,
      token: (u, ttlSeconds) => auth.token({ sub: u.sub, email: u.email, role: u.role as 'user' }, { ttlSeconds }),
    },
  });
  client = new CognitoIdentityProviderClient({
    endpoint: cognito.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await client.send(
    new AdminCreateUserCommand({
      UserPoolId: POOL,
      Username: 'rita@example.com',
      UserAttributes: [
        { Name: 'email', Value: 'rita@example.com' },
        { Name: 'custom:user_id', Value: 'U-RITA' },
      ],
    }),
  );
  await client.send(new AdminAddUserToGroupCommand({ UserPoolId: POOL, Username: 'rita@example.com', GroupName: 'manager' }));
});

afterAll(async () => {
  client?.destroy();
  await cognito?.stop();
});

const passwordAuth = (username: string, password: string, clientId = LOCAL_CLIENT_ID) =>
  client.send(
    new InitiateAuthCommand({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: clientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  );

describe('local Cognito sign-in', () => {
  it('signs a user in with the local password: an ID token the API accepts, with their id, email and role', async () => {
    const { AuthenticationResult: result } = await passwordAuth('rita@example.com', PASSWORD);
    expect(result).toMatchObject({ ExpiresIn: 3600, TokenType: 'Bearer', RefreshToken: expect.any(String) });
    const claims = await auth.verifier.verify(result!.IdToken!);
    expect(claims).toMatchObject({
      sub: 'U-RITA',
      'custom:user_id': 'U-RITA',
      email: 'rita@example.com',
      'cognito:groups': ['manager'],
    });
    // The password is never recorded with the calls.
    expect(JSON.stringify(cognito.calls)).not.toContain(PASSWORD);
  });

  it('refreshes with the refresh token, and refuses an unknown one', async () => {
    const { AuthenticationResult: first } = await passwordAuth('rita@example.com', PASSWORD);
    const { AuthenticationResult: next } = await client.send(
      new InitiateAuthCommand({
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        ClientId: LOCAL_CLIENT_ID,
        AuthParameters: { REFRESH_TOKEN: first!.RefreshToken! },
      }),
    );
    expect(await auth.verifier.verify(next!.IdToken!)).toMatchObject({ sub: 'U-RITA' });
    expect(next!.RefreshToken).toBeUndefined();
    await expect(
      client.send(
        new InitiateAuthCommand({
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          ClientId: LOCAL_CLIENT_ID,
          AuthParameters: { REFRESH_TOKEN: 'forged' },
        }),
      ),
    ).rejects.toMatchObject({ name: 'NotAuthorizedException' });
  });

  it('refuses a wrong password, an unknown user, another app client and a disabled user as Cognito does', async () => {
    await expect(passwordAuth('rita@example.com', 'nope')).rejects.toMatchObject({ name: 'NotAuthorizedException' });
    await expect(passwordAuth('nobody@example.com', PASSWORD)).rejects.toMatchObject({ name: 'NotAuthorizedException' });
    await expect(passwordAuth('rita@example.com', PASSWORD, 'other-client')).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await client.send(new AdminDisableUserCommand({ UserPoolId: POOL, Username: 'rita@example.com' }));
    await expect(passwordAuth('rita@example.com', PASSWORD)).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'User is disabled.',
    });
  });

  it('answers the browser’s CORS preflight', async () => {
    const answer = await fetch(cognito.endpoint, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://127.0.0.1:3080',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-amz-target',
      },
    });
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:3080');
    expect(answer.headers.get('access-control-allow-headers')).toContain('x-amz-target');
  });
});

describe('local Cognito without sign-in', () => {
  it('refuses InitiateAuth when the local cloud serves no web app', async () => {
    const bare = await startLocalCognito({ userPoolId: POOL });
    const c = new CognitoIdentityProviderClient({
      endpoint: bare.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      await expect(
        c.send(
          new InitiateAuthCommand({
            AuthFlow: 'USER_PASSWORD_AUTH',
            ClientId: LOCAL_CLIENT_ID,
            AuthParameters: { USERNAME: 'a', PASSWORD: 'b' },
          }),
        ),
      ).rejects.toMatchObject({ name: 'UnknownOperationException' });
    } finally {
      c.destroy();
      await bare.stop();
    }
  });
});
