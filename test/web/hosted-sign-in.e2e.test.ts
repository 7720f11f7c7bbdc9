import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import Provider from 'oidc-provider';
import { ensureWebBuild, WEB_DIST } from '#infra/local/web-build.ts';
import { startWebGateway } from '#infra/local/web-gateway.ts';
import { audit, launchChromium, newPage } from './browser.ts';

// The web app's AWS sign-in (Cognito's hosted UI: authorization code with PKCE, silent refresh)
// run against a standard OpenID Connect provider on loopback (oidc-provider), in a real browser.
// The provider answers at Cognito's paths (/oauth2/authorize, /oauth2/token), so config.json has
// the same shape as in AWS: `cognito.domain` names it. The app is served by the local web
// gateway (CSP included); its /api/* goes to a recorder that keeps the bearer tokens it is sent.

const CLIENT_ID = 'crm-web-test';
// expires_in 62 s: the app refreshes a minute before expiry, so about every 2 s here.
const TOKEN_TTL_S = 62;

let providerServer: Server;
let apiServer: Server;
let webServer: Server;
let web: string;
let issuer: string;
let browser: Browser;
let page: Page;
const bearers: string[] = [];

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function payload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

beforeAll(async () => {
  ensureWebBuild();
  // The provider's port first: config.json and the CSP name it; the client's redirect URI is the app's origin.
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  providerServer = createServer((req, res) => handle(req, res));
  issuer = `http://127.0.0.1:${await listen(providerServer)}`;
  apiServer = createServer((req, res) => {
    bearers.push(req.headers.authorization ?? '');
    res.writeHead(503, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ type: 'about:blank', code: 'unavailable', title: 'Not here', status: 503, detail: 'recorder' }));
  });
  const apiPort = await listen(apiServer);
  const gateway = await startWebGateway({
    distDir: WEB_DIST,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    runtimeConfig: { apiUrl: '/api', cognito: { endpoint: issuer, clientId: CLIENT_ID, domain: issuer } },
  });
  webServer = gateway.server;
  web = gateway.url;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        token_endpoint_auth_method: 'none',
        redirect_uris: [web],
        post_logout_redirect_uris: [web],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    routes: { authorization: '/oauth2/authorize', token: '/oauth2/token', end_session: '/logout' },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // As Cognito's ID tokens do: the scopes' claims in the ID token itself.
    conformIdTokenClaims: false,
    // As Cognito does for the code grant: a refresh token without asking for offline_access.
    issueRefreshToken: () => true,
    ttl: { AccessToken: TOKEN_TTL_S, IdToken: TOKEN_TTL_S },
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => ({ sub: id, email: id, email_verified: true, name: 'Ravi Rep' }),
    }),
    cookies: { keys: ['a test key, not a secret'] },
  });
  handle = provider.callback();
  browser = await launchChromium();
  page = await newPage(browser);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  for (const server of [providerServer, apiServer, webServer]) server?.closeAllConnections();
  await Promise.all([providerServer, apiServer, webServer].map((s) => s && new Promise((r) => s.close(r))));
});

