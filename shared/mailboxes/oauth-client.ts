import { OAuthGrantRevokedError, type MailboxOAuthProvider, type MailboxOAuthSettings, type TokenGrant } from './oauth.ts';
import type { MailboxOAuthClient } from './ports.ts';

// The providers' token endpoints over HTTPS (fetch), the client authenticated with its secret
// in the form body (client_secret_post: what both Google and Microsoft accept). The endpoints
// come from the deployment's config, which an admin writes and synth validates (https only):
// they are trusted like the rest of the config, so no public-address check here, unlike the
// users' own IMAP hosts and calendar URLs.

/** Milliseconds a token endpoint may take. */
const TIMEOUT_MS = 10_000;

export interface HttpMailboxOAuthClientOptions {
  settings: MailboxOAuthSettings;
  /** The provider's client secret (read at run time, e.g. from Secrets Manager; cached by the caller). */
  clientSecret: (provider: MailboxOAuthProvider) => Promise<string>;
}

/** A MailboxOAuthClient posting to each provider's token endpoint. */
export function httpMailboxOAuthClient(options: HttpMailboxOAuthClientOptions): MailboxOAuthClient {
  const post = async (provider: MailboxOAuthProvider, form: Record<string, string>): Promise<TokenGrant> => {
    const body = new URLSearchParams({
      ...form,
      client_id: provider.client_id,
      client_secret: await options.clientSecret(provider),
    });
    const response = await fetch(provider.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) {
      const error = typeof json.error === 'string' ? json.error : `HTTP ${response.status}`;
      const description = typeof json.error_description === 'string' ? `: ${json.error_description}` : '';
      // invalid_grant is the provider's "never again" for this code or refresh token (RFC 6749 §5.2).
      if (json.error === 'invalid_grant')
        throw new OAuthGrantRevokedError(`${provider.name} refused the grant (invalid_grant${description})`);
      throw new Error(`${provider.name}'s token endpoint answered ${error}${description}`);
    }
    if (typeof json.access_token !== 'string') throw new Error(`${provider.name}'s token endpoint answered no access_token`);
    return {
      access_token: json.access_token,
      ...(typeof json.refresh_token === 'string' ? { refresh_token: json.refresh_token } : {}),
      ...(typeof json.expires_in === 'number' ? { expires_in: json.expires_in } : {}),
      ...(typeof json.id_token === 'string' ? { id_token: json.id_token } : {}),
    };
  };
  return {
    settings: () => options.settings,
    exchange: (provider, code, verifier, redirectUri) =>
      post(provider, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri }),
    refresh: (provider, refreshToken) => post(provider, { grant_type: 'refresh_token', refresh_token: refreshToken }),
  };
}
