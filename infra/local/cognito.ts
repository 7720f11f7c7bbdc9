import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';

// The Cognito admin calls the directory sync makes, on Cognito's JSON wire protocol
// (X-Amz-Target: AWSCognitoIdentityProviderService.<Action>), so the function's real SDK
// client (endpoint from AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER) runs unchanged on a
// laptop. Users, groups and the enabled flag are kept (in a JSON file when one is given).
// Sign-in (InitiateAuth USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH, what the web app calls from
// the browser, with CORS as Cognito answers it) is served when `signIn` is given: every enabled
// user has the one local password, and the ID token is a dev token (dev-auth.ts).
//
// Served: AdminCreateUser, AdminGetUser, AdminListGroupsForUser, AdminAddUserToGroup,
// AdminRemoveUserFromGroup, AdminDisableUser, AdminEnableUser, AdminUserGlobalSignOut, and
// AdminSetUserMFAPreference (TOTP on or off; no authenticator is modelled, so a test or the
// operator activates a user's TOTP with it as the user would by enrolling an app). Errors are Cognito's
// (UsernameExistsException, UserNotFoundException, ResourceNotFoundException).

export interface LocalCognitoUser {
  username: string;
  attributes: Record<string, string>;
  groups: string[];
  enabled: boolean;
  createdAt: string;
  /** Activated MFA methods (Cognito's UserMFASettingList: "SOFTWARE_TOKEN_MFA" for TOTP). */
  mfa?: string[];
}

export interface LocalCognitoCall {
  action: string;
  input: Record<string, unknown>;
}

export interface LocalCognito {
  endpoint: string;
  userPoolId: string;
  /** Every call served, in order (tests). */
  readonly calls: readonly LocalCognitoCall[];
  users(): LocalCognitoUser[];
  stop(): Promise<void>;
}

/** Local sign-in: one password for every user, tokens minted by the dev key. */
export interface LocalSignIn {
  /** The app client the browser names (ClientId); others are refused as Cognito does. */
  clientId: string;
  password: string;
  /** A Cognito-shaped ID token for the user (`custom:user_id`, email, role group) valid `ttlSeconds`. */
  token: (user: { sub: string; email: string; role: string }, ttlSeconds: number) => string;
  /** ID token lifetime (Cognito's default is one hour). */
  ttlSeconds?: number;
}

export interface LocalCognitoOptions {
  userPoolId: string;
  signIn?: LocalSignIn;
  /** Where users are kept between runs; none keeps them in memory. */
  file?: string;
  port?: number;
  /** One line per change (the invitation says how to get a local token). */
  log?: (line: string) => void;
}

class CognitoError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

