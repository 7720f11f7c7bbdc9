import { VersionMismatchError } from '#shared/kernel/errors.ts';
import { domainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import type { MailRequest } from '#shared/mail/domain.ts';
import type { ClaimedMail, MailJob, MailSettlement } from '#shared/mail/ports.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { versionedReplace } from '#shared/platform/dynamodb/versioned.ts';
import { EMAIL_SENT_EVENT, emailEventData, sesHeaderMessageId, type Email } from './domain.ts';
import { emailItem, emailItemOf, emailKey } from './dynamodb.ts';

// The mail-sender's job for users' own mail: a request names a message (queued by POST
// /emails); the job claims it (queued → sending, a versioned write, so one claim wins) and
// composes it from the message as stored; settling records SES's MessageId and the Message-ID
// header SES puts on the wire (replies quote that one), in the exact header form.

/** A claim older than this is taken to have died with its worker (above the queue's visibility timeout). */
export const USER_MAIL_CLAIM_TIMEOUT_MS = 5 * 60 * 1000;
/** Tries of a settlement against SES events that change the message meanwhile. */
const SETTLE_TRIES = 5;

interface Handle {
  id: string;
  claimId: string;
}

/** What the job reads about the sender: still active? */
export interface UserMailDirectory {
  user(id: string): Promise<{ status: string } | undefined>;
}

export class UserEmailJob implements MailJob {
  readonly #table: Table;
  readonly #region: string;
  readonly #directory: UserMailDirectory;
  constructor(table: Table, region: string, directory: UserMailDirectory) {
    this.#table = table;
    this.#region = region;
    this.#directory = directory;
  }

  async claim(request: MailRequest, now: Date): Promise<ClaimedMail | undefined> {
    const item = await this.#table.get(emailKey(request.ref), { consistent: true });
    if (!item) return undefined; // deleted before it went
    const email = emailItemOf(item);
    const stale =
      email.status === 'sending' && Date.parse(String(item.claimed_at ?? '')) < now.getTime() - USER_MAIL_CLAIM_TIMEOUT_MS;
    if (email.status === 'sending' && !stale) throw new Error(`message ${email.id} is being sent`);
    if (email.status !== 'queued' && !stale) return undefined;
    const claimId = newId(now.getTime());
    const claimed: Email = { ...email, status: 'sending', version: email.version + 1, updated_at: now.toISOString() };
    await this.#table.write([
      versionedReplace(
        { name: 'email', key: emailKey },
        email,
        emailItem(claimed, { claim_id: claimId, claimed_at: now.toISOString() }),
      ),
    ]);
    const handle: Handle = { id: email.id, claimId };
    const sender = await this.#directory.user(email.owner_id);
    if (!sender || sender.status !== 'active') return { mail: undefined, covers: 1, handle };
    const [first, ...moreTo] = email.to.map((a) => a.address);
    const references = [...email.references, email.message_id];
    return {
      mail: {
        to: first!,
        moreTo,
        cc: email.cc.map((a) => a.address),
        bcc: email.bcc.map((a) => a.address),
        from: email.from,
        ...(email.reply_to ? { replyTo: email.reply_to } : {}),
        headers: {
          // SES replaces Message-ID: ours travels in References, which SES leaves alone.
          References: references.join(' '),
          ...(email.in_reply_to ? { 'In-Reply-To': email.in_reply_to } : {}),
        },
        subject: email.subject,
        text: email.text ?? '',
        html: email.html ?? '',
        tags: { crm_message_id: email.id, crm_mail_type: 'user_email' },
      },
      covers: 1,
      handle,
    };
  }

  async settle(claimed: ClaimedMail, settlement: MailSettlement, now: Date): Promise<void> {
    const { id, claimId } = claimed.handle as Handle;
    for (let attempt = 1; ; attempt++) {
      const item = await this.#table.get(emailKey(id), { consistent: true });
      if (!item || item.claim_id !== claimId) return; // deleted, or another claim took it over
      const email = emailItemOf(item);
      const base = { ...email, version: email.version + 1, updated_at: now.toISOString() };
      // SES events (Delivery, Open) may have come before this settlement: keep what they set.
      const after: Email =
        settlement.status === 'sent'
          ? {
              ...base,
              status: email.status === 'sending' ? 'sent' : email.status,
              provider_message_id: settlement.message_id,
              header_message_id: sesHeaderMessageId(settlement.message_id, this.#region),
              sent_at: now.toISOString(),
            }
          : settlement.status === 'suppressed'
            ? { ...base, status: 'suppressed' }
            : settlement.status === 'no_recipient'
              ? { ...base, status: 'failed' }
              : { ...base, status: 'queued' };
      const extra = settlement.status === 'released' ? {} : { claim_id: claimId, settled_at: now.toISOString() };
      // SES took it: the sender's connected mailbox gets its copy in Sent (a consumer of this event).
      const events =
        settlement.status === 'sent'
          ? [
              domainEvent(
                { actor_id: 'system', correlation_id: claimId, now, newId: () => newId(now.getTime()) },
                EMAIL_SENT_EVENT,
                { resource_type: 'email', resource_id: id },
                emailEventData(after),
              ),
            ]
          : [];
      try {
        await this.#table.write([versionedReplace({ name: 'email', key: emailKey }, email, emailItem(after, extra))], events);
        return;
      } catch (error) {
        if (!(error instanceof VersionMismatchError) || attempt >= SETTLE_TRIES) throw error;
      }
    }
  }
}
