import nodeIcal from 'node-ical';
import type { RsvpStatus } from '#shared/appointments/domain.ts';

// Reading iTIP REPLY mail (RFC 5546 §3.2.3). Apart from the invitations' writing (itip.ts) so
// that the mail sender, which only writes them, does not load the parser and its recurrence
// library.

/** One attendee's answer in an iTIP REPLY. */
export interface ItipReply {
  uid: string;
  sequence: number;
  /** The attendee's address (lower case, no "mailto:"). */
  attendee: string;
  response: Exclude<RsvpStatus, 'needs_action'>;
}

const ANSWERS: Record<string, ItipReply['response']> = {
  ACCEPTED: 'accepted',
  TENTATIVE: 'tentative',
  DECLINED: 'declined',
};

const mailtoOf = (value: unknown): string | undefined => {
  const raw = typeof value === 'string' ? value : (value as { val?: unknown } | undefined)?.val;
  return typeof raw === 'string'
    ? raw
        .replace(/^mailto:/i, '')
        .trim()
        .toLowerCase()
    : undefined;
};

/**
 * The answers of a METHOD:REPLY calendar (one per VEVENT attendee with an ACCEPTED, TENTATIVE
 * or DECLINED PARTSTAT); empty for any other method or for text that is not iCalendar.
 */
export function parseItipReply(text: string): ItipReply[] {
  if (!/^METHOD:REPLY\s*$/im.test(text)) return [];
  let parsed: ReturnType<typeof nodeIcal.sync.parseICS>;
  try {
    parsed = nodeIcal.sync.parseICS(text);
  } catch {
    return [];
  }
  const replies: ItipReply[] = [];
  for (const component of Object.values(parsed)) {
    if (!component || component.type !== 'VEVENT') continue;
    const event = component as unknown as { uid?: string; sequence?: string | number; attendee?: unknown };
    if (!event.uid) continue;
    const attendees = Array.isArray(event.attendee) ? event.attendee : event.attendee ? [event.attendee] : [];
    for (const a of attendees) {
      const params = (a as { params?: Record<string, unknown> }).params ?? {};
      const response = ANSWERS[String(params.PARTSTAT ?? '').toUpperCase()];
      const email = mailtoOf(a);
      if (response && email)
        replies.push({ uid: event.uid, sequence: Number(event.sequence ?? 0) || 0, attendee: email, response });
    }
  }
  return replies;
}
