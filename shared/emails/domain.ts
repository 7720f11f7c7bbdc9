import * as z from 'zod/mini';
import { firstChars } from '#shared/kernel/chars.ts';
import { relatedRecordTypeSchema, type RecordRef } from '#shared/kernel/related-records.ts';
import { idSchema } from '#shared/kernel/schema.ts';

// Users' own e-mail (F9): what a user sends from the CRM, and (later) what their mailbox and
// the inbound address receive, as one kind of record. Each message sits in its owner's
// mailbox, in one folder, and is logged on the leads and contacts whose addresses it names
// (and the record it was linked to), where whoever may see those records sees it too.
// Threading keeps every id the message is known by: our own Message-ID (SES replaces the
// header's, so ours travels in References), the one SES put on the wire, and a Reply-To token.

export const EMAIL_DIRECTIONS = ['outbound', 'inbound'] as const;
/** Where a message is filed: `archived` is a flag, shown as its own folder. */
export const EMAIL_FOLDERS = ['inbox', 'unverified', 'sent'] as const;
export type EmailFolder = (typeof EMAIL_FOLDERS)[number];
/** What GET /emails?folder= names. */
export const EMAIL_LIST_FOLDERS = ['inbox', 'unverified', 'sent', 'archived'] as const;
export type EmailListFolder = (typeof EMAIL_LIST_FOLDERS)[number];

/**
 * queued → sending → sent (SES took it) → delivered; bounced / complained from SES events;
 * suppressed when SES's list held the address at send time; failed when its sender is no
 * longer active; received for inbound mail.
 */
export const EMAIL_STATUSES = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'bounced',
  'complained',
  'suppressed',
  'failed',
  'received',
] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

/** Recipients of one message at most (SES's limit for one SendEmail). */
export const MAX_RECIPIENTS = 50;
/** Records one message is logged on at most (one transaction writes them with their events). */
export const MAX_LOGGED_RECORDS = 20;
export const SUBJECT_MAX = 998;
export const BODY_MAX = 1_000_000;

const addressSchema = z.object({ address: z.string(), name: z.nullable(z.string()) });
export type EmailAddress = z.output<typeof addressSchema>;

const recordRefSchema = z.object({ resource_type: relatedRecordTypeSchema, resource_id: z.string() });

/** A message as stored and as the API shows it. */
export const emailSchema = z.object({
  id: z.string(),
  /** The user whose mailbox holds it. */
  owner_id: z.string(),
  direction: z.enum(EMAIL_DIRECTIONS),
  folder: z.enum(EMAIL_FOLDERS),
  archived: z.boolean(),
  from: addressSchema,
  to: z.array(addressSchema),
  cc: z.array(addressSchema),
  bcc: z.array(addressSchema),
  /** Where replies go: a token address of the inbound domain while no mailbox is connected. */
  reply_to: z.nullable(z.string()),
  subject: z.string(),
  text: z.nullable(z.string()),
  html: z.nullable(z.string()),
  /** The first message's id of the thread (its own id for a new thread). */
  thread_id: z.string(),
  /** Our own Message-ID, "<id@domain>", sent in References (SES replaces the header's). */
  message_id: z.string(),
  /** The Message-ID header on the wire: "<SES MessageId@<region>.amazonses.com>" for sent mail. */
  header_message_id: z.nullable(z.string()),
  /** SES's MessageId (bare), which its events name. */
  provider_message_id: z.nullable(z.string()),
  in_reply_to: z.nullable(z.string()),
  references: z.array(z.string()),
  /** The leads and contacts it is logged on, and the deal it was linked to. */
  records: z.array(recordRefSchema),
  status: z.enum(EMAIL_STATUSES),
  /** Opens SES reported (tracking pixel fetches; may include automatic opens by mail clients). */
  opened_count: z.int(),
  first_opened_at: z.nullable(z.string()),
  last_opened_at: z.nullable(z.string()),
  click_count: z.int(),
  /** Opens and clicks by link scanners and prefetchers (by their user agent): not counted above. */
  automated_count: z.int(),
  created_at: z.string(),
  sent_at: z.nullable(z.string()),
  updated_at: z.string(),
  version: z.int(),
});
export type Email = z.output<typeof emailSchema>;

const recipient = z.string().check(z.trim(), z.email('must be an e-mail address'), z.maxLength(254));
const recipients = z.array(recipient).check(z.maxLength(MAX_RECIPIENTS));

