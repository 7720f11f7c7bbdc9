import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes connected mailboxes answer with (docs/error-codes.md lists them all).

export const mailboxErrorCodes = /* @__PURE__ */ defineErrorCodes('mailboxes', {
  'mailbox.not_found': {
    status: 404,
    title: 'Mailbox not found',
    description: 'You have no connected mailbox with this id (another user’s mailboxes are never shown).',
  },
  'mailbox.limit_reached': {
    status: 409,
    title: 'Too many mailboxes',
    description: 'You have the most mailboxes allowed connected (10): remove one first.',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    mailboxes: typeof mailboxErrorCodes;
  }
}
