import { ConflictError, NotFoundError, VersionMismatchError } from '#shared/kernel/errors.ts';
import { domainEvent, type EventContext } from '#shared/kernel/events.ts';
import type { Call } from '#shared/kernel/ports.ts';
import { receiveInMailbox, type EmailsDeps, type ReceiveOutcome } from '#shared/emails/use-cases.ts';
import {
  lastUidOf,
  MAILBOX_SYNCED_EVENT,
  MAX_MAILBOXES_PER_USER,
  MAX_MESSAGES_PER_FOLDER_POLL,
  publicMailbox,
  withCheckpoint,
  type ConnectMailboxInput,
  type Mailbox,
  type MailboxSynced,
  type StoredMailbox,
} from './domain.ts';
import type { CredentialSealer, ImapConnector, MailboxRepository } from './ports.ts';

export interface MailboxesDeps {
  mailboxes: MailboxRepository;
  sealer: CredentialSealer;
  imap: ImapConnector;
  /** The e-mail family's receiving: every fetched message is logged through it. */
  emails: EmailsDeps;
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
  const owned = await deps.mailboxes.listByOwner(call.principal.user_id);
  if (owned.length >= MAX_MAILBOXES_PER_USER) {
    throw new ConflictError(`you have ${MAX_MAILBOXES_PER_USER} mailboxes connected: remove one first`, {
      code: 'mailbox.limit_reached',
    });
  }
  const base = {
    id: call.events.newId(),
    owner_id: call.principal.user_id,
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
    version: 1,
  };
  await deps.mailboxes.create(mailbox);
  return publicMailbox(mailbox);
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
  outcome: 'polled' | 'failed';
  logged: number;
  logged_before: number;
  /** True when this poll completed the mailbox's first sync (the user was told). */
  first_sync: boolean;
  error?: string;
}

/**
 * Polls one mailbox: logs in, and for INBOX and the Sent folder logs every message above the
 * checkpoint of (folder, current UIDVALIDITY) through the e-mail family's receiving (a changed
 * UIDVALIDITY reads the folder from the start; the (owner, Message-ID) marker keeps mail logged
 * before from logging twice). Then saves the checkpoints; the first poll that leaves nothing
 * unread also records `first_synced_at` and its `mailbox.synced` event, in the same conditional
 * write, so the user is told once. A refused login or a dead server is kept in `last_error`.
 */
export async function pollMailbox(deps: MailboxesDeps, ctx: EventContext, mailbox: StoredMailbox): Promise<PollOutcome> {
  const outcome: PollOutcome = { mailbox_id: mailbox.id, outcome: 'polled', logged: 0, logged_before: 0, first_sync: false };
  let checkpoints = mailbox.checkpoints;
  let complete = true;
  let sealed = mailbox.sealed_password;
  let error: string | null = null;
  try {
    const { plain, stale } = await deps.sealer.open(mailbox.sealed_password, sealContext(mailbox));
    if (stale) sealed = await deps.sealer.seal(plain, sealContext(mailbox));
    const session = await deps.imap.connect({ ...mailbox, password: plain });
    try {
      const own = mailbox.username.includes('@') ? [mailbox.username] : [];
      for (const folder of await session.folders()) {
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
    } finally {
      await session.close();
    }
  } catch (cause) {
    error = cause instanceof Error ? cause.message : String(cause);
    outcome.outcome = 'failed';
    outcome.error = error;
  }
  const now = ctx.now.toISOString();
  const firstSync = error === null && complete && mailbox.first_synced_at === null;
  const after: StoredMailbox = {
    ...mailbox,
    checkpoints,
    sealed_password: sealed,
    last_polled_at: now,
    last_error: error,
    first_synced_at: firstSync ? now : mailbox.first_synced_at,
    version: mailbox.version + 1,
  };
  const events = firstSync
    ? [
        domainEvent<MailboxSynced>(ctx, MAILBOX_SYNCED_EVENT, mailboxResource(mailbox), {
          owner_id: mailbox.owner_id,
          host: mailbox.host,
          username: mailbox.username,
          logged: outcome.logged,
        }),
      ]
    : [];
  try {
    await deps.mailboxes.save(mailbox, after, events);
    outcome.first_sync = firstSync;
  } catch (cause) {
    // Deleted or polled by another run meanwhile: its checkpoints stand; the markers keep mail once.
    if (!(cause instanceof VersionMismatchError)) throw cause;
  }
  return outcome;
}

/** Polls every connected mailbox, one at a time; a failing one does not stop the others. */
export async function pollAllMailboxes(deps: MailboxesDeps, ctx: EventContext): Promise<PollOutcome[]> {
  const outcomes: PollOutcome[] = [];
  for (const mailbox of await deps.mailboxes.all()) outcomes.push(await pollMailbox(deps, ctx, mailbox));
  return outcomes;
}
