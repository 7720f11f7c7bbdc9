import MailComposer from 'nodemailer/lib/mail-composer';
import type { RsvpStatus } from '#shared/appointments/domain.ts';
import { invitationIcs, type InvitationCalendar } from './itip.ts';

// The invitation mail as raw MIME (RFC 6047), composed by nodemailer's MailComposer:
// multipart/alternative of text/plain, text/html (the company logo by URL, the RSVP links) and
// text/calendar; method=REQUEST|CANCEL; charset=UTF-8 (the same VCALENDAR, no attachment
// disposition, so clients show their own Accept/Decline). SES sends it as is (SendEmail Raw).

/** Where the three RSVP links of one invitation point (a page that confirms, then records). */
export interface RsvpLinks {
  accepted: string;
  tentative: string;
  declined: string;
}

export interface InvitationMail {
  from: { name: string; address: string };
  to: { name: string | null; address: string };
  calendar: InvitationCalendar;
  company: { name: string; logo_url: string | null };
  /** The appointment's times as the attendee reads them ("Thu 3 Dec 2026, 10:00–11:00 (Europe/Paris)"). */
  when: string;
  /** Absent on a cancellation. */
  links: RsvpLinks | null;
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const ANSWER_LABELS: Record<Exclude<RsvpStatus, 'needs_action'>, string> = {
  accepted: 'Accept',
  tentative: 'Maybe',
  declined: 'Decline',
};

/** Subject, text and HTML of the mail (pure; the calendar part comes from the same data). */
export function invitationContent(mail: InvitationMail): { subject: string; text: string; html: string } {
  const { calendar: c, company, links } = mail;
  const cancelled = c.method === 'CANCEL';
  const updated = !cancelled && c.sequence > 0;
  const subject = `${cancelled ? 'Cancelled' : updated ? 'Updated invitation' : 'Invitation'}: ${c.summary} (${mail.when})`;
  const lead = cancelled
    ? `${c.organizer.name} cancelled this appointment.`
    : updated
      ? `${c.organizer.name} changed this appointment.`
      : `${c.organizer.name} invites you to this appointment.`;
  const details = [
    `When: ${mail.when}`,
    ...(c.location ? [`Where: ${c.location}`] : []),
    ...(c.description ? ['', c.description] : []),
  ];
  const answers = links
    ? (Object.keys(ANSWER_LABELS) as (keyof RsvpLinks)[]).map((k) => ({ label: ANSWER_LABELS[k], url: links[k] }))
    : [];
  const text = [
    lead,
    '',
    c.summary,
    ...details,
    ...(answers.length > 0 ? ['', 'Your answer:', ...answers.map((a) => `${a.label}: ${a.url}`)] : []),
    '',
    `-- ${company.name}`,
  ].join('\n');
  const logo = company.logo_url
    ? `<p><img src="${escapeHtml(company.logo_url)}" alt="${escapeHtml(company.name)}" height="40"></p>`
    : `<p><strong>${escapeHtml(company.name)}</strong></p>`;
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    logo,
    `<p>${escapeHtml(lead)}</p>`,
    `<h2>${escapeHtml(c.summary)}</h2>`,
    `<p>When: ${escapeHtml(mail.when)}</p>`,
    ...(c.location ? [`<p>Where: ${escapeHtml(c.location)}</p>`] : []),
    ...(c.description ? [`<p>${escapeHtml(c.description).replace(/\n/g, '<br>')}</p>`] : []),
    ...(answers.length > 0
      ? [`<p>${answers.map((a) => `<a href="${escapeHtml(a.url)}">${a.label}</a>`).join(' &middot; ')}</p>`]
      : []),
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}

/** The whole message (RFC 5322 bytes, CRLF), ready for SES SendEmail's Raw content. */
export async function composeInvitation(mail: InvitationMail): Promise<{ subject: string; raw: Buffer }> {
  const content = invitationContent(mail);
  const composer = new MailComposer({
    from: { name: mail.from.name, address: mail.from.address },
    to: mail.to.name ? { name: mail.to.name, address: mail.to.address } : mail.to.address,
    subject: content.subject,
    text: content.text,
    html: content.html,
    icalEvent: { method: mail.calendar.method, content: invitationIcs(mail.calendar) },
    headers: { 'Content-Class': 'urn:content-classes:calendarmessage' },
  });
  const raw = await new Promise<Buffer>((resolve, reject) =>
    composer.compile().build((error, message) => (error ? reject(error) : resolve(message))),
  );
  return { subject: content.subject, raw };
}
