import { describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import nodeIcal from 'node-ical';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Appointment, Attendee } from '#shared/appointments/domain.ts';
import {
  describeWhen,
  planInvitations,
  rsvpTokenHash,
  rsvpTokenSchema,
  newRsvpToken,
  withAnswer,
} from '#shared/invitations/domain.ts';
import { classifyInbound } from '#shared/invitations/inbound.ts';
import { invitationIcs, type InvitationCalendar } from '#shared/invitations/itip.ts';
import { parseItipReply } from '#shared/invitations/itip-reply.ts';
import { appointmentIdOfUid, appointmentUid } from '#shared/appointments/domain.ts';
import { composeInvitation } from '#shared/invitations/mime.ts';

// Invitations' pure parts: the calendar and MIME we send (read back with standard parsers,
// not string matching), which mails an appointment event plans, and REPLYs we receive.

const contact: Attendee = { type: 'contact', id: 'C1', email: null, name: null, status: 'needs_action' };
const outside: Attendee = { type: 'email', id: null, email: 'eve@outside.test', name: 'Eve', status: 'needs_action' };
const owner: Attendee = { type: 'user', id: 'U1', email: null, name: null, status: 'needs_action' };

const appointment: Appointment = {
  id: 'A1',
  name: 'Démo chez Acme',
  description: 'Bring the deck',
  location: 'Paris',
  start_at: '2026-12-03T10:00:00+01:00',
  end_at: '2026-12-03T11:00:00+01:00',
  all_day: false,
  start_date: null,
  end_date: null,
  time_zone: 'Europe/Paris',
  owner_id: 'U1',
  creator_id: 'U1',
  attendees: [owner, contact, outside],
  resource_type: null,
  resource_id: null,
  reminder: null,
  remind_at: null,
  sequence: 0,
  created_at: '2026-12-01T09:00:00Z',
  updated_at: '2026-12-01T09:00:00Z',
  version: 1,
};

const calendar = (over: Partial<InvitationCalendar> = {}): InvitationCalendar => ({
  method: 'REQUEST',
  uid: 'A1@crm.example.com',
  sequence: 0,
  stamp: new Date('2026-12-01T09:00:00Z'),
  summary: appointment.name,
  description: appointment.description,
  location: appointment.location,
  start: appointment.start_at,
  end: appointment.end_at,
  allDay: false,
  startDate: null,
  endDate: null,
  timeZone: appointment.time_zone,
  organizer: { name: 'Alice Owner', email: 'calendar@in.example.com' },
  attendee: { name: 'Eve', email: 'eve@outside.test', status: 'needs_action' },
  ...over,
});

function eventOf(ics: string) {
  const parsed = nodeIcal.sync.parseICS(ics);
  const event = Object.values(parsed).find((c) => c?.type === 'VEVENT') as unknown as Record<string, unknown>;
  const method = (Object.values(parsed).find((c) => c?.type === 'VCALENDAR') as unknown as { method?: string } | undefined)
    ?.method;
  return { event, method };
}

describe('the invitation calendar', () => {
  it('is a REQUEST with the UID, SEQUENCE, ORGANIZER and the attendee asked to answer, as a standard parser reads it', () => {
    const { event, method } = eventOf(invitationIcs(calendar()));
    expect(method).toBe('REQUEST');
    expect(event.uid).toBe('A1@crm.example.com');
    expect(Number(event.sequence)).toBe(0);
    expect(event.summary).toBe('Démo chez Acme');
    expect((event.start as Date).toISOString()).toBe('2026-12-03T09:00:00.000Z');
    expect(event.organizer).toMatchObject({ val: 'mailto:calendar@in.example.com', params: { CN: 'Alice Owner' } });
    expect(event.attendee).toMatchObject({ params: { PARTSTAT: 'NEEDS-ACTION', RSVP: true, ROLE: 'REQ-PARTICIPANT' } });
    expect(String((event.attendee as { val: string }).val).toLowerCase()).toBe('mailto:eve@outside.test');
  });

  it('cancels with METHOD:CANCEL and STATUS:CANCELLED, same UID, and all-day dates as DATE values', () => {
    const ics = invitationIcs(
      calendar({ method: 'CANCEL', sequence: 2, allDay: true, startDate: '2026-12-03', endDate: '2026-12-04' }),
    );
    const { event, method } = eventOf(ics);
    expect(method).toBe('CANCEL');
    expect(event.status).toBe('CANCELLED');
    expect(Number(event.sequence)).toBe(2);
    expect(ics).toMatch(/DTSTART;VALUE=DATE:20261203/);
    expect(ics).toMatch(/DTEND;VALUE=DATE:20261205/);
  });
});

