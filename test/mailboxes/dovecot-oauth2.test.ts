import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { startDovecot, type Dovecot } from './dovecot.ts';
import { startOAuthProvider, type OAuthProvider } from './oauth-provider.ts';

// The test server's OAuth2 login: AUTHENTICATE XOAUTH2 with a token the loopback provider
// issued is accepted (Dovecot introspects it), an expired one is refused, and password logins
// keep working beside it.

// A refused login answers after Dovecot's auth_failure_delay (2 s).
vi.setConfig({ testTimeout: 20_000 });

let dovecot: Dovecot;
let provider: OAuthProvider;
beforeAll(async () => {
  provider = await startOAuthProvider();
  dovecot = await startDovecot([{ username: 'rep1@mail.example', password: 'secret-1' }], {
    oauth2: { introspectionUrl: provider.introspectionUrl },
  });
});
afterAll(async () => {
  await dovecot?.stop();
  await provider?.stop();
});

const client = (auth: { user: string; pass?: string; accessToken?: string }) =>
  new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, auth, logger: false });

const accessTokenFor = async (email: string) => {
  const verifier = 'v'.repeat(43);
  const { createHash } = await import('node:crypto');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const url = `${provider.authorizationEndpoint}?response_type=code&client_id=${provider.clientId}&redirect_uri=http%3A%2F%2Fapp&state=s&code_challenge=${challenge}&code_challenge_method=S256`;
  const { code } = provider.approve(url, email);
  const res = await fetch(provider.tokenEndpoint, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: 'http://app',
      client_id: provider.clientId,
      client_secret: provider.clientSecret,
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
};

test('an access token the provider issued logs in with XOAUTH2; an expired one is refused', async () => {
  const accessToken = await accessTokenFor('rep1@mail.example');
  const imap = client({ user: 'rep1@mail.example', accessToken });
  await imap.connect();
  expect(imap.authenticated).toBe(true);
  expect(dovecot.log()).toMatch(/Login: user=<rep1@mail\.example>, method=XOAUTH2/);
  await imap.logout();
  provider.expireAccessTokens();
  await expect(client({ user: 'rep1@mail.example', accessToken }).connect()).rejects.toThrow();
});

test('a token of another account does not log in as this one', async () => {
  const accessToken = await accessTokenFor('someone-else@mail.example');
  await expect(client({ user: 'rep1@mail.example', accessToken }).connect()).rejects.toThrow();
});

test('password logins still work beside OAuth2', async () => {
  const imap = client({ user: 'rep1@mail.example', pass: 'secret-1' });
  await imap.connect();
  await imap.logout();
  await expect(client({ user: 'rep1@mail.example', pass: 'nope' }).connect()).rejects.toThrow();
});
