import { ConflictError, NotFoundError, VersionMismatchError } from '#shared/kernel/errors.ts';
import { domainEvent, type EventContext } from '#shared/kernel/events.ts';
import type { Call } from '#shared/kernel/ports.ts';
import { receiveInMailbox, type EmailsDeps, type ReceiveOutcome } from '#shared/emails/use-cases.ts';
import {
  checkpointsOfListed,
  ImapRefusedError,
  foldersThisPoll,
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
import type { CredentialSealer, ImapConnector, ImapSession, MailboxRepository } from './ports.ts';

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
    folder_cursor: null,
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
 * Opens the mailbox's password and logs in; `sealed` is the password sealed anew when its key
 * was stale (the caller saves it), else the stored one.
 * @throws Error when the password does not open or the server refuses or cannot be reached
 */
async function login(deps: MailboxesDeps, mailbox: StoredMailbox): Promise<{ session: ImapSession; sealed: string }> {
  const { plain, stale } = await deps.sealer.open(mailbox.sealed_password, sealContext(mailbox));
  const sealed = stale ? await deps.sealer.seal(plain, sealContext(mailbox)) : mailbox.sealed_password;
  return { session: await deps.imap.connect({ ...mailbox, password: plain }), sealed };
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
  let checkpoints = mailbox.checkpoints;
  let folderCursor = mailbox.folder_cursor;
  let complete = true;
  let sealed = mailbox.sealed_password;
  let error: string | null = null;
  try {
    const opened = await login(deps, mailbox);
    sealed = opened.sealed;
    const session = opened.session;
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
  }
  const now = ctx.now.toISOString();
  const firstSync = error === null && complete && mailbox.first_synced_at === null;
  const after: StoredMailbox = {
    ...mailbox,
    checkpoints,
    folder_cursor: folderCursor,
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
export async function fileSentCopy(deps: MailboxesDeps, emailId: string): Promise<SentCopyOutcome> {
  const email = await deps.emails.emails.get(emailId);
  const fromCrm = email?.direction === 'outbound' && email.provider_message_id !== null;
  if (!email || !fromCrm || !SENT_STATUSES.has(email.status)) {
    return { email_id: emailId, outcome: 'not_sent' };
  }
  const owned = await deps.mailboxes.listByOwner(email.owner_id);
  const sender = email.from.address.toLowerCase();
  const mailbox = owned.find((m) => m.username.toLowerCase() === sender) ?? owned[0];
  if (!mailbox) return { email_id: emailId, outcome: 'no_mailbox' };
  await deps.mailboxes.markLogged(email.owner_id, email.message_id, email.id);
  let session: ImapSession;
  try {
    session = (await login(deps, mailbox)).session;
  } catch (error) {
    if (!(error instanceof ImapRefusedError)) throw error;
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
