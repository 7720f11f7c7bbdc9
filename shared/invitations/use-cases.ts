import { appointmentIdOfUid, type Appointment, type Attendee } from '#shared/appointments/domain.ts';
import { NotFoundError, VersionMismatchError } from '#shared/kernel/errors.ts';
import { domainEvent, type DomainEvent, type EventContext } from '#shared/kernel/events.ts';
import {
  attendeeKeyOf,
  planInvitations,
  rsvpTokenHash,
  withAnswer,
  type Answer,
  type AnswerChannel,
  type RsvpGrant,
  type RsvpView,
} from './domain.ts';
import type { ItipReply } from './itip-reply.ts';
import type { AddressedInvitation, InvitationDeps } from './ports.ts';

// Invitations (F7.2): planning the mails of an appointment event, and recording answers from
// RSVP links and iTIP REPLY mail. Answers are the attendee's own: a link answers only for the
// attendee its mail went to, a REPLY only for an invited address that sent it.

/** The event of a recorded answer: the appointment after, and who answered what, how. */
export const RESPONSE_RECORDED_EVENT = 'appointment.response_recorded';

const ORGANIZER_UNKNOWN = 'The organizer';
/** The organizer's name as invitation mails and the RSVP page give it: the owner's display name. */
const organizerName = async (deps: InvitationDeps, appointment: Appointment): Promise<string> =>
  (await deps.directory.userName(appointment.owner_id)) ?? ORGANIZER_UNKNOWN;

/**
 * Plans the mails an appointment event asks for (domain planInvitations): resolves each
 * attendee's address (leads, contacts and users without one are skipped), keeps only users who
 * want invitations by e-mail, and records them with their mail requests.
 * @returns how many mails were planned (0 for a redelivered event)
 */
export async function planAppointmentInvitations(deps: InvitationDeps, event: DomainEvent): Promise<number> {
  const appointment = event.data as Appointment;
  const previous = (event as DomainEvent & { previous?: Partial<Appointment> }).previous;
  const planned = planInvitations(event.metadata.event_type, appointment, previous);
  if (planned.length === 0) return 0;
  const organizer = await organizerName(deps, appointment);
  const mails: AddressedInvitation[] = [];
  for (const p of planned) {
    if (p.attendee.type === 'user' && p.attendee.id && !(await deps.directory.wantsInvitations(p.attendee.id))) continue;
    const to = await deps.directory.address(p.attendee);
    if (to) mails.push({ ...p, to, organizer_name: organizer });
  }
  return deps.store.plan(mails, event.metadata.event_id);
}

const answerEvent = (
  ctx: EventContext,
  before: Appointment,
  after: Appointment,
  answer: { attendee_key: string; response: Answer; channel: AnswerChannel; sequence: number },
) =>
  domainEvent(
    ctx,
    RESPONSE_RECORDED_EVENT,
    { resource_type: 'appointment', resource_id: after.id },
    { ...after, response: { ...answer, superseded: answer.sequence < after.sequence } },
    { previous: { attendees: before.attendees } },
  );

/**
 * Records an attendee's answer on the appointment (a new version and its event); the same
 * answer again changes nothing. Retries a concurrent change of the appointment.
 * @throws NotFoundError when the appointment is gone or the attendee no longer on it
 */
async function recordAnswer(
  deps: InvitationDeps,
  ctx: EventContext,
  grant: RsvpGrant,
  response: Answer,
  channel: AnswerChannel,
): Promise<Appointment> {
  for (let attempt = 1; ; attempt++) {
    const before = await deps.appointments.get(grant.appointment_id);
    if (!before) throw new NotFoundError('appointment', grant.appointment_id);
    const attendee = before.attendees.find((a) => attendeeKeyOf(a) === grant.attendee_key);
    if (!attendee) throw new NotFoundError('appointment', grant.appointment_id);
    if (attendee.status === response) return before;
    const after = withAnswer(before, grant.attendee_key, response, ctx.now.toISOString());
    try {
      await deps.appointments.update(before, after, null, [
        answerEvent(ctx, before, after, { attendee_key: grant.attendee_key, response, channel, sequence: grant.sequence }),
      ]);
      return after;
    } catch (error) {
      if (!(error instanceof VersionMismatchError) || attempt >= 3) throw error;
    }
  }
}

