import { describe, expect, it } from 'vitest';
import nodeIcal from 'node-ical';
import MailComposer from 'nodemailer/lib/mail-composer';
import {
  createAppointmentRoute,
  deleteAppointmentRoute,
  getAppointmentRoute,
  updateAppointmentRoute,
} from '#shared/appointments/routes.ts';
import { appointmentUid } from '#shared/appointments/domain.ts';
import { createContactRoute } from '#shared/contacts/routes.ts';
import { answerRsvpRoute, getRsvpRoute } from '#shared/invitations/routes.ts';
import { bodyOf, expectStatus, useTestCloud } from '#test/helpers/local-cloud.ts';

// Invitations over the whole local cloud: saving an appointment plans a mail per attendee
// (appointment-invitations), the mail-sender composes raw MIME and sends it through the SES
// front into the mail viewer; the calendar part is read back with node-ical. An RSVP link's
// token answers through the public route; a REPLY .eml posted to the local SES front lands in
// the files bucket under inbound/ and the inbound-mail function records it.

const session = useTestCloud();
const { call } = session;

interface StoredEmail {
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
  attachments: { contentType: string; content: string }[];
}

async function mailsTo(address: string): Promise<StoredEmail[]> {
  const answer = await fetch(`${session.cloud.sesUrl}/store`);
  const { emails } = (await answer.json()) as { emails: StoredEmail[] };
  return emails.filter((e) => e.destination.to.some((to) => to.includes(address)));
}

async function until<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The calendar of a stored mail, as node-ical reads it: METHOD, and the VEVENT. */
function calendarOf(mail: StoredEmail) {
  const part = mail.attachments.find((a) => a.contentType === 'text/calendar');
  if (!part) throw new Error(`no text/calendar part in "${mail.subject}"`);
  const text = Buffer.from(part.content, 'base64').toString('utf8');
  const parsed = nodeIcal.sync.parseICS(text);
  const components = Object.values(parsed) as unknown as Record<string, unknown>[];
  const event = components.find((c) => c.type === 'VEVENT')!;
  const method = (components.find((c) => c.type === 'VCALENDAR') as { method?: string } | undefined)?.method;
  return { text, method, uid: event.uid as string, sequence: Number(event.sequence), status: event.status };
}

/** The n-th mail (1-based) to an address, once it is there. */
const nthMail = (address: string, n: number) => until(`mail ${n} to ${address}`, async () => (await mailsTo(address))[n - 1]);

const slot = (days: number) => {
  const start = new Date(Math.floor((Date.now() + days * 86_400_000) / 60_000) * 60_000);
  return { start_at: start.toISOString(), end_at: new Date(start.getTime() + 3_600_000).toISOString() };
};

async function replyEml(from: string, ics: string): Promise<Buffer> {
  const composer = new MailComposer({
    from,
    to: 'crm@example.com',
    subject: 'Declined',
    text: 'No, thank you.',
    icalEvent: { method: 'REPLY', content: ics },
  });
  return new Promise((resolve, reject) => composer.compile().build((e, m) => (e ? reject(e) : resolve(m))));
}

