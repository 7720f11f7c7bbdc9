import MailComposer from 'nodemailer/lib/mail-composer';
import { appointmentUid } from '#shared/appointments/domain.ts';
import { invitationIcs } from '#shared/invitations/itip.ts';

/**
 * A calendar client's answer to an invitation: an iTIP REPLY mail (RFC 6047) from `from`
 * about the appointment's UID (appointmentUid), built with the same libraries as ours.
 */
export async function replyMail(options: {
  appointmentId: string;
  from: string;
  attendee: string;
  response: 'accepted' | 'tentative' | 'declined';
  sequence?: number;
}): Promise<Buffer> {
  const start = '2031-01-01T09:00:00Z';
  const ics = invitationIcs({
    method: 'REQUEST',
    uid: appointmentUid(options.appointmentId),
    sequence: options.sequence ?? 0,
    stamp: new Date(),
    summary: 'Reply',
    description: null,
    location: null,
    start,
    end: start,
    allDay: false,
    startDate: null,
    endDate: null,
    timeZone: 'UTC',
    organizer: { name: 'Organizer', email: 'crm@example.com' },
    attendee: { name: null, email: options.attendee, status: options.response },
  }).replace('METHOD:REQUEST', 'METHOD:REPLY');
  const composer = new MailComposer({
    from: options.from,
    to: 'crm@example.com',
    subject: `Reply: ${options.response}`,
    text: options.response,
    icalEvent: { method: 'REPLY', content: ics },
  });
  return new Promise((resolve, reject) => composer.compile().build((e, m) => (e ? reject(e) : resolve(m))));
}
