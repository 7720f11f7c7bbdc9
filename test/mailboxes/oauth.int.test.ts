import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactAdapters } from '#shared/contacts/runtime.ts';
import { createContact } from '#shared/contacts/use-cases.ts';
import { listEmails } from '#shared/emails/use-cases.ts';
import { ValidationError } from '#shared/kernel/errors.ts';
import { newId } from '#shared/kernel/ids.ts';
import { callContext } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { mailboxKey } from '#shared/mailboxes/dynamodb.ts';
import { httpMailboxOAuthClient } from '#shared/mailboxes/oauth-client.ts';
import { DynamoOAuthStateStore } from '#shared/mailboxes/oauth-store.ts';
import {
  finishMailboxOAuth,
  listMailboxes,
  pollAllMailboxes,
  pollMailbox,
  startMailboxOAuth,
  type MailboxesDeps,
} from '#shared/mailboxes/use-cases.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { rejection } from '#test/helpers/fakes.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';
import { startDovecot, type Dovecot } from './dovecot.ts';
import { EventCapturingMailboxes, mailboxTestDeps, testSealer } from './setup.ts';
import { MAILBOX_NEEDS_RECONNECT_EVENT } from '#shared/mailboxes/domain.ts';
import { startOAuthProvider, type OAuthProvider } from './oauth-provider.ts';

// Connecting a mailbox with OAuth2 and polling it with AUTHENTICATE XOAUTH2, against a real
// Dovecot whose oauth2 passdb introspects the bearer tokens at a loopback provider, which also
// plays the authorization and token endpoints (PKCE S256, client secret, rotating refresh
// tokens). Through the use cases on DynamoDB Local; the clock moves by passing `now`.

const ADDRESS = 'rep1@gmail.example';
let dovecot: Dovecot;
let provider: OAuthProvider;
let table: Table;
let deps: MailboxesDeps;
let capturing: EventCapturingMailboxes;
const ids = { rep1: newId(), rep2: newId() };
type Who = keyof typeof ids;
const HOUR = 3_600_000;
const start = Date.now();
const at = (ms: number) => new Date(start + ms);
const principal = (who: Who): Principal => ({ user_id: ids[who], email: `${who}@example.com`, role: 'user', direct_reports: [] });
const call = (who: Who, now = at(0)) => callContext(principal(who), 'test', { now: () => now }, () => newId());
const system = (now: Date) => ({ actor_id: 'system', correlation_id: newId(), now, newId: () => newId() });
const stored = async (id: string) => (await deps.mailboxes.get(id))!;
const codeOf = (error: unknown) => (error instanceof ValidationError ? [error.code, error.problems[0]?.field] : error);

beforeAll(async () => {
  provider = await startOAuthProvider({ rotateRefreshTokens: true });
  dovecot = await startDovecot([], { oauth2: { introspectionUrl: provider.introspectionUrl } });
  const { tableName } = await useTestTable();
  table = testTableClient(tableName);
  capturing = new EventCapturingMailboxes(table);
  deps = await mailboxTestDeps(table, ids, {
    mailboxes: capturing,
    sealer: testSealer('mailbox-oauth-test-secret'),
    oauth: httpMailboxOAuthClient({
      settings: {
        redirect_uri: 'https://crm.example.com/settings/mailboxes/oauth',
        providers: [
          {
            name: 'google',
            client_id: provider.clientId,
            authorization_endpoint: provider.authorizationEndpoint,
            token_endpoint: provider.tokenEndpoint,
            scope: 'https://mail.google.com/ openid email',
            authorization_params: { access_type: 'offline', prompt: 'consent' },
            imap_host: dovecot.host,
            imap_port: dovecot.port,
            imap_tls: false,
          },
        ],
      },
      clientSecret: async () => provider.clientSecret,
    }),
    oauthStates: new DynamoOAuthStateStore(table),
  });
}, 60_000);
afterAll(async () => {
  await dovecot?.stop();
  await provider?.stop();
});

