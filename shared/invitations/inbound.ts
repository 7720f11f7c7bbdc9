import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { simpleParser, type ParsedMail } from 'mailparser';
import { parseItipReply, type ItipReply } from './itip-reply.ts';

export { INBOUND_PREFIX } from './domain.ts';

// Inbound mail (SES receipt rule → the files bucket under inbound/ → this): the object is
// read and parsed with mailparser, then sorted by content. A calendar REPLY (a text/calendar
// part with METHOD:REPLY) answers an invitation; anything else is ordinary mail, which the
// e-mail issue will log on records (today it is only counted).

/** What one inbound mail is. */
export type InboundMail =
  | { kind: 'itip_reply'; from: string | undefined; replies: ItipReply[]; message_id: string | undefined }
  | { kind: 'other'; from: string | undefined; message_id: string | undefined };

/** The text/calendar parts of a parsed mail (mailparser shows them as attachments, or as the text). */
function calendarParts(mail: ParsedMail): string[] {
  const parts = mail.attachments
    .filter((a) => a.contentType.toLowerCase() === 'text/calendar' || a.contentType.toLowerCase() === 'application/ics')
    .map((a) => a.content.toString('utf8'));
  if (parts.length === 0 && typeof mail.text === 'string' && /BEGIN:VCALENDAR/.test(mail.text)) parts.push(mail.text);
  return parts;
}

/** Sorts a raw message (RFC 5322 bytes) by content. */
export async function classifyInbound(raw: Buffer): Promise<InboundMail> {
  const mail = await simpleParser(raw, { skipHtmlToText: true, skipTextLinks: true });
  const from = mail.from?.value[0]?.address?.toLowerCase();
  // Clients often send the calendar twice (inline and as invite.ics): one answer per attendee and UID.
  const replies = [
    ...new Map(
      calendarParts(mail)
        .flatMap(parseItipReply)
        .map((r) => [`${r.uid} ${r.attendee}`, r]),
    ).values(),
  ];
  if (replies.length > 0) return { kind: 'itip_reply', from, replies, message_id: mail.messageId };
  return { kind: 'other', from, message_id: mail.messageId };
}

/** The largest message read (SES's receipt S3 action stores at most 40 MB). */
export const INBOUND_MAX_BYTES = 40 * 1024 * 1024;

/** Reads one received message from the bucket. @throws Error when it is larger than INBOUND_MAX_BYTES */
export async function readInbound(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if ((out.ContentLength ?? 0) > INBOUND_MAX_BYTES)
    throw new Error(`inbound mail ${key} is larger than ${INBOUND_MAX_BYTES} bytes`);
  return Buffer.from(await out.Body!.transformToByteArray());
}
