import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes appointments answer with (docs/error-codes.md lists them all).

export const appointmentErrorCodes = /* @__PURE__ */ defineErrorCodes('appointments', {
  'appointment.not_found': {
    status: 404,
    title: 'Appointment not found',
    description: 'No appointment has this id, or you may not see it.',
  },
  'appointment.not_changeable': {
    status: 403,
    title: 'Appointment not changeable',
    description:
      "Only the appointment's owner, their manager or an admin change or delete it; attendees and those who see its record only read it.",
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    appointments: typeof appointmentErrorCodes;
  }
}