const viewOf = (appointment: Appointment, grant: RsvpGrant, organizer: string): RsvpView => {
  const attendee = appointment.attendees.find((a) => attendeeKeyOf(a) === grant.attendee_key) as Attendee;
  return {
    appointment: {
      name: appointment.name,
      start_at: appointment.start_at,
      end_at: appointment.end_at,
      all_day: appointment.all_day,
      time_zone: appointment.time_zone,
      location: appointment.location,
      sequence: appointment.sequence,
    },
    organizer: { name: organizer },
    attendee: { name: attendee.name, email: attendee.email },
    response: attendee.status,
    responded_at: attendee.responded_at ?? null,
    superseded: grant.sequence < appointment.sequence,
  };
};

async function grantOf(deps: InvitationDeps, token: string): Promise<{ grant: RsvpGrant; appointment: Appointment }> {
  const grant = await deps.store.grant(rsvpTokenHash(token));
  const appointment = grant && (await deps.appointments.get(grant.appointment_id));
  if (!grant || !appointment || !appointment.attendees.some((a) => attendeeKeyOf(a) === grant.attendee_key))
    throw new NotFoundError('rsvp', 'token');
  return { grant, appointment };
}

/**
 * GET /rsvp/{token}: the appointment and the attendee's current answer.
 * @throws NotFoundError for an unknown token, a deleted appointment or an attendee taken off it
 */
export async function rsvpView(deps: InvitationDeps, token: string): Promise<RsvpView> {
  const { grant, appointment } = await grantOf(deps, token);
  return viewOf(appointment, grant, await organizerName(deps, appointment));
}

/**
 * POST /rsvp/{token}: records the answer for the attendee the token was mailed to. A token of
 * an earlier version still answers (`superseded` says so).
 * @throws NotFoundError as rsvpView
 */
export async function answerByToken(deps: InvitationDeps, ctx: EventContext, token: string, response: Answer): Promise<RsvpView> {
  const { grant } = await grantOf(deps, token);
  const after = await recordAnswer(deps, ctx, grant, response, 'link');
  return viewOf(after, grant, await organizerName(deps, after));
}

/** What became of one answer of a REPLY. */
export type ReplyOutcome = 'recorded' | 'unknown_appointment' | 'not_invited' | 'not_the_sender' | 'outdated';

/**
 * Records the answers of an iTIP REPLY mail: each for the appointment its UID names
 * ("<id>@<domain>"), only when the answering address is an attendee's (RFC 6047 §3: replies
 * can be forged) and is the mail's sender, and only for the current sequence or a later one.
 */
export async function recordItipReply(
  deps: InvitationDeps,
  ctx: EventContext,
  mail: { from: string | undefined; replies: readonly ItipReply[] },
): Promise<ReplyOutcome[]> {
  const outcomes: ReplyOutcome[] = [];
  for (const reply of mail.replies) {
    const id = appointmentIdOfUid(reply.uid);
    const appointment = id ? await deps.appointments.get(id) : undefined;
    if (!appointment) {
      outcomes.push('unknown_appointment');
      continue;
    }
    let match: Attendee | undefined;
    for (const a of appointment.attendees) {
      if ((await deps.directory.address(a))?.address.toLowerCase() === reply.attendee) match = a;
      if (match) break;
    }
    if (!match) outcomes.push('not_invited');
    else if (mail.from?.toLowerCase() !== reply.attendee) outcomes.push('not_the_sender');
    else if (reply.sequence < appointment.sequence) outcomes.push('outdated');
    else {
      await recordAnswer(
        deps,
        ctx,
        { appointment_id: appointment.id, attendee_key: attendeeKeyOf(match), sequence: reply.sequence },
        reply.response,
        'itip_reply',
      );
      outcomes.push('recorded');
    }
  }
  return outcomes;
}
