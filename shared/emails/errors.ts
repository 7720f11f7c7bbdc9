import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes e-mail answers with (docs/error-codes.md lists them all).

export const emailErrorCodes = /* @__PURE__ */ defineErrorCodes('emails', {
  'email.not_found': {
    status: 404,
    title: 'E-mail not found',
    description: 'No message has this id, or it is neither in your mailbox nor logged on a record you may see.',
  },
  'email.not_your_mailbox': {
    status: 403,
    title: 'Not your mailbox',
    description: "Only the mailbox's owner archives, deletes or adds the sender of a message.",
  },
  'email.recipient_suppressed': {
    status: 422,
    title: 'Recipient refused',
    description:
      'A recipient bounced, complained about our mail, or is on the SES suppression list; the problem names the field (body.to[0]...).',
  },
  'email.not_inbound': {
    status: 422,
    title: 'Not a received message',
    description: 'Only the sender of a received message can be added as a lead or contact.',
  },
  'email.ses_event_applied': {
    status: 409,
    title: 'SES event applied before',
    description: 'Internal: an SES event the tracking consumer had already applied (never answered by the API).',
  },
  'email.received_before': {
    status: 409,
    title: 'Received message logged before',
    description: 'Internal: a received message already logged in that mailbox, redelivered (never answered by the API).',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    emails: typeof emailErrorCodes;
  }
}
