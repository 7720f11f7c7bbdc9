import { config } from './config.ts';

// Sign-in against the Cognito user pool with InitiateAuth (USER_PASSWORD_AUTH), the same call
// in AWS and against the local stand-in. The ID token is the API's bearer token (the HTTP API's
// JWT authorizer checks it against the app client). Tokens live in sessionStorage (gone with
// the tab) and are refreshed with REFRESH_TOKEN_AUTH a minute before they expire.

/** One signed-in session; `expiresAt` in epoch milliseconds. */
export interface Session {
  email: string;
  idToken: string;
  refreshToken: string;
  expiresAt: number;
}

/** A refusal from Cognito: `type` is its exception name (NotAuthorizedException...). */
export class SignInError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

const KEY = 'crm.session';
const REFRESH_MARGIN_MS = 60_000;
let current: Session | null = read();
let timer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<() => void>();

function read(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

function store(session: Session | null): void {
  current = session;
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
  schedule();
  for (const listener of listeners) listener();
}

function schedule(): void {
  if (timer) clearTimeout(timer);
  if (!current) return;
  const wait = Math.max(0, current.expiresAt - Date.now() - REFRESH_MARGIN_MS);
  timer = setTimeout(() => void refresh().catch(() => store(null)), wait);
}

interface AuthResult {
  AuthenticationResult?: { IdToken: string; RefreshToken?: string; ExpiresIn: number };
  ChallengeName?: string;
}

async function initiateAuth(flow: string, parameters: Record<string, string>): Promise<AuthResult> {
  const { endpoint, clientId } = config().cognito;
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth',
    },
    body: JSON.stringify({ AuthFlow: flow, ClientId: clientId, AuthParameters: parameters }),
  });
  const body = (await response.json()) as AuthResult & { __type?: string; message?: string };
  if (!response.ok)
    throw new SignInError(
      String(body.__type ?? 'Error')
        .split('#')
        .pop() ?? 'Error',
      body.message ?? '',
    );
  return body;
}

/** Signs in with a password; throws SignInError (NotAuthorizedException for a wrong password). */
export async function signIn(email: string, password: string): Promise<Session> {
  const result = await initiateAuth('USER_PASSWORD_AUTH', { USERNAME: email, PASSWORD: password });
  const auth = result.AuthenticationResult;
  if (!auth?.RefreshToken) {
    throw new SignInError(
      result.ChallengeName ?? 'ChallengeRequired',
      `Cognito asks for ${result.ChallengeName ?? 'a challenge'}`,
    );
  }
  const session = {
    email,
    idToken: auth.IdToken,
    refreshToken: auth.RefreshToken,
    expiresAt: Date.now() + auth.ExpiresIn * 1000,
  };
  store(session);
  return session;
}

/** Trades the refresh token for a new ID token (Cognito keeps the refresh token). */
export async function refresh(): Promise<void> {
  if (!current) return;
  const result = await initiateAuth('REFRESH_TOKEN_AUTH', { REFRESH_TOKEN: current.refreshToken });
  const auth = result.AuthenticationResult;
  if (!auth) throw new SignInError('NotAuthorizedException', 'refresh refused');
  store({ ...current, idToken: auth.IdToken, expiresAt: Date.now() + auth.ExpiresIn * 1000 });
}

export function signOut(): void {
  store(null);
}

/** The current session, or null when signed out. */
export function session(): Session | null {
  return current;
}

/** A bearer token that is still valid, refreshing first when it is about to expire. */
export async function bearer(): Promise<string | null> {
  if (current && current.expiresAt - Date.now() < REFRESH_MARGIN_MS) await refresh().catch(() => store(null));
  return current?.idToken ?? null;
}

/** Calls `listener` on sign-in, refresh and sign-out; returns the unsubscribe function. */
export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

schedule();