describe('the invitation mail', () => {
  it('is multipart/alternative with text, HTML (logo by URL, the three links) and text/calendar; method=REQUEST', async () => {
    const links = {
      accepted: 'https://app/rsvp/t?response=accepted',
      tentative: 'https://app/rsvp/t?response=tentative',
      declined: 'https://app/rsvp/t?response=declined',
    };
    const { raw, subject } = await composeInvitation({
      from: { name: 'Acme CRM', address: 'crm@example.com' },
      to: { name: 'Eve', address: 'eve@outside.test' },
      calendar: calendar(),
      company: { name: 'Acme', logo_url: 'https://cdn.example.com/logo.png' },
      when: describeWhen(appointment),
      links,
    });
    expect(raw.toString('latin1')).toMatch(/Content-Type: multipart\/alternative/);
    expect(raw.toString('latin1')).toMatch(/Content-Type: text\/calendar; charset=utf-8; method=REQUEST/);
    const mail = await simpleParser(raw);
    expect(mail.subject).toBe(subject);
    expect(subject).toContain('Invitation: Démo chez Acme');
    expect(mail.html).toContain('<img src="https://cdn.example.com/logo.png"');
    for (const url of Object.values(links)) expect(mail.html).toContain(`href="${url}"`);
    expect(mail.text).toContain(links.accepted);
    const part = mail.attachments.find((a) => a.contentType === 'text/calendar');
    expect(eventOf(part!.content.toString('utf8')).method).toBe('REQUEST');
  });

  it('says "Updated" for a later sequence and carries no links when cancelled', async () => {
    const update = await simpleParser(
      (
        await composeInvitation({
          from: { name: 'A', address: 'a@x.test' },
          to: { name: null, address: 'eve@outside.test' },
          calendar: calendar({ sequence: 1 }),
          company: { name: 'Acme', logo_url: null },
          when: 'x',
          links: null,
        })
      ).raw,
    );
    expect(update.subject).toMatch(/^Updated invitation:/);
    const cancel = await simpleParser(
      (
        await composeInvitation({
          from: { name: 'A', address: 'a@x.test' },
          to: { name: null, address: 'eve@outside.test' },
          calendar: calendar({ method: 'CANCEL', sequence: 2 }),
          company: { name: 'Acme', logo_url: null },
          when: 'x',
          links: null,
        })
      ).raw,
    );
    expect(cancel.subject).toMatch(/^Cancelled:/);
    expect(cancel.html).not.toContain('href=');
    expect(eventOf(cancel.attachments.find((a) => a.contentType === 'text/calendar')!.content.toString()).method).toBe('CANCEL');
  });
});

describe('planInvitations', () => {
  const keys = (plan: ReturnType<typeof planInvitations>) =>
    plan.map((p) => `${p.method} ${p.attendee.type}#${p.attendee.id ?? p.attendee.email}`);

  it('invites every attendee but the owner on creation, and cancels for each on deletion', () => {
    expect(keys(planInvitations('appointment.created', appointment, undefined))).toEqual([
      'REQUEST contact#C1',
      'REQUEST email#eve@outside.test',
    ]);
    expect(keys(planInvitations('appointment.deleted', appointment, undefined))).toEqual([
      'CANCEL contact#C1',
      'CANCEL email#eve@outside.test',
    ]);
  });

  it('sends an update to everyone when the sequence rose, and a CANCEL to whoever was taken off', () => {
    const after = { ...appointment, sequence: 1, attendees: [owner, contact] };
    expect(keys(planInvitations('appointment.updated', after, { sequence: 0, attendees: appointment.attendees }))).toEqual([
      'REQUEST contact#C1',
      'CANCEL email#eve@outside.test',
    ]);
  });

  it('sends nothing for a change that keeps the sequence (a name, a reminder, an answer)', () => {
    expect(planInvitations('appointment.updated', { ...appointment, name: 'x' }, { name: 'y' } as Partial<Appointment>)).toEqual(
      [],
    );
    expect(planInvitations('appointment.response_recorded', appointment, undefined)).toEqual([]);
  });
});

