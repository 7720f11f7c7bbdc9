import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod/mini';

// Connecting a mailbox with OAuth2 (Gmail, Outlook): the authorization code flow with PKCE
// (RFC 7636, S256) and a `state` bound to the user who started it, single use and short-lived.
// The browser goes to the provider's authorization URL, comes back to the web app with `code`
// and `state`, and the web app hands both to the API as the same signed-in user, which
// exchanges the code (with the client secret: Google's and Microsoft's web clients are
// confidential) and connects the account named by the id token's `email` claim.

/** Seconds a started flow may take before its state is refused (and DynamoDB's TTL drops it). */
export const OAUTH_STATE_TTL_SECONDS = 600;

/** An access token is refreshed this many seconds before the expiry the token endpoint gave. */
export const ACCESS_TOKEN_MARGIN_SECONDS = 300;

/** A provider as the deployment's config names it (config `mailbox_oauth.<name>`). */
export interface MailboxOAuthProvider {
  /** The config's key, e.g. "google". */
  name: string;
  client_id: string;
  authorization_endpoint: string;
  token_endpoint: string;
  /** Space-separated scopes: IMAP access, and `openid email` for the id token's address. */
  scope: string;
  /** Extra authorization URL parameters (Google: access_type=offline and prompt=consent for a refresh token). */
  authorization_params: Record<string, string>;
  imap_host: string;
  imap_port: number;
  /** Implicit TLS (true for Gmail's and Outlook's port 993). */
  imap_tls: boolean;
}

/** What the mailbox OAuth flow needs from the deployment: its providers and the web app's return address. */
export interface MailboxOAuthSettings {
  /** Where the provider sends the browser back: a page of the web app that calls POST /mailboxes/oauth/callback. */
  redirect_uri: string;
  providers: readonly MailboxOAuthProvider[];
}

export const startMailboxOAuthInput = z.strictObject({
  /** A provider of the config's mailbox_oauth (e.g. "google", "microsoft"). */
  provider: z.string().check(z.minLength(1), z.maxLength(40)),
});
export type StartMailboxOAuthInput = z.infer<typeof startMailboxOAuthInput>;

export const mailboxOAuthStartSchema = z.object({
  /** Send the browser here; the provider returns it to the redirect URI with `code` and `state`. */
  authorization_url: z.string(),
  state: z.string(),
  /** When the state stops being accepted (ISO 8601). */
  expires_at: z.string(),
});
export type MailboxOAuthStart = z.infer<typeof mailboxOAuthStartSchema>;

export const finishMailboxOAuthInput = z.strictObject({
  code: z.string().check(z.minLength(1), z.maxLength(4096)),
  state: z.string().check(z.minLength(1), z.maxLength(200)),
});
export type FinishMailboxOAuthInput = z.infer<typeof finishMailboxOAuthInput>;

/** A started flow as stored until its callback (or its TTL). */
export interface OAuthState {
  state: string;
  owner_id: string;
  provider: string;
  /** The PKCE code verifier: only the exchange sends it, never the browser. */
  verifier: string;
  redirect_uri: string;
  /** Epoch seconds after which the state is refused (also the item's TTL). */
  expires_at: number;
}

/** 32 random bytes, base64url (43 characters): states and PKCE verifiers (RFC 7636 §4.1). */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The S256 code challenge of a verifier (RFC 7636 §4.2). */
export function codeChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** The provider's authorization URL for this state and verifier (authorization code, PKCE S256). */
export function authorizationUrl(provider: MailboxOAuthProvider, state: OAuthState): string {
  const url = new URL(provider.authorization_endpoint);
  const params = {
    ...provider.authorization_params,
    response_type: 'code',
    client_id: provider.client_id,
    redirect_uri: state.redirect_uri,
    scope: provider.scope,
    state: state.state,
    code_challenge: codeChallenge(state.verifier),
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

/**
 * The address an id token names: its `email` claim, else Microsoft's `preferred_username` when
 * it is an address; undefined when neither (or not a JWT). The signature is not checked: the
 * token came straight from the provider's token endpoint over TLS (OpenID Connect Core §3.1.3.7).
 */
export function idTokenAddress(idToken: string | undefined): string | undefined {
  const payload = idToken?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (claims.email_verified === false) return undefined;
    for (const claim of [claims.email, claims.preferred_username]) {
      if (typeof claim === 'string' && /^[^@\s]+@[^@\s]+$/.test(claim)) return claim.toLowerCase();
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** A token endpoint's answer (RFC 6749 §5.1). */
export interface TokenGrant {
  access_token: string;
  /** Absent when the provider keeps the refresh token it had (no rotation). */
  refresh_token?: string;
  /** Seconds the access token lasts (3600 when the provider does not say). */
  expires_in?: number;
  id_token?: string;
}

/** The provider refused a grant for good (`invalid_grant`: revoked, expired, or not this client's). */
export class OAuthGrantRevokedError extends Error {
  override readonly name = 'OAuthGrantRevokedError';
}
