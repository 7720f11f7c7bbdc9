import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import type { EmailAddress, InboundMessage, InboundVerdicts } from './domain.ts';

// Received mail (SES receiving's S3 object, or a local .eml) parsed with mailparser into what
// logging reads. Envelope recipients come from the headers receiving servers add: a message
// Bcc'd to a user's forwarding address names that address nowhere else.

const addressesOf = (value: AddressObject | AddressObject[] | undefined): EmailAddress[] =>
  (Array.isArray(value) ? value : value ? [value] : [])
    .flatMap((group) => group.value.flatMap((a) => (a.group ? a.group : [a])))
    .filter((a) => typeof a.address === 'string' && a.address.includes('@'))
    .map((a) => ({ address: a.address!.trim(), name: a.name?.trim() || null }));

const headerStrings = (mail: ParsedMail, name: string): string[] => {
  const value = mail.headers.get(name);
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map((v) => (typeof v === 'string' ? v : typeof v === 'object' && v && 'text' in v ? String(v.text) : String(v)));
};

/** The envelope recipients the headers show (Delivered-To, X-Original-To, Received "for <…>"). */
function envelopeRecipients(mail: ParsedMail): string[] {
  const found: string[] = [];
  for (const name of ['delivered-to', 'x-original-to', 'x-forwarded-to']) {
    for (const value of headerStrings(mail, name)) found.push(...(value.match(/[^\s<>,;"]+@[^\s<>,;"]+/g) ?? []));
  }
  for (const received of headerStrings(mail, 'received')) {
    const match = /\bfor\s+<?([^\s<>;]+@[^\s<>;]+)>?/i.exec(received);
    if (match) found.push(match[1]!);
  }
  return [...new Set(found.map((a) => a.toLowerCase()))];
}

/** The topmost header of this name (the receiving server prepends its own above any the sender wrote). */
const topmost = (mail: ParsedMail, name: string): string | null => {
  const line = mail.headerLines.find((h) => h.key === name)?.line;
  return line === undefined ? null : line.slice(line.indexOf(':') + 1).trim();
};

/** SES receiving's verdicts (domain InboundVerdicts): only SES's own Authentication-Results counts. */
function verdictsOf(mail: ParsedMail): InboundVerdicts {
  const results = topmost(mail, 'authentication-results');
  const bySes = results !== null && /^amazonses\.com\s*;/i.test(results);
  return {
    spam: topmost(mail, 'x-ses-spam-verdict')?.toLowerCase() ?? null,
    virus: topmost(mail, 'x-ses-virus-verdict')?.toLowerCase() ?? null,
    dmarc: bySes ? (/\bdmarc=([a-z]+)/i.exec(results)?.[1]?.toLowerCase() ?? null) : null,
  };
}

const ids = (value: string | string[] | undefined): string[] =>
  (Array.isArray(value) ? value : value ? [value] : []).flatMap((v) => v.match(/<[^<>\s]+>/g) ?? []);

/** Parses one received message (RFC 5322 bytes). A message with no From parses with an empty address. */
export async function parseInbound(raw: Buffer): Promise<InboundMessage> {
  const mail = await simpleParser(raw, { skipHtmlToText: true, skipTextLinks: true, skipImageLinks: true });
  return {
    message_id: ids(mail.messageId)[0] ?? null,
    from: addressesOf(mail.from)[0] ?? { address: '', name: null },
    to: addressesOf(mail.to),
    cc: addressesOf(mail.cc),
    envelope_to: envelopeRecipients(mail),
    subject: mail.subject ?? '',
    text: mail.text ?? null,
    html: typeof mail.html === 'string' ? mail.html : null,
    in_reply_to: ids(mail.inReplyTo)[0] ?? null,
    references: ids(mail.references),
    digest: createHash('sha256').update(raw).digest('hex'),
    verdicts: verdictsOf(mail),
  };
}
