import type { MailRequest, OutgoingMail } from './domain.ts';

/** SES as the sender uses it. */
export interface MailTransport {
  /** The account's MaxSendRate (messages per second; GetAccount, cached by the adapter). */
  maxSendRate(): Promise<number>;
  /** The address's entry on the account's suppression list (GetSuppressedDestination), or undefined. */
  suppression(address: string): Promise<{ reason: string } | undefined>;
  /**
   * Sends through the deployment's configuration set, from its sender address.
   * @returns SES's message id
   * @throws MailThrottledError when SES refuses for rate or quota (the request is retried)
   */
  send(mail: OutgoingMail): Promise<string>;
}

/** What a job settles a claim with. */
export type MailSettlement =
  | { status: 'sent'; message_id: string }
  | { status: 'suppressed'; reason: string }
  | { status: 'no_recipient' }
  /** Back to pending: the send failed and the request goes back on the queue. */
  | { status: 'released' };

/** A claimed mail: its message and the job's handle on what it covers. */
export interface ClaimedMail {
  mail: OutgoingMail | undefined;
  /** What the mail covers (an alert: its pending e-mails), for the log. */
  covers: number;
  handle: unknown;
}

/** One type of mail: composes it from the records a request names, and records its fate. */
export interface MailJob {
  /**
   * Claims what the request covers (a conditional write: one claim wins) and composes its
   * mail (`mail` undefined: no one to send to). Undefined when the request was settled before
   * (a redelivery or a request another one's mail already covered).
   * @throws Error when another claim on it is in progress (the request is retried later)
   */
  claim(request: MailRequest, now: Date): Promise<ClaimedMail | undefined>;
  /** Records the claim's outcome (conditional on the claim still being ours). */
  settle(claimed: ClaimedMail, settlement: MailSettlement, now: Date): Promise<void>;
}

/** Where the sender tells what it did not send (suppressions are logged, never silent). */
export interface MailLog {
  warn(message: string, fields: Record<string, unknown>): void;
  info(message: string, fields: Record<string, unknown>): void;
}
