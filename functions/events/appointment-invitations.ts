import { invitationAdapters } from '#shared/invitations/runtime.ts';
import { planAppointmentInvitations } from '#shared/invitations/use-cases.ts';
import { eventHandler } from '#shared/platform/consumers/events.ts';
import { logger } from '#shared/platform/observability.ts';

// Bus rule target: appointment created, changed (a higher sequence) or deleted → one planned
// mail per attendee (REQUEST or CANCEL), each with its mail request, which the mail-sender
// composes and sends. No markers: each planned mail is a conditional put, so a redelivery
// plans nothing twice.

export const handler = eventHandler({ name: 'appointment-invitations', dedupe: false }, async (event) => {
  const planned = await planAppointmentInvitations(invitationAdapters(), event);
  logger.info('invitations planned', { planned });
});