/** Starts the flow as `who` and has the provider's user `email` consent. */
const consent = async (who: Who, email = ADDRESS, now = at(0)) => {
  const started = await startMailboxOAuth(deps, call(who, now), { provider: 'google' });
  return { started, ...provider.approve(started.authorization_url, email) };
};

/** Puts a message in the account's INBOX as the user's own mail client would (with a token of its own). */
const deliver = async (subject: string, from: string) => {
  const imap = new ImapFlow({
    host: dovecot.host,
    port: dovecot.port,
    secure: false,
    auth: { user: ADDRESS, accessToken: await provider.accessTokenFor(ADDRESS) },
    logger: false,
  });
  await imap.connect();
  await imap.append(
    'INBOX',
    [
      `From: ${from}`,
      `To: ${ADDRESS}`,
      `Subject: ${subject}`,
      `Message-ID: <${newId()}@cellers.example>`,
      '',
      'Bon dia',
      '',
    ].join('\r\n'),
  );
  await imap.logout();
};

describe('connecting a mailbox with OAuth2', () => {
  it('answers an authorization URL with PKCE S256 and a state; unknown providers are refused', async () => {
    const { started } = await consent('rep1');
    const url = new URL(started.authorization_url);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: provider.clientId,
      redirect_uri: 'https://crm.example.com/settings/mailboxes/oauth',
      state: started.state,
      code_challenge_method: 'S256',
      access_type: 'offline',
      prompt: 'consent',
    });
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(started.expires_at)).toBe(start - (start % 1000) + 600_000);
    expect(codeOf(await rejection(startMailboxOAuth(deps, call('rep1'), { provider: 'yahoo' })))).toEqual([
      'mailbox_oauth.provider_unknown',
      'provider',
    ]);
  });

  it('refuses another user’s state (which stays usable by its owner), an expired one, and a used one', async () => {
    const { code, state } = await consent('rep1');
    expect(codeOf(await rejection(finishMailboxOAuth(deps, call('rep2'), { code, state })))).toEqual([
      'mailbox_oauth.state_invalid',
      'state',
    ]);
    const late = await consent('rep1');
    expect(
      codeOf(await rejection(finishMailboxOAuth(deps, call('rep1', at(601_000)), { code: late.code, state: late.state }))),
    ).toEqual(['mailbox_oauth.state_invalid', 'state']);
    expect(codeOf(await rejection(finishMailboxOAuth(deps, call('rep1'), { code: 'forged', state: 'forged' })))).toEqual([
      'mailbox_oauth.state_invalid',
      'state',
    ]);

    const mailbox = await finishMailboxOAuth(deps, call('rep1'), { code, state });
    expect(mailbox).toMatchObject({ auth: 'xoauth2', provider: 'google', username: ADDRESS, needs_reconnect: false });
    expect(codeOf(await rejection(finishMailboxOAuth(deps, call('rep1'), { code, state })))).toEqual([
      'mailbox_oauth.state_invalid',
      'state',
    ]);
    const item = JSON.stringify(await table.get(mailboxKey(mailbox.id)));
    for (const secret of provider.issuedTo(ADDRESS)) expect(item).not.toContain(secret);
    expect((await listMailboxes(deps, call('rep1'))).map((m) => m.id)).toEqual([mailbox.id]);
    expect(await listMailboxes(deps, call('rep2'))).toEqual([]);
  });

  it('answers code_refused when the provider refuses the code', async () => {
    const { state } = await consent('rep2');
    expect(codeOf(await rejection(finishMailboxOAuth(deps, call('rep2'), { code: 'not-a-code', state })))).toEqual([
      'mailbox_oauth.code_refused',
      'code',
    ]);
  });
});