export const sendEmailInput = z
  .strictObject({
    to: z.array(recipient).check(z.minLength(1, 'name at least one recipient'), z.maxLength(MAX_RECIPIENTS)),
    cc: z.optional(recipients),
    bcc: z.optional(recipients),
    subject: z.string().check(z.maxLength(SUBJECT_MAX)),
    text: z.optional(z.string().check(z.maxLength(BODY_MAX))),
    html: z.optional(z.string().check(z.maxLength(BODY_MAX))),
    /** Replies to this message of the caller's mailbox (same thread). */
    reply_to_email_id: z.optional(idSchema),
    /** The lead, contact or deal it is about (logged there too). */
    resource_type: z.optional(relatedRecordTypeSchema),
    resource_id: z.optional(idSchema),
  })
  .check(
    z.refine((v) => (v.text ?? '').trim() !== '' || (v.html ?? '').trim() !== '', {
      message: 'give a text or an HTML body',
      path: ['text'],
    }),
    z.refine((v) => (v.resource_type === undefined) === (v.resource_id === undefined), {
      message: 'resource_type and resource_id go together',
      path: ['resource_id'],
    }),
    z.refine((v) => v.to.length + (v.cc?.length ?? 0) + (v.bcc?.length ?? 0) <= MAX_RECIPIENTS, {
      message: `at most ${MAX_RECIPIENTS} recipients in all`,
      path: ['to'],
    }),
  );
export type SendEmailInput = z.output<typeof sendEmailInput>;

export const addSenderInput = z.strictObject({ as: z.enum(['lead', 'contact']) });
export type AddSenderInput = z.output<typeof addSenderInput>;

export const addSenderResult = z.object({
  resource_type: z.enum(['lead', 'contact']),
  resource_id: z.string(),
  /** Messages from that address moved from unverified to the inbox. */
  refiled: z.int(),
});

/** Addresses compare case-insensitively (the domain is; local parts are in practice). */
export const normalizeAddress = (address: string): string => address.trim().toLowerCase();

/** The folder a message is listed in: archived above its own folder. */
export const listFolderOf = (email: Pick<Email, 'folder' | 'archived'>): EmailListFolder =>
  email.archived ? 'archived' : email.folder;

/**
 * The user's sending address on the deployment's domain: their own address when it is on
 * that domain, otherwise its local part at the domain.
 */
export function userSendingAddress(userEmail: string, domain: string): string {
  const address = normalizeAddress(userEmail);
  const at = address.lastIndexOf('@');
  return address.slice(at + 1) === domain ? address : `${address.slice(0, at)}@${domain}`;
}

/** The Reply-To address that routes replies back through SES receiving: "reply+<token>@<inbound domain>". */
export const replyTokenAddress = (token: string, inboundDomain: string): string => `reply+${token}@${inboundDomain}`;

/** The token of a Reply-To token address, or undefined for any other address. */
export function replyTokenOf(address: string, inboundDomain: string): string | undefined {
  const match = /^reply\+([a-z0-9]+)@(.+)$/.exec(normalizeAddress(address));
  return match && match[2] === inboundDomain.toLowerCase() ? match[1] : undefined;
}

/**
 * The Message-ID header SES gives a message whose SendEmail returned `messageId`, in the exact
 * header form replies quote (RFC 5322 §3.6.4; the SMTP answer and the API give the bare id).
 */
export const sesHeaderMessageId = (messageId: string, region: string): string =>
  `<${messageId}@${region === 'us-east-1' ? 'email' : region}.amazonses.com>`;

