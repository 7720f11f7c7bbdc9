import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';

// A small OAuth2 provider on loopback standing in for Google's or Microsoft's endpoints: the
// authorization endpoint (a test "consents" for a user with `approve`), the token endpoint
// (authorization_code with PKCE S256 and the client secret, refresh_token with rotation), and
// token introspection (RFC 7662) for Dovecot's oauth2 passdb. Tokens are opaque random strings.

/** What the provider's authorization endpoint got: the CRM's authorization URL, parsed. */
interface Authorization {
  clientId: string;
  redirectUri: string;
  state: string;
  challenge: string;
  scope: string;
}

export interface OAuthProvider {
  /** http://127.0.0.1:<port> */
  base: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  introspectionUrl: string;
  clientId: string;
  clientSecret: string;
  /**
   * The user consents: reads the CRM's authorization URL (must be this provider's, with PKCE
   * S256) and answers the code and state the provider would redirect back with.
   */
  approve(authorizationUrl: string, email: string): { code: string; state: string };
  /** Every access token issued so far stops working (their "expiry"). */
  expireAccessTokens(): void;
  /** Every refresh token issued so far is revoked (the user removed the app's access). */
  revokeRefreshTokens(): void;
  /** How many refresh_token grants the token endpoint served. */
  refreshes(): number;
  /** A fresh access token of `email` issued outside the flow (as to the user's own mail client). */
  accessTokenFor(email: string): string;
  /** Every access and refresh token ever issued for `email` (none may be stored in plaintext). */
  issuedTo(email: string): string[];
  stop(): Promise<void>;
}

const body = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
};
const token = () => randomBytes(24).toString('base64url');
const unsignedJwt = (claims: object) =>
  [{ alg: 'none', typ: 'JWT' }, claims].map((p) => Buffer.from(JSON.stringify(p)).toString('base64url')).join('.') + '.';

/**
 * Starts the provider on a free loopback port.
 * @param options.expiresIn seconds each access token says it lasts (default 3600)
 * @param options.rotateRefreshTokens a refresh grant answers a new refresh token and revokes the old
 */
export async function startOAuthProvider(
  options: { expiresIn?: number; rotateRefreshTokens?: boolean } = {},
): Promise<OAuthProvider> {
  const clientId = `crm-client-${token().slice(0, 8)}`;
  const clientSecret = token();
  const codes = new Map<string, Authorization & { email: string }>();
  const access = new Map<string, string>();
  const refresh = new Map<string, string>();
  let refreshCount = 0;
  const issued: { email: string; token: string }[] = [];
  const issue = (email: string, withRefresh: boolean) => {
    const accessToken = token();
    access.set(accessToken, email);
    issued.push({ email, token: accessToken });
    const out: Record<string, unknown> = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: options.expiresIn ?? 3600,
    };
    if (withRefresh) {
      const refreshToken = token();
      refresh.set(refreshToken, email);
      issued.push({ email, token: refreshToken });
      out.refresh_token = refreshToken;
    }
    return out;
  };
  const server: Server = createServer((req, res) => {
    const reply = (status: number, json: object) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    };
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.method === 'POST' && url.pathname === '/token') {
        const form = await body(req);
        if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret)
          return reply(401, { error: 'invalid_client' });
        if (form.get('grant_type') === 'authorization_code') {
          const code = codes.get(form.get('code') ?? '');
          codes.delete(form.get('code') ?? '');
          const verifier = form.get('code_verifier') ?? '';
          const challenge = createHash('sha256').update(verifier).digest('base64url');
          if (!code || code.redirectUri !== form.get('redirect_uri') || code.challenge !== challenge)
            return reply(400, { error: 'invalid_grant' });
          return reply(200, {
            ...issue(code.email, true),
            scope: code.scope,
            id_token: unsignedJwt({ iss: 'loopback', aud: clientId, sub: code.email, email: code.email, email_verified: true }),
          });
        }
        if (form.get('grant_type') === 'refresh_token') {
          refreshCount++;
          const old = form.get('refresh_token') ?? '';
          const email = refresh.get(old);
          if (!email) return reply(400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
          if (options.rotateRefreshTokens) refresh.delete(old);
          return reply(200, issue(email, options.rotateRefreshTokens === true));
        }
        return reply(400, { error: 'unsupported_grant_type' });
      }
      if (req.method === 'POST' && url.pathname === '/introspect') {
        const email = access.get((await body(req)).get('token') ?? '');
        return reply(200, email ? { active: true, username: email } : { active: false });
      }
      reply(404, { error: 'not_found' });
    })().catch(() => reply(500, { error: 'server_error' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    base,
    authorizationEndpoint: `${base}/authorize`,
    tokenEndpoint: `${base}/token`,
    introspectionUrl: `${base}/introspect`,
    clientId,
    clientSecret,
    approve(authorizationUrl, email) {
      const url = new URL(authorizationUrl);
      if (`${url.origin}${url.pathname}` !== `${base}/authorize`) throw new Error(`not this provider: ${authorizationUrl}`);
      const q = url.searchParams;
      if (q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || q.get('client_id') !== clientId)
        throw new Error(`not an authorization code request with PKCE S256: ${authorizationUrl}`);
      const code = token();
      codes.set(code, {
        clientId,
        redirectUri: q.get('redirect_uri') ?? '',
        state: q.get('state') ?? '',
        challenge: q.get('code_challenge') ?? '',
        scope: q.get('scope') ?? '',
        email,
      });
      return { code, state: q.get('state') ?? '' };
    },
    expireAccessTokens: () => access.clear(),
    revokeRefreshTokens: () => refresh.clear(),
    refreshes: () => refreshCount,
    accessTokenFor: (email) => issue(email, false).access_token as string,
    issuedTo: (email) => issued.filter((i) => i.email === email).map((i) => i.token),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
