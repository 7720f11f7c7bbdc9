import { describe, expect, it } from 'vitest';
import { parseConfig } from '#infra/config/load.ts';
import { mailboxOAuthSettings } from '#infra/functions.ts';
import { authorizationUrl, codeChallenge, idTokenAddress, type MailboxOAuthProvider } from '#shared/mailboxes/oauth.ts';
import { shippedConfig } from '#test/infra/crm-app.ts';

// The pure parts of connecting mailboxes with OAuth2: the PKCE challenge, the authorization URL,
// the id token's address, and the config's mailbox_oauth as synth validates it.

const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('PKCE and the authorization URL', () => {
  it('computes the S256 challenge of RFC 7636 appendix B', () => {
    expect(codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('puts the provider’s extra parameters first and never lets them replace the flow’s own', () => {
    const provider: MailboxOAuthProvider = {
      name: 'google',
      client_id: 'client-1',
      authorization_endpoint: 'https://accounts.example/auth?hd=example.com',
      token_endpoint: 'https://accounts.example/token',
      scope: 'imap openid email',
      authorization_params: { access_type: 'offline', state: 'attacker', code_challenge_method: 'plain' },
      imap_host: 'imap.example',
      imap_port: 993,
      imap_tls: true,
    };
    const url = new URL(
      authorizationUrl(provider, {
        state: 'st',
        owner_id: 'u1',
        provider: 'google',
        verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
        redirect_uri: 'https://crm.example/settings/mailboxes/oauth',
        expires_at: 0,
      }),
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      hd: 'example.com',
      access_type: 'offline',
      state: 'st',
      code_challenge_method: 'S256',
      response_type: 'code',
      client_id: 'client-1',
      redirect_uri: 'https://crm.example/settings/mailboxes/oauth',
      scope: 'imap openid email',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    });
  });
});

describe('the id token’s address', () => {
  it('reads email, else an address-like preferred_username (Microsoft), lower-cased', () => {
    expect(idTokenAddress(jwt({ email: 'Rep1@Gmail.com', email_verified: true }))).toBe('rep1@gmail.com');
    expect(idTokenAddress(jwt({ preferred_username: 'rep1@contoso.onmicrosoft.com' }))).toBe('rep1@contoso.onmicrosoft.com');
  });

  it('answers undefined for an unverified address, no address, or no JWT', () => {
    expect(idTokenAddress(jwt({ email: 'rep1@gmail.com', email_verified: false }))).toBeUndefined();
    expect(idTokenAddress(jwt({ preferred_username: 'rep1', sub: '42' }))).toBeUndefined();
    expect(idTokenAddress('not a jwt')).toBeUndefined();
    expect(idTokenAddress(undefined)).toBeUndefined();
  });
});

describe('config mailbox_oauth', () => {
  const google = {
    client_id: 'crm.apps.googleusercontent.example',
    client_secret_name: 'crm-dev/mailbox-oauth/google',
    authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
    token_endpoint: 'https://oauth2.googleapis.com/token',
    scope: 'https://mail.google.com/ openid email',
    imap_host: 'imap.gmail.com',
  };

  it('is optional, fills in IMAP defaults, and reaches the functions without a secret value', () => {
    expect(shippedConfig().mailbox_oauth).toEqual({});
    const config = parseConfig({ ...shippedConfig(), mailbox_oauth: { google } });
    expect(config.mailbox_oauth.google).toMatchObject({ imap_port: 993, imap_tls: true, authorization_params: {} });
    expect(mailboxOAuthSettings(config)).toEqual({
      redirect_uri: 'https://crm.example.com/settings/mailboxes/oauth',
      providers: [{ name: 'google', ...config.mailbox_oauth.google }],
    });
  });

  it('refuses endpoints that are not https, and a client secret in the config, naming the field', () => {
    expect(() =>
      parseConfig({
        ...shippedConfig(),
        mailbox_oauth: { google: { ...google, token_endpoint: 'http://169.254.169.254/token' } },
      }),
    ).toThrow(/mailbox_oauth\.google\.token_endpoint/);
    expect(() =>
      parseConfig({ ...shippedConfig(), mailbox_oauth: { google: { ...google, client_secret: 'GOCSPX-x' } } }),
    ).toThrow(/mailbox_oauth\.google/);
    expect(() => parseConfig({ ...shippedConfig(), mailbox_oauth: { Google: google } })).toThrow(/mailbox_oauth\.Google/);
  });
});
