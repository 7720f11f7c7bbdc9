import { config } from './config.ts';

// Two ways in, one session. In AWS (config.json names `cognito.domain`): Cognito's hosted sign-in,
// the OAuth 2.0 authorization code flow with PKCE (RFC 7636: a public client, no secret), tokens
// from the domain's /oauth2/token and refreshed there (grant_type=refresh_token; with rotation on,
// each answer brings a new refresh token, kept). Locally: the seeded users against the Cognito
// stand-in's InitiateAuth (USER_PASSWORD_AUTH, refreshed with REFRESH_TOKEN_AUTH). The ID token is
// the API's bearer token (the HTTP API's JWT authorizer checks it against the app client). Tokens
// live in sessionStorage (gone with the tab) and are refreshed a minute before they expire.

/** One signed-in session; `expiresAt` in epoch milliseconds; `via` says how it refreshes. */
export interface Session {
  email: string;
  idToken: string;
  refreshToken: string;
  expiresAt: number;
  via?: 'password' | 'hosted';
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
  const session: Session = {
    email,
    idToken: auth.IdToken,
    refreshToken: auth.RefreshToken,
    expiresAt: Date.now() + auth.ExpiresIn * 1000,
    via: 'password',
  };
  store(session);
  return session;
}

let refreshing: Promise<void> | null = null;

/**
 * Trades the refresh token for a new ID token. One at a time: with rotation a refresh token works
 * once, and a second use of it revokes the whole grant at a standard provider.
 */
export function refresh(): Promise<void> {
  refreshing ??= (current?.via === 'hosted' ? refreshHosted() : refreshPassword()).finally(() => (refreshing = null));
  return refreshing;
}

async function refreshPassword(): Promise<void> {
  if (!current) return;
  const result = await initiateAuth('REFRESH_TOKEN_AUTH', { REFRESH_TOKEN: current.refreshToken });
  const auth = result.AuthenticationResult;
  if (!auth) throw new SignInError('NotAuthorizedException', 'refresh refused');
  store({ ...current, idToken: auth.IdToken, expiresAt: Date.now() + auth.ExpiresIn * 1000 });
}

async function refreshHosted(): Promise<void> {
  if (!current) return;
  const tokens = await tokenRequest({ grant_type: 'refresh_token', refresh_token: current.refreshToken });
  store(fromTokens(tokens, current.refreshToken));
}

// ---- The hosted sign-in (authorization code + PKCE) ----

const PKCE_KEY = 'crm.pkce';
let hostedError: SignInError | null = null;

/** True when config.json names a hosted sign-in domain (in AWS): the app sends people there. */
export function hostedSignIn(): boolean {
  return Boolean(config().cognito.domain);
}

/** Where the provider sends the browser back: the app's origin, which is Cognito's registered callback URL (app_url). */
function redirectUri(): string {
  return config().cognito.redirectUri ?? window.location.origin;
}

function endpoint(path: string): string {
  return `${config().cognito.domain!.replace(/\/+$/, '')}${path}`;
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(bytes: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/**
 * Sends the browser to the hosted sign-in with a fresh PKCE verifier (S256) and state, both kept in
 * sessionStorage for the way back; `next` is the app path to open after. Does not return.
 */
export async function startHostedSignIn(next?: string): Promise<void> {
  const verifier = randomString(32); // 43 characters, the minimum RFC 7636 allows
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  const state = randomString(16);
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, next }));
  const url = new URL(endpoint('/oauth2/authorize'));
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config().cognito.clientId,
    redirect_uri: redirectUri(),
    scope: config().cognito.scopes ?? 'openid email profile',
    state,
    code_challenge: base64url(new Uint8Array(digest)),
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.toString());
}

/**
 * Finishes a hosted sign-in when the page's URL is the provider's answer (`code` and `state`, or
 * `error`): checks the state, trades the code and the verifier for tokens, and returns the app path
 * to open (the `next` given at the start, else "/"). Returns null when the URL is no such answer.
 * Throws SignInError (`InvalidState`, the provider's `error`, or the token endpoint's).
 */
export async function completeHostedSignIn(): Promise<string | null> {
  const params = new URLSearchParams(window.location.search);
  const code = params.get('code');
  const error = params.get('error');
  const raw = sessionStorage.getItem(PKCE_KEY);
  if ((!code && !error) || !raw) return null;
  sessionStorage.removeItem(PKCE_KEY);
  const pending = JSON.parse(raw) as { verifier: string; state: string; next?: string };
  if (params.get('state') !== pending.state) throw new SignInError('InvalidState', 'the answer is not for this sign-in');
  if (error) throw new SignInError(error, params.get('error_description') ?? '');
  const tokens = await tokenRequest({
    grant_type: 'authorization_code',
    code: code!,
    redirect_uri: redirectUri(),
    code_verifier: pending.verifier,
  });
  store(fromTokens(tokens));
  return pending.next && pending.next.startsWith('/') && !pending.next.startsWith('/signin') ? pending.next : '/';
}

/** Runs `completeHostedSignIn` at start-up and clears the code from the address bar; keeps a failure for the sign-in page. */
export async function finishSignInRedirect(): Promise<void> {
  try {
    const next = await completeHostedSignIn();
    if (next) window.history.replaceState(null, '', next);
  } catch (e) {
    hostedError = e instanceof SignInError ? e : new SignInError('Error', String(e));
    window.history.replaceState(null, '', '/signin');
  }
}

/** The failure of the last hosted sign-in, if any (shown by the sign-in page). */
export function hostedSignInError(): SignInError | null {
  return hostedError;
}

interface TokenAnswer {
  id_token: string;
  refresh_token?: string;
  expires_in: number;
}

async function tokenRequest(form: Record<string, string>): Promise<TokenAnswer> {
  const response = await fetch(endpoint('/oauth2/token'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...form, client_id: config().cognito.clientId }),
  });
  const body = (await response.json().catch(() => ({}))) as Partial<TokenAnswer> & {
    error?: string;
    error_description?: string;
  };
  if (!response.ok || !body.id_token) throw new SignInError(body.error ?? 'invalid_response', body.error_description ?? '');
  return body as TokenAnswer;
}

function claims(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1] ?? '';
  const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
}

function fromTokens(tokens: TokenAnswer, previousRefreshToken?: string): Session {
  const refreshToken = tokens.refresh_token ?? previousRefreshToken;
  if (!refreshToken) throw new SignInError('invalid_response', 'no refresh token');
  const c = claims(tokens.id_token);
  return {
    email: String(c.email ?? c['cognito:username'] ?? c.sub ?? ''),
    idToken: tokens.id_token,
    refreshToken,
    expiresAt: Date.now() + tokens.expires_in * 1000,
    via: 'hosted',
  };
}

/**
 * Ends the session. After a hosted sign-in, `everywhere` also ends the provider's session (Cognito's
 * /logout, back to the app), or the next sign-in would pass through without asking.
 */
export function signOut(everywhere = false): void {
  const was = current;
  store(null);
  if (everywhere && was?.via === 'hosted') {
    const url = new URL(endpoint('/logout'));
    url.search = new URLSearchParams({ client_id: config().cognito.clientId, logout_uri: redirectUri() }).toString();
    window.location.assign(url.toString());
  }
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

/**
 * Starts the refresh timer of a session kept from before a reload, and finishes a hosted sign-in
 * when the URL is the provider's answer. main.tsx calls it once config.json is loaded (both need it).
 */
export async function resumeSession(): Promise<void> {
  schedule();
  await finishSignInRedirect();
}
