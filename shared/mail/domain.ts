import * as z from 'zod/mini';

// Outgoing mail (F2.1 alerts now; invitations and users' own mail later): every mail the CRM
// sends is one request on the mail queue, sent by the mail-sender function through SES at the
// account's sending rate. A request names what to send (`type`) and its key; the sender asks
// that type's job for the message, so the queue carries references, never rendered mail.

/** The internal event whose outbox item puts a mail request on the queue (a bus rule targets the queue). */
export const MAIL_REQUESTED_EVENT = 'mail.requested';

/** What the queue carries: the event's `data`. */
export const mailRequestSchema = z.object({
  /**
   * The job that composes it: "notification_alert" (shared/notifications/email.ts),
   * "user_email", a message a user sent from the CRM (shared/emails/mail-job.ts), or
   * "appointment_invitation" (shared/invitations/mail-job.ts, raw MIME with a calendar part).
   */
  type: z.enum(['notification_alert', 'user_email', 'appointment_invitation']),
  /** Whom it is for: a user id; for an invitation, the attendee ("contact#<id>", "email#<address>"...). */
  recipient_id: z.string().check(z.minLength(1)),
  /** The job's own reference: for an alert, the notification (group) id; for an invitation, its item. */
  ref: z.string().check(z.minLength(1)),
  /** The event that asked for it (an alert's pending e-mail is keyed by it). */
  event_id: z.string().check(z.minLength(1)),
});
export type MailRequest = z.output<typeof mailRequestSchema>;

/** The mail's idempotency key: one mail per (type, recipient, ref) and claim. */
export const mailKey = (request: Pick<MailRequest, 'type' | 'recipient_id' | 'ref'>): string =>
  `${request.type}:${request.recipient_id}:${request.ref}`;

/** One composed message: plain text and/or HTML, to one address or (a user's mail) several. */
export interface OutgoingMail {
  /** The first recipient: the one the suppression list is checked for (a user's mail was checked when sent). */
  to: string;
  /** More recipients (a user's mail): To after `to`, then Cc and Bcc. */
  moreTo?: string[];
  cc?: string[];
  bcc?: string[];
  /** The sender when not the deployment's own: a user's address on its domain, with their name. */
  from?: { address: string; name: string | null };
  replyTo?: string;
  /** Headers SES lets a sender set (In-Reply-To, References). */
  headers?: Record<string, string>;
  subject: string;
  /** Empty: no text part. */
  text: string;
  /** Empty: no HTML part. */
  html: string;
  /** SES EmailTags (letters, digits, `_` and `-` only): crm_message_id and the mail's type. */
  tags: Record<string, string>;
  /**
   * The whole message as composed (RFC 5322 bytes: headers, multipart body), sent as SES Raw
   * content instead of subject, text and html (which then only describe it): invitations,
   * whose text/calendar part Simple content cannot carry.
   */
  raw?: Uint8Array;
}

/** What happened to one request. */
export type MailOutcome = 'sent' | 'duplicate' | 'suppressed' | 'no_recipient';

/**
 * The least time between two sends of one worker (ms) so that `concurrency` workers together
 * stay within SES's MaxSendRate (messages per second): concurrency / rate seconds.
 * @throws Error for a rate or concurrency that is not positive
 */
export function sendSpacingMs(maxSendRate: number, concurrency: number): number {
  if (!(maxSendRate > 0) || !(concurrency >= 1)) throw new Error(`bad sending rate ${maxSendRate} or concurrency ${concurrency}`);
  return Math.ceil((1000 * concurrency) / maxSendRate);
}

/**
 * Paces one worker's sends: `wait` resolves when the next send may go, at least `spacingMs`
 * after the previous one. The clock and sleep are given (tests use fake ones).
 */
export class SendPacer {
  #last = Number.NEGATIVE_INFINITY;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  constructor(now: () => number, sleep: (ms: number) => Promise<void>) {
    this.#now = now;
    this.#sleep = sleep;
  }

  /** Waits out the spacing since the previous send (ms), then counts this send as made now. */
  async wait(spacingMs: number): Promise<void> {
    const due = this.#last + spacingMs;
    const now = this.#now();
    if (due > now) await this.#sleep(due - now);
    this.#last = Math.max(due, now);
  }
}

/** SES refused for rate (TooManyRequests, Throttling, a sending quota): the request goes back on the queue. */
export class MailThrottledError extends Error {
  override readonly name = 'MailThrottledError';
}

/**
 * Workers that send at once at most: the mail queue's event source maximum concurrency (2 is
 * the least SQS event sources accept), which the pacing divides MaxSendRate among.
 */
export const MAIL_SENDER_CONCURRENCY = 2;

/** A message of the mail queue: the bus event (a bus rule targets the queue) carrying a request. */
export const mailQueueMessageSchema = z.object({
  detail: z.object({
    metadata: z.object({ event_id: z.string(), event_type: z.literal(MAIL_REQUESTED_EVENT) }),
    data: mailRequestSchema,
  }),
});