describe('invitations', () => {
  it('go out as REQUEST (SEQUENCE 0), update (SEQUENCE 1) and CANCEL; a link accepts, a REPLY declines', async () => {
    const contactAddress = `cal-${Date.now()}@contact.example`;
    const outsideAddress = `guest-${Date.now()}@outside.example`;
    const contact = bodyOf(
      await call(createContactRoute, { as: 'rep1', body: { last_name: 'Invitee', email: contactAddress } }),
      201,
    );
    const made = bodyOf(
      await call(createAppointmentRoute, {
        as: 'rep1',
        body: {
          name: 'Quarterly review',
          location: 'Their office',
          ...slot(3),
          time_zone: 'Europe/Paris',
          attendees: [
            { type: 'contact', id: contact.id },
            { type: 'email', email: outsideAddress, name: 'Guest' },
          ],
        },
      }),
      201,
    );

    // The invitation: a REQUEST with the appointment's UID and SEQUENCE 0, the links in its HTML.
    const invitation = await nthMail(contactAddress, 1);
    const request = calendarOf(invitation);
    expect(request).toMatchObject({ method: 'REQUEST', uid: appointmentUid(made.id), sequence: 0 });
    expect(request.text).toMatch(/ATTENDEE;.*RSVP=TRUE/s);
    expect(invitation.subject).toMatch(/^Invitation: Quarterly review/);
    const link = /href="([^"]+\/rsvp\/([A-Za-z0-9_-]{43})\?response=accepted)"/.exec(invitation.body.html ?? '');
    expect(link, 'the accept link').not.toBeNull();
    const token = link![2]!;

    // A change attendees must hear about: SEQUENCE 1, same UID.
    bodyOf(await call(updateAppointmentRoute, { as: 'rep1', params: { id: made.id }, body: { location: 'Our office' } }), 200);
    const update = calendarOf(await nthMail(contactAddress, 2));
    expect(update).toMatchObject({ method: 'REQUEST', uid: request.uid, sequence: 1 });

    // The accept link of the first mail still answers (its version was superseded, and it says so).
    const view = bodyOf(await call(getRsvpRoute, { params: { token } }), 200);
    expect(view).toMatchObject({
      response: 'needs_action',
      superseded: true,
      appointment: { name: 'Quarterly review' },
      organizer: { name: 'Rita Rep' },
    });
    const accepted = bodyOf(await call(answerRsvpRoute, { params: { token }, body: { response: 'accepted' } }), 200);
    expect(accepted).toMatchObject({ response: 'accepted', superseded: true });
    const afterLink = bodyOf(await call(getAppointmentRoute, { as: 'rep1', params: { id: made.id } }), 200);
    expect(afterLink.attendees.find((a) => a.type === 'contact')).toMatchObject({
      status: 'accepted',
      responded_at: expect.any(String),
    });
    expect(afterLink.sequence).toBe(1);
    // A token that no mail carried answers nothing.
    expectStatus(await call(getRsvpRoute, { params: { token: 'x'.repeat(43) } }), 404);

    // The outside guest answers from their calendar: a REPLY mail to the organizer address.
    const guestRequest = calendarOf(await nthMail(outsideAddress, 2));
    const reply = guestRequest.text
      .replace('METHOD:REQUEST', 'METHOD:REPLY')
      .replace('PARTSTAT=NEEDS-ACTION', 'PARTSTAT=DECLINED');
    // Forged from another address first: not recorded.
    const forged = await fetch(`${session.cloud.sesUrl}/_local/inbound`, {
      method: 'POST',
      body: new Uint8Array(await replyEml('mallory@else.example', reply)),
    });
    expect(forged.status).toBe(201);
    const posted = await fetch(`${session.cloud.sesUrl}/_local/inbound`, {
      method: 'POST',
      body: new Uint8Array(await replyEml(`Guest <${outsideAddress}>`, reply)),
    });
    expect(posted.status).toBe(201);
    expect(((await posted.json()) as { key: string }).key).toMatch(/^inbound\//);
    const declined = await until('the REPLY recorded', async () => {
      const appointment = bodyOf(await call(getAppointmentRoute, { as: 'rep1', params: { id: made.id } }), 200);
      const guest = appointment.attendees.find((a) => a.type === 'email');
      return guest?.status === 'declined' ? appointment : undefined;
    });
    expect(declined.attendees.find((a) => a.type === 'contact')?.status).toBe('accepted');

    // The deletion: a CANCEL, same UID, a later sequence... the one of the appointment as deleted.
    expectStatus(await call(deleteAppointmentRoute, { as: 'rep1', params: { id: made.id } }), 204);
    const cancel = calendarOf(await nthMail(contactAddress, 3));
    expect(cancel).toMatchObject({ method: 'CANCEL', uid: request.uid, status: 'CANCELLED' });
    expect((await nthMail(contactAddress, 3)).subject).toMatch(/^Cancelled:/);
  });
});
