import { ConflictError, NotFoundError, ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import { domainEvent, type EventContext } from '#shared/kernel/events.ts';
import type { Call } from '#shared/kernel/ports.ts';
import { receiveInMailbox, type EmailsDeps, type ReceiveOutcome } from '#shared/emails/use-cases.ts';
import {
  checkpointsOfListed,
  ImapRefusedError,
  foldersThisPoll,
  lastUidOf,
  MAILBOX_NEEDS_RECONNECT_EVENT,
  MAILBOX_SYNCED_EVENT,
  MAX_MAILBOXES_PER_USER,
  MAX_MESSAGES_PER_FOLDER_POLL,
  publicMailbox,
  withCheckpoint,
  type ConnectMailboxInput,
  type Mailbox,
  type MailboxNeedsReconnect,
  type MailboxSynced,
  type OAuthCredential,
  type StoredMailbox,
} from './domain.ts';
import {
  ACCESS_TOKEN_MARGIN_SECONDS,
  authorizationUrl,
  idTokenAddress,
  OAUTH_STATE_TTL_SECONDS,
  OAuthGrantRevokedError,
  randomToken,
  type FinishMailboxOAuthInput,
  type MailboxOAuthProvider,
  type MailboxOAuthStart,
  type StartMailboxOAuthInput,
  type TokenGrant,
} from './oauth.ts';
import type {
  CredentialSealer,
  ImapConnector,
  ImapLogin,
  ImapSession,
  MailboxOAuthClient,
  MailboxRepository,
  OAuthStateStore,
} from './ports.ts';

export interface MailboxesDeps {
  mailboxes: MailboxRepository;
  sealer: CredentialSealer;
  imap: ImapConnector;
  /** The e-mail family's receiving: every fetched message is logged through it. */
  emails: EmailsDeps;
  /** OAuth2 connections (absent: the deployment configures no mailbox_oauth provider). */
  oauth?: MailboxOAuthClient;
  /** Started OAuth flows (with `oauth`). */
  oauthStates?: OAuthStateStore;
}

/** What a password is bound to when sealed: another mailbox's sealed password does not open here. */
const sealContext = (m: Pick<Mailbox, 'id' | 'owner_id'>) => `mailbox:${m.id}:${m.owner_id}`;

const mailboxResource = (m: Pick<Mailbox, 'id'>) => ({ resource_type: 'mailbox', resource_id: m.id });

/**
 * POST /mailboxes: connects an IMAP mailbox of the caller's with a password, sealed at rest.
 * The login is not tried here: the first poll tries it and records `last_error`.
 * @throws ConflictError (409) when the caller has MAX_MAILBOXES_PER_USER mailboxes
 */
export async function connectMailbox(deps: MailboxesDeps, call: Call, input: ConnectMailboxInput): Promise<Mailbox> {
  refuseOverLimit(await deps.mailboxes.listByOwner(call.principal.user_id));
  const base = {
    id: call.events.newId(),
    owner_id: call.principal.user_id,
    auth: 'password' as const,
    provider: null,
    needs_reconnect: false,
    host: input.host.toLowerCase(),
    port: input.port,
    tls: input.tls,
    username: input.username,
    created_at: call.events.now.toISOString(),
    first_synced_at: null,
    last_polled_at: null,
    last_error: null,
    checkpoints: [],
  };
  const mailbox: StoredMailbox = {
    ...base,
    sealed_password: await deps.sealer.seal(input.password, sealContext(base)),
    sealed_oauth: null,
    version: 1,
    folder_cursor: null,
  };
  await deps.mailboxes.create(mailbox);
  return publicMailbox(mailbox);
}

/** @throws ConflictError (409) when `owned` already has MAX_MAILBOXES_PER_USER mailboxes */
function refuseOverLimit(owned: readonly StoredMailbox[]): void {
  if (owned.length >= MAX_MAILBOXES_PER_USER) {
    throw new ConflictError(`you have ${MAX_MAILBOXES_PER_USER} mailboxes connected: remove one first`, {
      code: 'mailbox.limit_reached',
    });
  }
}

/** The configured provider called `name`, or undefined (none configured, or not that one). */
function providerNamed(deps: MailboxesDeps, name: string): MailboxOAuthProvider | undefined {
  return deps.oauth?.settings().providers.find((p) => p.name === name);
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** The sealed credential of a token grant (a grant without a refresh token keeps `refreshToken`). */
function credentialOf(grant: TokenGrant, now: Date, refreshToken: string): OAuthCredential {
  return {
    refresh_token: grant.refresh_token ?? refreshToken,
    access_token: grant.access_token,
    access_expires_at: new Date(now.getTime() + (grant.expires_in ?? 3600) * 1000).toISOString(),
  };
}

/**
 * POST /mailboxes/oauth/start: starts connecting a mailbox with OAuth2. Stores a state bound to
 * the caller with a PKCE verifier for OAUTH_STATE_TTL_SECONDS, and answers the provider's
 * authorization URL (authorization code, PKCE S256) to send the browser to.
 * @throws ValidationError (422 mailbox_oauth.provider_unknown) when the deployment has no such provider
 * @throws ConflictError (409) when the caller has MAX_MAILBOXES_PER_USER mailboxes
 */
export async function startMailboxOAuth(
  deps: MailboxesDeps,
  call: Call,
  input: StartMailboxOAuthInput,
): Promise<MailboxOAuthStart> {
  const provider = providerNamed(deps, input.provider);
  if (!provider || !deps.oauth || !deps.oauthStates) {
    throw ValidationError.field('provider', `this deployment connects no mailboxes through "${input.provider}"`, {
      code: 'mailbox_oauth.provider_unknown',
    });
  }
  refuseOverLimit(await deps.mailboxes.listByOwner(call.principal.user_id));
  const now = call.events.now;
  const state = {
    state: randomToken(),
    owner_id: call.principal.user_id,
    provider: provider.name,
    verifier: randomToken(),
    redirect_uri: deps.oauth.settings().redirect_uri,
    expires_at: seconds(now) + OAUTH_STATE_TTL_SECONDS,
  };
  await deps.oauthStates.put(state);
  return {
    authorization_url: authorizationUrl(provider, state),
    state: state.state,
    expires_at: new Date(state.expires_at * 1000).toISOString(),
  };
}

/**
 * POST /mailboxes/oauth/callback: finishes what startMailboxOAuth started, as the same user.
 * Takes the state (once), exchanges the code with the PKCE verifier, and connects the account
 * the id token names (auth xoauth2, the refresh and access tokens sealed). The same account of
 * the same provider connected again (e.g. after needs_reconnect) keeps its mailbox and
 * checkpoints and gets the new tokens.
 * @throws ValidationError (422) mailbox_oauth.state_invalid (unknown, used, expired or another
 *   user's state), mailbox_oauth.code_refused (invalid_grant), mailbox_oauth.grant_incomplete
 *   (no refresh token or no address)
 * @throws ConflictError (409) when a new mailbox would pass MAX_MAILBOXES_PER_USER
 */
export async function finishMailboxOAuth(deps: MailboxesDeps, call: Call, input: FinishMailboxOAuthInput): Promise<Mailbox> {
  const now = call.events.now;
  const taken = await deps.oauthStates?.take(input.state, call.principal.user_id, seconds(now));
  const provider = taken && providerNamed(deps, taken.provider);
  if (!taken || !provider || !deps.oauth) {
    throw ValidationError.field('state', 'no mailbox connection of yours is waiting for this state: start again', {
      code: 'mailbox_oauth.state_invalid',
    });
  }
  let grant: TokenGrant;
  try {
    grant = await deps.oauth.exchange(provider, input.code, taken.verifier, taken.redirect_uri);
  } catch (cause) {
    if (!(cause instanceof OAuthGrantRevokedError)) throw cause;
    throw ValidationError.field('code', `${provider.name} refused the authorization code: start again`, {
      code: 'mailbox_oauth.code_refused',
    });
  }
  const address = idTokenAddress(grant.id_token);
  if (!address || !grant.refresh_token) {
    throw ValidationError.field(
      'code',
      `${provider.name} answered without ${address ? 'a refresh token' : 'the account’s e-mail address'}`,
      { code: 'mailbox_oauth.grant_incomplete' },
    );
  }
  const credential = JSON.stringify(credentialOf(grant, now, grant.refresh_token));
  const owned = await deps.mailboxes.listByOwner(call.principal.user_id);
  const again = owned.find((m) => m.auth === 'xoauth2' && m.provider === provider.name && m.username === address);
  if (again) {
    const after: StoredMailbox = {
      ...again,
      sealed_oauth: await deps.sealer.seal(credential, sealContext(again)),
      needs_reconnect: false,
      last_error: null,
      version: again.version + 1,
    };
    await deps.mailboxes.save(again, after, []);
    return publicMailbox(after);
  }
  refuseOverLimit(owned);
  const base = {
    id: call.events.newId(),
    owner_id: call.principal.user_id,
    auth: 'xoauth2' as const,
    provider: provider.name,
    needs_reconnect: false,
    host: provider.imap_host.toLowerCase(),
    port: provider.imap_port,
    tls: provider.imap_tls,
    username: address,
    created_at: now.toISOString(),
    first_synced_at: null,
    last_polled_at: null,
    last_error: null,
    checkpoints: [],
  };
  const mailbox: StoredMailbox = {
    ...base,
    sealed_password: null,
    sealed_oauth: await deps.sealer.seal(credential, sealContext(base)),
    folder_cursor: null,
    version: 1,
  };
  await deps.mailboxes.create(mailbox);
  return publicMailbox(mailbox);
}

type SealedCredentials = Pick<StoredMailbox, 'sealed_password' | 'sealed_oauth'>;

/**
 * How to log in to `mailbox` now, and its sealed credentials to store afterwards: the password
 * (sealed again when its key is stale), or the cached access token, refreshed when it expires
 * within ACCESS_TOKEN_MARGIN_SECONDS (a rotated refresh token replaces the old one).
 * @throws OAuthGrantRevokedError when the provider refuses the refresh token
 */
async function loginOf(
  deps: MailboxesDeps,
  now: Date,
  mailbox: StoredMailbox,
): Promise<{ login: ImapLogin; sealed: SealedCredentials }> {
  const context = sealContext(mailbox);
  if (mailbox.auth === 'password') {
    if (mailbox.sealed_password === null) throw new Error('the mailbox has no password');
    const { plain, stale } = await deps.sealer.open(mailbox.sealed_password, context);
    const sealed = stale ? await deps.sealer.seal(plain, context) : mailbox.sealed_password;
    return { login: { password: plain }, sealed: { sealed_password: sealed, sealed_oauth: null } };
  }
  const provider = mailbox.provider === null ? undefined : providerNamed(deps, mailbox.provider);
  if (!provider || !deps.oauth) throw new Error(`this deployment no longer configures the provider ${mailbox.provider}`);
  if (mailbox.sealed_oauth === null) throw new Error('the mailbox has no OAuth tokens');
  const { plain, stale } = await deps.sealer.open(mailbox.sealed_oauth, context);
  let credential = JSON.parse(plain) as OAuthCredential;
  let changed = stale;
  if (Date.parse(credential.access_expires_at) - ACCESS_TOKEN_MARGIN_SECONDS * 1000 <= now.getTime()) {
    credential = credentialOf(await deps.oauth.refresh(provider, credential.refresh_token), now, credential.refresh_token);
    changed = true;
  }
  const sealed = changed ? await deps.sealer.seal(JSON.stringify(credential), context) : mailbox.sealed_oauth;
  return { login: { accessToken: credential.access_token }, sealed: { sealed_password: null, sealed_oauth: sealed } };
}

/** GET /mailboxes: the caller's own mailboxes (nobody else's, never a password). */
export async function listMailboxes(deps: MailboxesDeps, call: Call): Promise<Mailbox[]> {
  return (await deps.mailboxes.listByOwner(call.principal.user_id)).map(publicMailbox);
}

/** DELETE /mailboxes/{id}: the caller's own only (404 for anyone else's: it is not theirs to know of). */
export async function deleteMailbox(deps: MailboxesDeps, call: Call, id: string): Promise<void> {
  const mailbox = await deps.mailboxes.get(id);
  if (!mailbox || mailbox.owner_id !== call.principal.user_id) throw new NotFoundError('mailbox', id);
  await deps.mailboxes.delete(mailbox);
}

/** What one poll of one mailbox did. */
export interface PollOutcome {
  mailbox_id: string;
  /** needs_reconnect: skipped, the provider refused the CRM's grant (the user must connect again). */
  outcome: 'polled' | 'failed' | 'needs_reconnect';
  logged: number;
  logged_before: number;
  /** True when this poll completed the mailbox's first sync (the user was told). */
  first_sync: boolean;
  error?: string;
}

/**
 * Polls one mailbox: logs in, and for every synced folder (all but Trash, Junk and Drafts;
 * INBOX and Sent first, at most MAX_FOLDERS_PER_POLL, the rest in turn over the next polls)
 * logs every message above the checkpoint of (folder name, current UIDVALIDITY) through the
 * e-mail family's receiving. A folder with no checkpoint for its current name and UIDVALIDITY
 * (new, renamed, recreated) is read from the start; the (owner, Message-ID) marker keeps mail
 * logged before from logging twice. Checkpoints of folders no longer listed are dropped. Then
 * saves the checkpoints; the first poll after which every folder was read and nothing left
 * unread also records `first_synced_at` and its `mailbox.synced` event, in the same
 * conditional write, so the user is told once. A refused login or a dead server is kept in `last_error`.
 */
export async function pollMailbox(deps: MailboxesDeps, ctx: EventContext, mailbox: StoredMailbox): Promise<PollOutcome> {
  const outcome: PollOutcome = { mailbox_id: mailbox.id, outcome: 'polled', logged: 0, logged_before: 0, first_sync: false };
  // Until the user connects it again: no refresh is tried (a revoked grant stays revoked).
  if (mailbox.needs_reconnect) return { ...outcome, outcome: 'needs_reconnect' };
  let checkpoints = mailbox.checkpoints;
  let folderCursor = mailbox.folder_cursor;
  let complete = true;
  let sealed: SealedCredentials = { sealed_password: mailbox.sealed_password, sealed_oauth: mailbox.sealed_oauth };
  let error: string | null = null;
  let needsReconnect = false;
  try {
    // Credentials first: a password sealed anew (or a refreshed token) is kept even when the
    // server then refuses or cannot be reached.
    const { login: credential, sealed: current } = await loginOf(deps, ctx.now, mailbox);
    sealed = current;
    const server = { host: mailbox.host, port: mailbox.port, tls: mailbox.tls, username: mailbox.username };
    const session = await deps.imap.connect({ ...server, ...credential });
    try {
      const own = mailbox.username.includes('@') ? [mailbox.username] : [];
      const { synced, sent } = await session.folders();
      const turn = foldersThisPoll(synced, sent, folderCursor);
      folderCursor = turn.cursor;
      checkpoints = checkpointsOfListed(checkpoints, synced);
      for (const folder of turn.folders) {
        const { uidvalidity, after, messages } = await session.read(
          folder,
          (current) => lastUidOf(checkpoints, folder, current),
          MAX_MESSAGES_PER_FOLDER_POLL,
        );
        let last = after;
        for (const { uid, message } of messages) {
          const logged: ReceiveOutcome = await receiveInMailbox(deps.emails, ctx, mailbox.owner_id, message, own);
          if (logged.outcome === 'logged') outcome.logged++;
          else outcome.logged_before++;
          last = uid;
        }
        if (messages.length >= MAX_MESSAGES_PER_FOLDER_POLL) complete = false;
        checkpoints = withCheckpoint(checkpoints, { folder, uidvalidity, last_uid: last });
      }
      // Folders beyond this poll's bound count once each has been read at least once.
      if (!synced.every((f) => checkpoints.some((c) => c.folder === f))) complete = false;
    } finally {
      await session.close();
    }
  } catch (cause) {
    error = cause instanceof Error ? cause.message : String(cause);
    outcome.outcome = 'failed';
    outcome.error = error;
    if (cause instanceof OAuthGrantRevokedError) {
      needsReconnect = true;
      error = `${error}: connect the mailbox again`;
      outcome.error = error;
    }
  }
  const now = ctx.now.toISOString();
  const firstSync = error === null && complete && mailbox.first_synced_at === null;
  const after: StoredMailbox = {
    ...mailbox,
    checkpoints,
    ...sealed,
    needs_reconnect: needsReconnect,
    folder_cursor: folderCursor,
    last_polled_at: now,
    last_error: error,
    first_synced_at: firstSync ? now : mailbox.first_synced_at,
    version: mailbox.version + 1,
  };
  const events = [
    ...(firstSync
      ? [
          domainEvent<MailboxSynced>(ctx, MAILBOX_SYNCED_EVENT, mailboxResource(mailbox), {
            owner_id: mailbox.owner_id,
            host: mailbox.host,
            username: mailbox.username,
            logged: outcome.logged,
          }),
        ]
      : []),
    // The flag turns on here only (a flagged mailbox is not polled), so its owner is told once.
    ...(needsReconnect
      ? [
          domainEvent<MailboxNeedsReconnect>(ctx, MAILBOX_NEEDS_RECONNECT_EVENT, mailboxResource(mailbox), {
            owner_id: mailbox.owner_id,
            host: mailbox.host,
            username: mailbox.username,
            provider: mailbox.provider,
            reason: error ?? 'the provider refused the grant',
          }),
        ]
      : []),
  ];
  try {
    await deps.mailboxes.save(mailbox, after, events);
    outcome.first_sync = firstSync;
  } catch (cause) {
    // Deleted or polled by another run meanwhile: its checkpoints stand; the markers keep mail once.
    if (!(cause instanceof VersionMismatchError)) throw cause;
  }
  return outcome;
}

/** What filing one CRM-sent message in its sender's own Sent folder did. */
export interface SentCopyOutcome {
  email_id: string;
  /**
   * appended: filed now; present: a copy with its Message-ID was there already (a redelivery);
   * no_mailbox: its sender has none connected; not_sent: no such message, not ours, or not sent;
   * refused: the mailbox's server may not be reached (not a public address: no retry helps).
   */
  outcome: 'appended' | 'present' | 'no_mailbox' | 'not_sent' | 'refused';
  mailbox_id?: string;
  folder?: string;
  error?: string;
}

/** Statuses of a message SES has taken (later SES events move it on from "sent"). */
const SENT_STATUSES = new Set(['sent', 'delivered', 'bounced', 'complained']);

/**
 * Files a message sent from the CRM (POST /emails, once SES took it) in the Sent folder of its
 * sender's connected mailbox, so it shows in their own mail client: the mailbox whose login is
 * the sender's address, else their first connected one. At-least-once safe: the Message-ID
 * marker is written first (so a poll that finds the copy logs nothing again) and the append
 * searches the folder for our Message-ID before it appends, so a redelivery files nothing twice.
 * @throws Error when the password does not open, the login is refused or the server fails (the
 *   event is retried, then parked for a redrive); a server that may not be reached is an outcome
 */
export async function fileSentCopy(deps: MailboxesDeps, emailId: string, now: Date): Promise<SentCopyOutcome> {
  const email = await deps.emails.emails.get(emailId);
  const fromCrm = email?.direction === 'outbound' && email.provider_message_id !== null;
  if (!email || !fromCrm || !SENT_STATUSES.has(email.status)) {
    return { email_id: emailId, outcome: 'not_sent' };
  }
  const owned = await deps.mailboxes.listByOwner(email.owner_id);
  const sender = email.from.address.toLowerCase();
  const mailbox = owned.find((m) => m.username.toLowerCase() === sender) ?? owned[0];
  if (!mailbox) return { email_id: emailId, outcome: 'no_mailbox' };
  if (mailbox.needs_reconnect) {
    return { email_id: emailId, outcome: 'refused', mailbox_id: mailbox.id, error: 'the mailbox must be connected again' };
  }
  await deps.mailboxes.markLogged(email.owner_id, email.message_id, email.id);
  let session: ImapSession;
  try {
    const { login: credential, sealed } = await loginOf(deps, now, mailbox);
    // A password sealed anew or a refreshed OAuth token (perhaps a rotated refresh token) is
    // kept, as a poll keeps it. A poll or another delivery that saved meanwhile wins
    // (VersionMismatchError): what it stored is as fresh, and this login's credential still works.
    if (sealed.sealed_password !== mailbox.sealed_password || sealed.sealed_oauth !== mailbox.sealed_oauth) {
      await deps.mailboxes.save(mailbox, { ...mailbox, ...sealed, version: mailbox.version + 1 }, []).catch((error: unknown) => {
        if (!(error instanceof VersionMismatchError)) throw error;
      });
    }
    const server = { host: mailbox.host, port: mailbox.port, tls: mailbox.tls, username: mailbox.username };
    session = await deps.imap.connect({ ...server, ...credential });
  } catch (error) {
    if (!(error instanceof ImapRefusedError) && !(error instanceof OAuthGrantRevokedError)) throw error;
    return { email_id: emailId, outcome: 'refused', mailbox_id: mailbox.id, error: error.message };
  }
  try {
    const { folder, outcome } = await session.appendSent(email);
    return { email_id: emailId, outcome, mailbox_id: mailbox.id, folder };
  } finally {
    await session.close();
  }
}

/** How one run of the poll walks the mailboxes. */
export interface PollRunOptions {
  /** Mailboxes polled at once (default 8): one slow or dead server holds up one lane only. */
  concurrency?: number;
  /** When no further mailbox is started (ms since the epoch; default: none): the run ends within its function's timeout. */
  startBefore?: number;
  /** The clock the deadline is read on (default Date.now). */
  now?: () => number;
}

/**
 * Polls the connected mailboxes, `concurrency` at a time, the least recently polled first
 * (never polled before all), and starts none after `startBefore`: a run that cannot reach every
 * mailbox leaves the rest first in line for the next one, so none starves. A failing mailbox
 * does not stop the others. Outcomes in the order the polls ended.
 */
export async function pollAllMailboxes(
  deps: MailboxesDeps,
  ctx: EventContext,
  options: PollRunOptions = {},
): Promise<PollOutcome[]> {
  const now = options.now ?? Date.now;
  const queue = (await deps.mailboxes.all()).sort((a, b) => (a.last_polled_at ?? '').localeCompare(b.last_polled_at ?? ''));
  const outcomes: PollOutcome[] = [];
  const lane = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      if (options.startBefore !== undefined && now() >= options.startBefore) return;
      outcomes.push(await pollMailbox(deps, ctx, next));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, lane));
  return outcomes;
}