describe('polling an OAuth2 mailbox (Dovecot, AUTHENTICATE XOAUTH2)', () => {
  const anna = `anna.${newId().toLowerCase()}@cellers.example`;
  let mailboxId: string;

  it('logs mail through XOAUTH2 with the access token of the exchange (no refresh while it is fresh)', async () => {
    mailboxId = (await listMailboxes(deps, call('rep1')))[0]!.id;
    await createContact(contactAdapters(), call('rep1'), { last_name: 'Puig', email: anna });
    await deliver('Pressupost', anna);
    const refreshes = provider.refreshes();
    const outcome = await pollMailbox(deps, system(at(HOUR / 2)), await stored(mailboxId));
    expect(outcome).toMatchObject({ outcome: 'polled', logged: 1, first_sync: true });
    expect(provider.refreshes()).toBe(refreshes);
    expect(dovecot.log()).toMatch(new RegExp(`Login: user=<${ADDRESS.replace('.', '\\.')}>, method=XOAUTH2`));
    const inbox = (await listEmails(deps.emails, call('rep1'), { folder: 'inbox', limit: 10 })).items;
    expect(inbox.map((e) => e.subject)).toEqual(['Pressupost']);
  });

  it('refreshes an expired access token, and stores the rotated refresh token (the old one is revoked)', async () => {
    provider.expireAccessTokens();
    await deliver('Segona', anna);
    const refreshes = provider.refreshes();
    const sealedBefore = (await stored(mailboxId)).sealed_oauth;
    expect(await pollMailbox(deps, system(at(HOUR - 200_000)), await stored(mailboxId))).toMatchObject({
      outcome: 'polled',
      logged: 1,
    });
    expect(provider.refreshes()).toBe(refreshes + 1);
    expect((await stored(mailboxId)).sealed_oauth).not.toBe(sealedBefore);
    // A second expiry: works only with the rotated refresh token the first refresh stored.
    provider.expireAccessTokens();
    await deliver('Tercera', anna);
    expect(await pollMailbox(deps, system(at(3 * HOUR)), await stored(mailboxId))).toMatchObject({
      outcome: 'polled',
      logged: 1,
    });
    expect(provider.refreshes()).toBe(refreshes + 2);
    expect(await stored(mailboxId)).toMatchObject({ last_error: null, needs_reconnect: false });
  });

  it('a revoked refresh token marks the mailbox for reconnecting; later polls skip it; connecting again resumes it', async () => {
    provider.expireAccessTokens();
    provider.revokeRefreshTokens();
    const refreshes = provider.refreshes();
    const failed = await pollMailbox(deps, system(at(5 * HOUR)), await stored(mailboxId));
    expect(failed).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/invalid_grant/) });
    expect(await stored(mailboxId)).toMatchObject({
      needs_reconnect: true,
      last_error: expect.stringMatching(/invalid_grant.*connect the mailbox again/),
    });
    const outcomes = await pollAllMailboxes(deps, system(at(6 * HOUR)));
    expect(outcomes.find((o) => o.mailbox_id === mailboxId)).toMatchObject({ outcome: 'needs_reconnect', logged: 0 });
    expect(provider.refreshes()).toBe(refreshes + 1);
    // The owner is told once, by the poll that set the flag (the skipped polls write nothing).
    const told = capturing.ofType(MAILBOX_NEEDS_RECONNECT_EVENT).filter((e) => e.metadata.resource_id === mailboxId);
    expect(told).toHaveLength(1);
    expect(told[0]!.data).toMatchObject({
      owner_id: ids.rep1,
      provider: 'google',
      username: ADDRESS,
      reason: expect.stringMatching(/invalid_grant/),
    });

    await deliver('Quarta', anna);
    const { code, state } = await consent('rep1', ADDRESS, at(7 * HOUR));
    const again = await finishMailboxOAuth(deps, call('rep1', at(7 * HOUR)), { code, state });
    expect(again).toMatchObject({ id: mailboxId, needs_reconnect: false, last_error: null });
    expect((await listMailboxes(deps, call('rep1'))).map((m) => m.id)).toEqual([mailboxId]);
    expect(await pollMailbox(deps, system(at(7 * HOUR)), await stored(mailboxId))).toMatchObject({
      outcome: 'polled',
      logged: 1,
      logged_before: 0,
    });
  });
});