/** A person's name from a header's display name: first word(s) and last word, for a lead. */
export function splitName(name: string | null, address: string): { first_name: string | null; last_name: string } {
  const clean = (name ?? '').replace(/["']/g, '').trim();
  if (!clean) return { first_name: null, last_name: address.slice(0, address.indexOf('@')) };
  const words = clean.split(/\s+/);
  if (words.length === 1) return { first_name: null, last_name: words[0]! };
  return { first_name: words.slice(0, -1).join(' '), last_name: words.at(-1)! };
}

/** Events carry at most this much of a body: the bus takes 256 KB per PutEvents. */
export const EMAIL_EVENT_BODY_MAX = 1_000;

/** SES took a message a user sent from the CRM (the mail-sender's settlement writes it). */
export const EMAIL_SENT_EVENT = 'email.sent';

/** A message as its events carry it: bodies cut to EMAIL_EVENT_BODY_MAX characters. */
export function emailEventData(email: Email): Email {
  return {
    ...email,
    text: email.text === null ? null : firstChars(email.text, EMAIL_EVENT_BODY_MAX),
    html: email.html === null ? null : firstChars(email.html, EMAIL_EVENT_BODY_MAX),
  };
}

/** email.logged's data: the message (as above) and the record it was logged on. */
export const emailLoggedData = (email: Email, record: RecordRef) => ({
  ...emailEventData(email),
  resource_type: record.resource_type,
  resource_id: record.resource_id,
});

/** SES event types this CRM consumes (the configuration set's EventBridge destination). */
export const SES_EVENT_DETAIL_TYPES = [
  'Email Sent',
  'Email Delivered',
  'Email Bounced',
  'Email Complaint Received',
  'Email Opened',
  'Email Clicked',
] as const;
export const SES_EVENT_SOURCE = 'aws.ses';

/** The part of an SES event (EventBridge `detail`) the consumer reads. */
export const sesEventDetailSchema = z.object({
  eventType: z.string(),
  mail: z.object({
    messageId: z.string(),
    timestamp: z.optional(z.string()),
    tags: z.optional(z.record(z.string(), z.array(z.string()))),
  }),
  bounce: z.optional(
    z.object({
      bounceType: z.string(),
      bounceSubType: z.optional(z.string()),
      bouncedRecipients: z.array(z.object({ emailAddress: z.string() })),
      timestamp: z.optional(z.string()),
    }),
  ),
  complaint: z.optional(
    z.object({ complainedRecipients: z.array(z.object({ emailAddress: z.string() })), timestamp: z.optional(z.string()) }),
  ),
  open: z.optional(z.object({ timestamp: z.string(), userAgent: z.optional(z.string()) })),
  click: z.optional(z.object({ timestamp: z.string(), userAgent: z.optional(z.string()), link: z.optional(z.string()) })),
  delivery: z.optional(z.object({ timestamp: z.optional(z.string()) })),
});
export type SesEventDetail = z.output<typeof sesEventDetailSchema>;

/**
 * Fetchers no person drives: link scanners (Safe Links and the like), preview bots and
 * headless browsers fetch every link and pixel; their opens and clicks are flagged, not counted.
 */
const AUTOMATED_AGENTS =
  /bot\b|crawler|spider|scanner|safelinks|safe links|barracuda|mimecast|proofpoint|headless|python-requests|curl\/|wget|go-http-client|java\//i;

/** Whether an open or click came from a machine (by its User-Agent). */
export const isAutomatedFetch = (userAgent: string | undefined): boolean =>
  userAgent !== undefined && AUTOMATED_AGENTS.test(userAgent);

/** What one SES event does to a message and to addresses. */
export type SesEffect =
  | { kind: 'open' | 'click'; at: string; automated: boolean }
  | { kind: 'delivered'; at: string }
  | { kind: 'bounced' | 'complained'; at: string; addresses: string[] }
  | { kind: 'none' };

/** The effect of an SES event, from the event alone. Transient bounces mark nothing. */
export function sesEffect(detail: SesEventDetail, eventTime: string): SesEffect {
  switch (detail.eventType) {
    case 'Open':
      return { kind: 'open', at: detail.open?.timestamp ?? eventTime, automated: isAutomatedFetch(detail.open?.userAgent) };
    case 'Click':
      return { kind: 'click', at: detail.click?.timestamp ?? eventTime, automated: isAutomatedFetch(detail.click?.userAgent) };
    case 'Delivery':
      return { kind: 'delivered', at: detail.delivery?.timestamp ?? eventTime };
    case 'Bounce':
      if (detail.bounce?.bounceType !== 'Permanent') return { kind: 'none' };
      return {
        kind: 'bounced',
        at: detail.bounce.timestamp ?? eventTime,
        addresses: detail.bounce.bouncedRecipients.map((r) => normalizeAddress(r.emailAddress)),
      };
    case 'Complaint':
      return {
        kind: 'complained',
        at: detail.complaint?.timestamp ?? eventTime,
        addresses: (detail.complaint?.complainedRecipients ?? []).map((r) => normalizeAddress(r.emailAddress)),
      };
    default:
      return { kind: 'none' };
  }
}

/** The CRM message id an SES event names (the crm_message_id tag the send set). */
export const crmMessageIdOf = (detail: SesEventDetail): string | undefined => detail.mail.tags?.crm_message_id?.[0];

/** The mark an address carries once SES reported it bounced or complained. */
export interface AddressMark {
  address: string;
  reason: 'bounce' | 'complaint';
  at: string;
}

/** A short text for a message (the feed's name for it). */
export const emailName = (email: Pick<Email, 'subject'>): string => firstChars(email.subject || '(no subject)', 200);

/**
 * A received message as the inbound path reads it (parsed MIME): what logging needs.
 * Message ids are in header form ("<id@host>").
 */
export interface InboundMessage {
  /** The Message-ID header, or null when the message has none. */
  message_id: string | null;
  from: EmailAddress;
  to: EmailAddress[];
  cc: EmailAddress[];
  /**
   * Envelope recipients the headers show (Delivered-To, X-Original-To, Received "for <…>"):
   * a Bcc'd address is named only there.
   */
  envelope_to: string[];
  subject: string;
  text: string | null;
  html: string | null;
  in_reply_to: string | null;
  references: string[];
  /** SHA-256 (hex) of the raw bytes: the message's identity when it has no Message-ID. */
  digest: string;
  /** What the receiving service found (SES receiving with scanning on); null: not reported (a local .eml). */
  verdicts: InboundVerdicts;
}

/**
 * SES receiving's verdicts on a message, from the headers it prepends when the receipt rule
 * scans (X-SES-Spam-Verdict, X-SES-Virus-Verdict: PASS, FAIL, GRAY, PROCESSING_FAILED) and its
 * Authentication-Results (RFC 8601, authserv-id amazonses.com: dmarc=pass|fail|none...). Each
 * is lower case, or null when the message carries none.
 */
export interface InboundVerdicts {
  spam: string | null;
  virus: string | null;
  dmarc: string | null;
}

/** Why received mail is not logged at all, or null to log it. */
export type InboundRefusal = 'virus' | 'spam' | 'spoofed_sender';

/**
 * Received mail the CRM refuses to log: a virus or spam verdict of FAIL, or a From domain whose
 * DMARC check failed (someone else's domain: anyone knowing a user's reply token could
 * otherwise put mail "from" a contact in that user's mailbox). GRAY and PROCESSING_FAILED are
 * logged: SES itself delivers those.
 */
export function inboundRefusal(verdicts: InboundVerdicts): InboundRefusal | null {
  if (verdicts.virus === 'fail') return 'virus';
  if (verdicts.spam === 'fail') return 'spam';
  if (verdicts.dmarc === 'fail') return 'spoofed_sender';
  return null;
}

/** The user's forwarding/BCC address of the inbound domain: "log+<token>@<inbound domain>". */
export const forwardingAddress = (token: string, inboundDomain: string): string => `log+${token}@${inboundDomain}`;

/** What an address of the inbound domain names: a sent message's Reply-To token, or a user's forwarding token. */
export type InboundTarget = { kind: 'reply'; token: string } | { kind: 'forward'; token: string };

/** The target an address names, or undefined for an address outside the inbound domain or of another form. */
export function inboundTargetOf(address: string, inboundDomain: string): InboundTarget | undefined {
  const match = /^(reply|log)\+([a-z0-9]+)@(.+)$/.exec(normalizeAddress(address));
  if (!match || match[3] !== inboundDomain.toLowerCase()) return undefined;
  return { kind: match[1] === 'reply' ? 'reply' : 'forward', token: match[2]! };
}

/** Every address a received message names, normalised, once each: where its owners are found. */
export function inboundRecipients(message: InboundMessage): string[] {
  return [
    ...new Set(
      [...message.to, ...message.cc].map((a) => normalizeAddress(a.address)).concat(message.envelope_to.map(normalizeAddress)),
    ),
  ];
}

/**
 * The ids a received message answers, most specific first: In-Reply-To, then References
 * from the newest (RFC 5322 §3.6.4 lists the oldest first).
 */
export function threadCandidates(message: Pick<InboundMessage, 'in_reply_to' | 'references'>): string[] {
  return [...new Set([...(message.in_reply_to ? [message.in_reply_to] : []), ...[...message.references].reverse()])];
}