export async function startLocalCognito(options: LocalCognitoOptions): Promise<LocalCognito> {
  const users = new Map<string, LocalCognitoUser>();
  if (options.file && existsSync(options.file)) {
    for (const user of JSON.parse(readFileSync(options.file, 'utf8')) as LocalCognitoUser[]) users.set(user.username, user);
  }
  const calls: LocalCognitoCall[] = [];
  const log = options.log ?? (() => undefined);

  const save = () => {
    if (!options.file) return;
    mkdirSync(dirname(options.file), { recursive: true });
    writeFileSync(`${options.file}.tmp`, JSON.stringify([...users.values()], null, 2));
    renameSync(`${options.file}.tmp`, options.file);
  };
  const userOf = (input: Record<string, unknown>): LocalCognitoUser => {
    const user = users.get(String(input.Username ?? ''));
    if (!user) throw new CognitoError('UserNotFoundException', 'User does not exist.');
    return user;
  };
  const view = (user: LocalCognitoUser) => ({
    Username: user.username,
    Attributes: Object.entries(user.attributes).map(([Name, Value]) => ({ Name, Value })),
    UserCreateDate: Date.parse(user.createdAt) / 1000,
    UserLastModifiedDate: Date.parse(user.createdAt) / 1000,
    Enabled: user.enabled,
    UserStatus: 'FORCE_CHANGE_PASSWORD',
  });

  const refreshTokens = new Map<string, string>();
  const issue = (user: LocalCognitoUser, signIn: LocalSignIn, refreshToken?: string) => {
    const ttl = signIn.ttlSeconds ?? 3600;
    const claims = {
      sub: user.attributes['custom:user_id'] ?? user.username,
      email: user.username,
      role: user.groups[0] ?? 'user',
    };
    const token = signIn.token(claims, ttl);
    return {
      AuthenticationResult: {
        IdToken: token,
        AccessToken: token,
        ExpiresIn: ttl,
        TokenType: 'Bearer',
        ...(refreshToken ? { RefreshToken: refreshToken } : {}),
      },
      ChallengeParameters: {},
    };
  };

  const actions: Record<string, (input: Record<string, unknown>) => unknown> = {
    InitiateAuth(input) {
      const signIn = options.signIn;
      if (!signIn) throw new CognitoError('UnknownOperationException', 'sign-in is not served by this stand-in');
      if (input.ClientId !== signIn.clientId)
        throw new CognitoError('ResourceNotFoundException', 'User pool client does not exist.');
      const parameters = (input.AuthParameters ?? {}) as Record<string, string>;
      if (input.AuthFlow === 'USER_PASSWORD_AUTH') {
        const name = String(parameters.USERNAME ?? '');
        const user = users.get(name) ?? users.get(name.toLowerCase());
        if (!user || parameters.PASSWORD !== signIn.password) {
          throw new CognitoError('NotAuthorizedException', 'Incorrect username or password.');
        }
        if (!user.enabled) throw new CognitoError('NotAuthorizedException', 'User is disabled.');
        const refreshToken = randomUUID();
        refreshTokens.set(refreshToken, user.username);
        return issue(user, signIn, refreshToken);
      }
      if (input.AuthFlow === 'REFRESH_TOKEN_AUTH' || input.AuthFlow === 'REFRESH_TOKEN') {
        const user = users.get(refreshTokens.get(String(parameters.REFRESH_TOKEN ?? '')) ?? '');
        if (!user?.enabled) throw new CognitoError('NotAuthorizedException', 'Invalid Refresh Token');
        return issue(user, signIn);
      }
      throw new CognitoError('InvalidParameterException', `AuthFlow ${String(input.AuthFlow)} is not served locally`);
    },
    AdminCreateUser(input) {
      const username = String(input.Username ?? '');
      if (!username) throw new CognitoError('InvalidParameterException', 'Username is required');
      if (users.has(username))
        throw new CognitoError('UsernameExistsException', 'An account with the given email already exists.');
      const attributes = Object.fromEntries(
        ((input.UserAttributes ?? []) as { Name: string; Value: string }[]).map((a) => [a.Name, a.Value]),
      );
      const user: LocalCognitoUser = { username, attributes, groups: [], enabled: true, createdAt: new Date().toISOString() };
      users.set(username, user);
      log(`cognito: invited ${username}; get a local token with \`npm run token -- ${username}\``);
      return { User: view(user) };
    },
    AdminGetUser(input) {
      const user = userOf(input);
      const { Attributes, ...rest } = view(user);
      const mfa = user.mfa ?? [];
      return {
        ...rest,
        UserAttributes: Attributes,
        ...(mfa.length ? { UserMFASettingList: mfa, PreferredMfaSetting: mfa[0] } : {}),
      };
    },
    AdminSetUserMFAPreference(input) {
      const user = userOf(input);
      const totp = input.SoftwareTokenMfaSettings as { Enabled?: boolean } | undefined;
      if (totp?.Enabled !== undefined) {
        const others = (user.mfa ?? []).filter((m) => m !== 'SOFTWARE_TOKEN_MFA');
        user.mfa = totp.Enabled ? ['SOFTWARE_TOKEN_MFA', ...others] : others;
      }
      return {};
    },
    AdminListGroupsForUser(input) {
      const user = userOf(input);
      // One page: a CRM user is in one role group (Cognito pages at 60).
      return {
        Groups: user.groups.map((GroupName) => ({ GroupName, UserPoolId: options.userPoolId })),
      };
    },
    AdminAddUserToGroup(input) {
      const user = userOf(input);
      const group = String(input.GroupName ?? '');
      if (!user.groups.includes(group)) user.groups.push(group);
      return {};
    },
    AdminRemoveUserFromGroup(input) {
      const user = userOf(input);
      user.groups = user.groups.filter((g) => g !== input.GroupName);
      return {};
    },
    AdminDisableUser(input) {
      userOf(input).enabled = false;
      log(`cognito: ${String(input.Username)} disabled`);
      return {};
    },
    AdminEnableUser(input) {
      userOf(input).enabled = true;
      log(`cognito: ${String(input.Username)} enabled`);
      return {};
    },
    AdminUserGlobalSignOut(input) {
      userOf(input);
      return {};
    },
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // Cognito answers browsers' CORS requests (the web app signs in from its own origin).
      const cors = {
        'access-control-allow-origin': String(req.headers.origin ?? '*'),
        'access-control-allow-headers': 'content-type,x-amz-target,x-amz-user-agent,authorization',
        'access-control-allow-methods': 'POST',
        'access-control-max-age': '600',
      };
      if (req.method === 'OPTIONS') {
        res.writeHead(204, cors);
        res.end();
        return;
      }
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...cors });
        res.end(JSON.stringify(body));
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target.replace(/^AWSCognitoIdentityProviderService\./, '');
      try {
        const serve = actions[action];
        if (!target.startsWith('AWSCognitoIdentityProviderService.') || !serve) {
          throw new CognitoError('UnknownOperationException', `${target || 'this request'} is not served locally`);
        }
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        calls.push({ action, input: action === 'InitiateAuth' ? { ...input, AuthParameters: '(redacted)' } : input });
        // InitiateAuth names the app client, not the pool.
        if (action !== 'InitiateAuth' && input.UserPoolId !== options.userPoolId) {
          throw new CognitoError('ResourceNotFoundException', `User pool ${String(input.UserPoolId)} does not exist.`);
        }
        const out = serve(input);
        if (action !== 'InitiateAuth') save();
        reply(200, out);
      } catch (error) {
        if (error instanceof CognitoError) reply(400, { __type: error.type, message: error.message });
        else reply(500, { __type: 'InternalErrorException', message: (error as Error).message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    userPoolId: options.userPoolId,
    calls,
    users: () => [...users.values()],
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