describe('hosted sign-in (code flow with PKCE) against a standard OpenID Connect provider', () => {
  it('redirects, trades the code with the verifier, calls the API with the ID token and refreshes it silently', async () => {
    const authorizeUrls: URL[] = [];
    const tokenForms: URLSearchParams[] = [];
    const tokenAnswers: { id_token: string; refresh_token?: string; expires_in: number }[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin !== issuer) return;
      if (url.pathname === '/oauth2/authorize') authorizeUrls.push(url);
      if (url.pathname === '/oauth2/token' && request.method() === 'POST')
        tokenForms.push(new URLSearchParams(request.postData() ?? ''));
    });
    page.on('response', (response) => {
      if (response.url() === `${issuer}/oauth2/token` && response.request().method() === 'POST' && response.ok())
        void response.json().then((body: (typeof tokenAnswers)[number]) => tokenAnswers.push(body));
    });

    // A deep link asks to sign in, and the sign-in page offers the hosted one (no password form).
    await page.goto(`${web}/deals`);
    await page.getByRole('heading', { name: 'Sign in to the CRM' }).waitFor();
    expect(await page.locator('input[type=password]').count()).toBe(0);
    await audit('sign-in-hosted', page);
    await page.getByRole('button', { name: 'Continue to the company sign-in' }).click();

    // The provider's own pages: sign in, then allow the app.
    await page.locator('input[name=login]').fill('rep1@example.com');
    await page.locator('input[name=password]').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();

    // Back in the app, at the deep link, the code gone from the address bar.
    await page.waitForURL((url) => url.origin === web && url.pathname === '/deals');
    expect(new URL(page.url()).search).toBe('');
    await page.getByRole('link', { name: 'Deals' }).waitFor();

    // The authorization request: code flow, S256 challenge, state, back to the app's origin.
    expect(authorizeUrls).toHaveLength(1);
    const authorize = authorizeUrls[0]!.searchParams;
    expect(authorize.get('response_type')).toBe('code');
    expect(authorize.get('client_id')).toBe(CLIENT_ID);
    expect(authorize.get('redirect_uri')).toBe(web);
    expect(authorize.get('code_challenge_method')).toBe('S256');
    expect(authorize.get('state')).toMatch(/^[\w-]{16,}$/);
    // The code exchange: the verifier whose SHA-256 is the challenge.
    const exchange = tokenForms[0]!;
    expect(exchange.get('grant_type')).toBe('authorization_code');
    expect(exchange.get('code_verifier')).toMatch(/^[\w-]{43,128}$/);
    expect(createHash('sha256').update(exchange.get('code_verifier')!).digest('base64url')).toBe(authorize.get('code_challenge'));
    expect(exchange.get('redirect_uri')).toBe(web);

    const stored = async () =>
      JSON.parse((await page.evaluate(() => sessionStorage.getItem('crm.session'))) ?? 'null') as {
        email: string;
        idToken: string;
        refreshToken: string;
        via: string;
      } | null;
    const first = await stored();
    expect(first).toMatchObject({ email: 'rep1@example.com', via: 'hosted' });
    expect(payload(first!.idToken)).toMatchObject({ iss: issuer, aud: CLIENT_ID, sub: 'rep1@example.com' });
    // The API is called with the provider's ID token.
    await expect.poll(() => bearers.includes(`Bearer ${first!.idToken}`)).toBe(true);

    // Silent refreshes: each sends the refresh token of the answer before (the provider rotates them;
    // a reused one would revoke the grant), and the session stays with a new ID token.
    await expect
      .poll(() => tokenForms.filter((f) => f.get('grant_type') === 'refresh_token').length, { timeout: 20_000 })
      .toBeGreaterThanOrEqual(2);
    const refreshes = tokenForms.filter((f) => f.get('grant_type') === 'refresh_token');
    await expect.poll(() => tokenAnswers.length).toBeGreaterThanOrEqual(3);
    expect(refreshes[0]!.get('refresh_token')).toBe(tokenAnswers[0]!.refresh_token);
    expect(refreshes[1]!.get('refresh_token')).toBe(tokenAnswers[1]!.refresh_token);
    expect(tokenAnswers[1]!.refresh_token).not.toBe(tokenAnswers[0]!.refresh_token);
    const later = await stored();
    expect(later?.idToken).not.toBe(first!.idToken);
    expect(page.url()).toBe(`${web}/deals`);
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await expect.poll(() => bearers.at(-1)).not.toBe(`Bearer ${first!.idToken}`);
    expect(bearers.at(-1)).toBe(`Bearer ${(await stored())!.idToken}`);
  }, 90_000);

  it('refuses an answer whose state is not the one it sent, and says so on the sign-in page', async () => {
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(`${web}/signin`);
    await page.evaluate(() => sessionStorage.setItem('crm.pkce', JSON.stringify({ verifier: 'v'.repeat(43), state: 'mine' })));
    await page.goto(`${web}/?code=stolen&state=theirs`);
    await page.getByRole('alert').getByText('InvalidState').waitFor();
    expect(new URL(page.url()).pathname).toBe('/signin');
    expect(await page.evaluate(() => sessionStorage.getItem('crm.session'))).toBeNull();
  }, 30_000);
});
