import { ForbiddenError, NotFoundError, ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import { domainEvent, type DomainEvent, type EventContext } from '#shared/kernel/events.ts';
import type { Call, Page, PageQuery } from '#shared/kernel/ports.ts';
import { visibleRecordOwner, visibleRecords, type RecordOwners } from '#shared/kernel/record-owners.ts';
import { recordRefKey, type RecordRef } from '#shared/kernel/related-records.ts';
import { checkIfMatch } from '#shared/kernel/versioned-update.ts';
import { MAIL_REQUESTED_EVENT, mailKey, type MailRequest } from '#shared/mail/domain.ts';
import {
  crmMessageIdOf,
  emailEventData,
  emailLoggedData,
  forwardingAddress,
  inboundRecipients,
  inboundTargetOf,
  threadCandidates,
  MAX_LOGGED_RECORDS,
  normalizeAddress,
  replyTokenAddress,
  sesEffect,
  splitName,
  userSendingAddress,
  type AddressMark,
  type AddSenderInput,
  type Email,
  type EmailFolder,
  type EmailListFolder,
  type InboundMessage,
  type SendEmailInput,
  type SesEventDetail,
  inboundRefusal,
  type InboundRefusal,
} from './domain.ts';
import type { AddressBook, EmailRepository, Mailboxes, SenderRecords, SuppressionList } from './ports.ts';

// Users' own mail (F9.1, F9.3–F9.5). A message is in its owner's mailbox and logged on the
// leads and contacts its addresses match (and the record it was linked to). Its owner sees
// and files it; whoever may see one of those records sees it too; nobody else does.
// Sending writes the message (queued), its events and a mail request in one transaction: the
// mail-sender sends it through SES (shared/emails/mail-job.ts) and SES's events, read by the
// email-events consumer, keep its delivery, opens and clicks.

/** Where the deployment sends from and receives replies (config email). */
export interface MailDomains {
  /** The verified sending domain: users send as <local part>@domain. */
  sending: string;
  /** The SES receiving domain of Reply-To tokens. */
  inbound: string;
}

export interface EmailsDeps {
  emails: EmailRepository;
  records: RecordOwners;
  addressBook: AddressBook;
  suppression: SuppressionList;
  mailboxes: Mailboxes;
  senderRecords: SenderRecords;
  domains: MailDomains;
  /** An unguessable token (lowercase letters and digits) for Reply-To addresses. */
  newToken: () => string;
}

const emailResource = (email: Pick<Email, 'id'>) => ({ resource_type: 'email', resource_id: email.id });

/** The message if the caller may see it: their own, or logged on a record they see. */
async function visibleEmail(deps: EmailsDeps, call: Call, id: string): Promise<Email> {
  const email = await deps.emails.get(id);
  if (!email) throw new NotFoundError('email', id);
  if (email.owner_id === call.principal.user_id) return email;
  if (email.records.length > 0) {
    const visible = await visibleRecords(deps.records, call.principal, email.records);
    if (visible.size > 0) return email;
  }
  throw new NotFoundError('email', id);
}

/** The message if the caller may file it: only in their own mailbox. */
async function ownEmail(deps: EmailsDeps, call: Call, id: string): Promise<Email> {
  const email = await visibleEmail(deps, call, id);
  if (email.owner_id !== call.principal.user_id) {
    throw new ForbiddenError("Only the mailbox's owner files, deletes or adds the sender of a message", {
      code: 'email.not_your_mailbox',
    });
  }
  return email;
}

export async function getEmail(deps: EmailsDeps, call: Call, id: string): Promise<Email> {
  return visibleEmail(deps, call, id);
}

/** GET /emails?folder=: one folder of the caller's own mailbox, newest first. */
export async function listEmails(
  deps: EmailsDeps,
  call: Call,
  request: PageQuery & { folder?: EmailListFolder | undefined },
): Promise<Page<Email>> {
  return deps.emails.folder(call.principal.user_id, request.folder ?? 'inbox', { limit: request.limit, cursor: request.cursor });
}

/** The mail request the outbox puts on the mail queue for a message. */
function mailRequested(call: Call, email: Email, causeId: string): DomainEvent<MailRequest> {
  const data: MailRequest = { type: 'user_email', recipient_id: email.owner_id, ref: email.id, event_id: causeId };
  return domainEvent(call.events, MAIL_REQUESTED_EVENT, { resource_type: 'mail', resource_id: mailKey(data) }, data);
}

/**
 * POST /emails: checks every recipient against the bounce/complaint marks and SES's
 * suppression list (422 naming the field, e.g. body.cc[1]), logs the message on each
 * matching lead and contact and on the linked record (which the caller must see), and queues it.
 * @throws ValidationError (422) for a suppressed or bounced recipient, or a reply to an unknown thread
 * @throws NotFoundError for a linked record the caller may not see
 */
export async function sendEmail(deps: EmailsDeps, call: Call, input: SendEmailInput): Promise<Email> {
  const user = await deps.mailboxes.user(call.principal.user_id);
  if (!user) throw new NotFoundError('user', call.principal.user_id);
  const fields: [string, string[]][] = [
    ['to', input.to],
    ['cc', input.cc ?? []],
    ['bcc', input.bcc ?? []],
  ];
  const problems = [];
  for (const [field, list] of fields) {
    for (const [i, raw] of list.entries()) {
      const address = normalizeAddress(raw);
      const mark = await deps.emails.addressMark(address);
      const listed = mark ? undefined : await deps.suppression.reason(address);
      if (mark || listed) {
        const why = mark
          ? mark.reason === 'bounce'
            ? 'bounced'
            : 'complained about our mail'
          : `is on the suppression list (${listed})`;
        problems.push({
          field: `body.${field}[${i}]`,
          message: `${address} ${mark ? `has ${why}` : why}: mail to it is not sent`,
        });
      }
    }
  }
  if (problems.length > 0) throw new ValidationError(problems, { code: 'email.recipient_suppressed' });

  let thread: Email | undefined;
  if (input.reply_to_email_id !== undefined) {
    thread = await deps.emails.get(input.reply_to_email_id);
    if (!thread || thread.owner_id !== call.principal.user_id) {
      throw ValidationError.field('body.reply_to_email_id', 'is no message of your mailbox', { fieldCode: 'unknown_reference' });
    }
  }
  const logged = new Map<string, RecordRef>();
  if (input.resource_type !== undefined && input.resource_id !== undefined) {
    const ref: RecordRef = { resource_type: input.resource_type, resource_id: input.resource_id };
    await visibleRecordOwner(deps.records, call.principal, ref);
    logged.set(recordRefKey(ref), ref);
  }
  const all = fields.flatMap(([, list]) => list.map(normalizeAddress));
  for (const match of await deps.addressBook.matching([...new Set(all)])) {
    const ref: RecordRef = { resource_type: match.resource_type, resource_id: match.resource_id };
    if (logged.size < MAX_LOGGED_RECORDS) logged.set(recordRefKey(ref), ref);
  }

  const now = call.events.now.toISOString();
  const id = call.events.newId();
  const token = deps.newToken();
  const messageId = `<${id.toLowerCase()}@${deps.domains.sending}>`;
  const references = thread
    ? [...thread.references, thread.message_id, ...(thread.header_message_id ? [thread.header_message_id] : [])]
    : [];
  const email: Email = {
    id,
    owner_id: call.principal.user_id,
    direction: 'outbound',
    folder: 'sent',
    archived: false,
    from: { address: userSendingAddress(user.email, deps.domains.sending), name: user.name },
    to: input.to.map((a) => ({ address: a, name: null })),
    cc: (input.cc ?? []).map((a) => ({ address: a, name: null })),
    bcc: (input.bcc ?? []).map((a) => ({ address: a, name: null })),
    // No mailbox can be connected yet (issue 14 item 4): replies come back through the token.
    reply_to: replyTokenAddress(token, deps.domains.inbound),
    subject: input.subject,
    text: input.text ?? null,
    html: input.html ?? null,
    thread_id: thread?.thread_id ?? id,
    message_id: messageId,
    header_message_id: null,
    provider_message_id: null,
    in_reply_to: thread ? (thread.header_message_id ?? thread.message_id) : null,
    references: [...new Set(references)],
    records: [...logged.values()],
    status: 'queued',
    opened_count: 0,
    first_opened_at: null,
    last_opened_at: null,
    click_count: 0,
    automated_count: 0,
    created_at: now,
    sent_at: null,
    updated_at: now,
    version: 1,
  };
  const created = domainEvent(call.events, 'email.created', emailResource(email), emailEventData(email));
  const events: DomainEvent[] = [
    created,
    ...email.records.map((ref) => domainEvent(call.events, 'email.logged', emailResource(email), emailLoggedData(email, ref))),
    mailRequested(call, email, created.metadata.event_id),
  ];
  await deps.emails.create(email, token, events);
  return email;
}

/** Archive (true) or unarchive (false) a message of the caller's mailbox. */
export async function setArchived(deps: EmailsDeps, call: Call, id: string, archived: boolean, ifMatch?: number): Promise<Email> {
  const before = await ownEmail(deps, call, id);
  await checkIfMatch('email', id, before, ifMatch);
  if (before.archived === archived) return before;
  const after: Email = { ...before, archived, updated_at: call.events.now.toISOString(), version: before.version + 1 };
  await deps.emails.update(before, after, [
    domainEvent(call.events, 'email.updated', emailResource(after), emailEventData(after), {
      previous: { archived: before.archived },
    }),
  ]);
  return after;
}

export async function deleteEmail(deps: EmailsDeps, call: Call, id: string, ifMatch?: number): Promise<void> {
  const email = await ownEmail(deps, call, id);
  await checkIfMatch('email', id, email, ifMatch);
  await deps.emails.delete(email, [domainEvent(call.events, 'email.deleted', emailResource(email), emailEventData(email))]);
}

/** Messages from one address add_sender re-files at most in one call. */
export const REFILE_MAX = 50;

/**
 * POST /emails/{id}/add_sender: creates a lead or contact (name from the From header) owned
 * by the caller from an inbound message's sender, then moves every message of the caller's
 * mailbox from that address out of unverified into the inbox, logging each on the new record.
 * @throws ValidationError (422) when the message is not inbound
 */
export async function addSender(
  deps: EmailsDeps,
  call: Call,
  id: string,
  input: AddSenderInput,
): Promise<{ resource_type: 'lead' | 'contact'; resource_id: string; refiled: number }> {
  const email = await ownEmail(deps, call, id);
  if (email.direction !== 'inbound') {
    throw ValidationError.field('params.id', 'is a message you sent: its sender is you', { code: 'email.not_inbound' });
  }
  const address = normalizeAddress(email.from.address);
  const name = splitName(email.from.name, address);
  const recordInput = { ...name, email: address };
  const resourceId =
    input.as === 'lead'
      ? await deps.senderRecords.createLead(call, recordInput)
      : await deps.senderRecords.createContact(call, recordInput);
  const ref: RecordRef = { resource_type: input.as, resource_id: resourceId };
  let refiled = 0;
  for (const before of await deps.emails.fromAddress(call.principal.user_id, address, REFILE_MAX)) {
    const records = before.records.some((r) => recordRefKey(r) === recordRefKey(ref)) ? before.records : [...before.records, ref];
    const folder = before.folder === 'unverified' ? 'inbox' : before.folder;
    if (folder === before.folder && records === before.records) continue;
    const after: Email = { ...before, folder, records, updated_at: call.events.now.toISOString(), version: before.version + 1 };
    await deps.emails.update(before, after, [
      domainEvent(call.events, 'email.updated', emailResource(after), emailEventData(after), {
        previous: { folder: before.folder, records: before.records },
      }),
      domainEvent(call.events, 'email.logged', emailResource(after), emailLoggedData(after, ref)),
    ]);
    if (folder !== before.folder) refiled++;
  }
  return { resource_type: input.as, resource_id: resourceId, refiled };
}

/** The message after one SES event (undefined: the event changes nothing on it). */
export function applySesEffect(email: Email, detail: SesEventDetail, eventTime: string): Email | undefined {
  const effect = sesEffect(detail, eventTime);
  const next = { ...email, version: email.version + 1, updated_at: eventTime };
  switch (effect.kind) {
    case 'open':
      if (effect.automated) return { ...next, automated_count: email.automated_count + 1 };
      return {
        ...next,
        opened_count: email.opened_count + 1,
        first_opened_at: email.first_opened_at === null || effect.at < email.first_opened_at ? effect.at : email.first_opened_at,
        last_opened_at: email.last_opened_at === null || effect.at > email.last_opened_at ? effect.at : email.last_opened_at,
      };
    case 'click':
      if (effect.automated) return { ...next, automated_count: email.automated_count + 1 };
      return { ...next, click_count: email.click_count + 1 };
    case 'delivered':
      return email.status === 'sent' || email.status === 'sending' || email.status === 'queued'
        ? { ...next, status: 'delivered' }
        : undefined;
    case 'bounced':
      return { ...next, status: 'bounced' };
    case 'complained':
      return { ...next, status: 'complained' };
    case 'none':
      return undefined;
  }
}

/** Tries of an SES event against a message that others change meanwhile. */
const SES_EVENT_TRIES = 5;

/**
 * Applies one SES event (EventBridge `id`, `time` and `detail`) once: the message's counters
 * or status (found by its crm_message_id tag) and the bounce or complaint marks of its
 * addresses. Mail the CRM did not log (alerts) only marks addresses.
 * @returns 'applied', or 'duplicate' when this event id was applied before
 */
export async function applySesEvent(
  emails: EmailRepository,
  event: { id: string; time: string; detail: SesEventDetail },
): Promise<'applied' | 'duplicate'> {
  const effect = sesEffect(event.detail, event.time);
  const marks: AddressMark[] =
    effect.kind === 'bounced' || effect.kind === 'complained'
      ? effect.addresses.map((address) => ({
          address,
          reason: effect.kind === 'bounced' ? 'bounce' : 'complaint',
          at: effect.at,
        }))
      : [];
  const id = crmMessageIdOf(event.detail);
  for (let attempt = 1; ; attempt++) {
    const before = id ? await emails.get(id) : undefined;
    const after = before ? applySesEffect(before, event.detail, event.time) : undefined;
    try {
      const applied = await emails.applySesEvent(event.id, before && after ? { before, after } : undefined, marks);
      return applied ? 'applied' : 'duplicate';
    } catch (error) {
      if (!(error instanceof VersionMismatchError) || attempt >= SES_EVENT_TRIES) throw error;
    }
  }
}

/** What logging one received message did in one mailbox. */
export interface ReceiveOutcome {
  owner_id: string;
  /** The message logged, or the id it would have had (a redelivery, an inactive user). */
  email_id: string;
  folder: EmailFolder;
  outcome: 'logged' | 'logged_before' | 'inactive_user' | InboundRefusal;
}

/**
 * Logs a received message (SES receiving, a local .eml) in the mailbox of every user it is
 * for: the owner of a sent message whose Reply-To token it is addressed to, and any user whose
 * forwarding/BCC address it names. In each mailbox it is threaded under the message it
 * answers (the token's, else the first of In-Reply-To and References, newest first, known by
 * our Message-ID or the wire's), logged on the leads and contacts of its sender (or, for mail
 * the user sent and Bcc'd to the CRM, of its recipients), case-insensitively, and filed in
 * the inbox when the sender matches one, in unverified otherwise (Sent for the user's own
 * mail). Once per mailbox and Message-ID (or raw digest): redeliveries log nothing. Mail SES
 * found a virus or spam in, or whose From domain failed DMARC, is logged nowhere (inboundRefusal).
 * @returns one outcome per mailbox; none when the message is for no user
 */
export async function receiveEmail(deps: EmailsDeps, ctx: EventContext, message: InboundMessage): Promise<ReceiveOutcome[]> {
  const owners = new Map<string, Email | undefined>();
  for (const address of inboundRecipients(message)) {
    const target = inboundTargetOf(address, deps.domains.inbound);
    if (target?.kind === 'reply') {
      const id = await deps.emails.replyTokenEmail(target.token);
      const answered = id ? await deps.emails.get(id) : undefined;
      if (answered) owners.set(answered.owner_id, answered);
    } else if (target?.kind === 'forward') {
      const owner = await deps.emails.forwardingOwner(target.token);
      if (owner && !owners.has(owner)) owners.set(owner, undefined);
    }
  }
  const outcomes: ReceiveOutcome[] = [];
  for (const [ownerId, answered] of owners) outcomes.push(await logInMailbox(deps, ctx, ownerId, answered, message));
  return outcomes;
}

/**
 * Logs a message fetched from a user's own connected mailbox (IMAP) in that user's CRM
 * mailbox, exactly as receiveEmail logs it for one user: so a message that also came through
 * SES receiving is logged once (the same (owner, Message-ID) marker). `mailboxAddresses` are
 * the connected mailbox's own addresses: mail from them is the user's (Sent).
 */
export async function receiveInMailbox(
  deps: EmailsDeps,
  ctx: EventContext,
  ownerId: string,
  message: InboundMessage,
  mailboxAddresses: readonly string[] = [],
): Promise<ReceiveOutcome> {
  return logInMailbox(deps, ctx, ownerId, undefined, message, mailboxAddresses);
}

/** receiveEmail for one mailbox: `answered` is the sent message a Reply-To token named. */
async function logInMailbox(
  deps: EmailsDeps,
  ctx: EventContext,
  ownerId: string,
  answered: Email | undefined,
  message: InboundMessage,
  mailboxAddresses: readonly string[] = [],
): Promise<ReceiveOutcome> {
  const inboundDomain = `@${deps.domains.inbound.toLowerCase()}`;
  const from = normalizeAddress(message.from.address);
  const id = ctx.newId();
  const refusal = inboundRefusal(message.verdicts);
  if (refusal) return { owner_id: ownerId, email_id: id, folder: 'unverified', outcome: refusal };
  const user = await deps.mailboxes.user(ownerId);
  if (!user || user.status !== 'active') {
    return { owner_id: ownerId, email_id: id, folder: 'unverified', outcome: 'inactive_user' };
  }
  const own = new Set([
    normalizeAddress(user.email),
    userSendingAddress(user.email, deps.domains.sending),
    ...mailboxAddresses.map(normalizeAddress),
  ]);
  const outbound = own.has(from);
  const counterparts = (outbound ? [...message.to, ...message.cc].map((a) => normalizeAddress(a.address)) : [from]).filter(
    (a) => a !== '' && !own.has(a) && !a.endsWith(inboundDomain),
  );
  const matches = counterparts.length > 0 ? await deps.addressBook.matching([...new Set(counterparts)]) : [];
  const records = new Map<string, RecordRef>();
  for (const match of matches) {
    const ref: RecordRef = { resource_type: match.resource_type, resource_id: match.resource_id };
    if (records.size < MAX_LOGGED_RECORDS) records.set(recordRefKey(ref), ref);
  }
  const folder: EmailFolder = outbound ? 'sent' : records.size > 0 ? 'inbox' : 'unverified';
  const thread = answered ?? (await deps.emails.threadOf(ownerId, threadCandidates(message)));
  const now = ctx.now.toISOString();
  const messageId = message.message_id ?? `<${message.digest.slice(0, 32)}@${deps.domains.inbound}>`;
  const email: Email = {
    id,
    owner_id: ownerId,
    direction: outbound ? 'outbound' : 'inbound',
    folder,
    archived: false,
    from: { address: message.from.address, name: message.from.name },
    to: message.to,
    cc: message.cc,
    bcc: [],
    reply_to: null,
    subject: message.subject,
    text: message.text,
    html: message.html,
    thread_id: thread?.thread_id ?? id,
    message_id: messageId,
    header_message_id: message.message_id,
    provider_message_id: null,
    in_reply_to: message.in_reply_to,
    references: message.references,
    records: [...records.values()],
    status: outbound ? 'sent' : 'received',
    opened_count: 0,
    first_opened_at: null,
    last_opened_at: null,
    click_count: 0,
    automated_count: 0,
    created_at: now,
    sent_at: outbound ? now : null,
    updated_at: now,
    version: 1,
  };
  const events: DomainEvent[] = [
    domainEvent(ctx, 'email.created', emailResource(email), emailEventData(email)),
    ...email.records.map((ref) => domainEvent(ctx, 'email.logged', emailResource(email), emailLoggedData(email, ref))),
  ];
  const logged = await deps.emails.receive(email, message.message_id ?? message.digest, events);
  return { owner_id: ownerId, email_id: id, folder, outcome: logged ? 'logged' : 'logged_before' };
}

/** GET /emails/forwarding_address: the caller's forwarding/BCC address (the same on every call). */
export async function forwardingAddressOf(deps: EmailsDeps, call: Call): Promise<{ address: string }> {
  const token = await deps.emails.forwardingToken(call.principal.user_id, deps.newToken());
  return { address: forwardingAddress(token, deps.domains.inbound) };
}