describe('answers', () => {
  it("records one attendee's answer with its time, keeping the sequence", () => {
    const after = withAnswer(appointment, 'email#eve@outside.test', 'declined', '2026-12-02T08:00:00Z');
    expect(after.attendees[2]).toMatchObject({ status: 'declined', responded_at: '2026-12-02T08:00:00Z' });
    expect(after.attendees[1]).toEqual(contact);
    expect([after.version, after.sequence]).toEqual([2, 0]);
  });

  it('tokens are random, of one shape, and stored only as a hash', () => {
    const a = newRsvpToken();
    expect(rsvpTokenSchema.safeParse(a).success).toBe(true);
    expect(a).not.toBe(newRsvpToken());
    expect(rsvpTokenHash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(rsvpTokenSchema.safeParse('../etc').success).toBe(false);
  });
});

const replyIcs = (partstat: string, method = 'REPLY') =>
  invitationIcs(calendar({ sequence: 1 }))
    .replace('METHOD:REQUEST', `METHOD:${method}`)
    .replace('PARTSTAT=NEEDS-ACTION', `PARTSTAT=${partstat}`);

async function eml(from: string, ics: string | null): Promise<Buffer> {
  const composer = new MailComposer({
    from,
    to: 'calendar@in.example.com',
    subject: 'Declined: Démo',
    text: 'Eve has declined.',
    ...(ics ? { icalEvent: { method: 'REPLY', content: ics } } : {}),
  });
  return new Promise((resolve, reject) => composer.compile().build((e, m) => (e ? reject(e) : resolve(m))));
}

describe('REPLY mail', () => {
  it('names an appointment by the one UID invitations and feeds share, and no other UID', () => {
    const id = '01JD0Z9W3M5X8Q7R2T4V6Y8A0B';
    expect(appointmentIdOfUid(appointmentUid(id))).toBe(id);
    for (const foreign of [
      'A1@crm.example.com',
      `${id}@crm.example.com`,
      `appointment-${id}@other`,
      'appointment-@crm',
      'appointment-a/b@crm',
    ]) {
      expect(appointmentIdOfUid(foreign), foreign).toBeUndefined();
    }
  });

  it('reads the answer, the UID and the sequence of a REPLY', () => {
    expect(parseItipReply(replyIcs('DECLINED'))).toEqual([
      { uid: 'A1@crm.example.com', sequence: 1, attendee: 'eve@outside.test', response: 'declined' },
    ]);
    expect(parseItipReply(replyIcs('TENTATIVE'))[0]?.response).toBe('tentative');
  });

  it('ignores a calendar of another method, an attendee without an answer, and text that is not iCalendar', () => {
    expect(parseItipReply(replyIcs('DECLINED', 'REQUEST'))).toEqual([]);
    expect(parseItipReply(replyIcs('NEEDS-ACTION'))).toEqual([]);
    expect(parseItipReply('METHOD:REPLY\r\nnot a calendar')).toEqual([]);
  });

  it('sorts inbound mail by content: a calendar REPLY, or ordinary mail', async () => {
    const reply = await classifyInbound(await eml('Eve <Eve@Outside.test>', replyIcs('DECLINED')));
    expect(reply).toMatchObject({ kind: 'itip_reply', from: 'eve@outside.test', replies: [{ response: 'declined' }] });
    expect(await classifyInbound(await eml('bob@x.test', null))).toMatchObject({ kind: 'other', from: 'bob@x.test' });
  });
});
