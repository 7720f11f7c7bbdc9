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
  'mailbox_oauth.provider_unknown': {
    status: 422,
    title: 'Unknown mailbox provider',
    description:
      'The field `provider` names no OAuth provider of this deployment (config `mailbox_oauth`); GET the providers from the settings page.',
  },
  'mailbox_oauth.state_invalid': {
    status: 422,
    title: 'Mailbox connection expired or not yours',
    description:
      'The field `state` names no connection you started in the last 10 minutes, or one already finished (each works once, for the user who started it): start again.',
  },
  'mailbox_oauth.code_refused': {
    status: 422,
    title: 'Authorization code refused',
    description:
      'The provider refused the field `code` (invalid_grant: used, expired or issued for another request): start again.',
  },
  'mailbox_oauth.grant_incomplete': {
    status: 422,
    title: 'The provider granted too little',
    description:
      'The provider answered the field `code` without a refresh token or without the account’s e-mail address (the scopes need offline access, `openid` and `email`).',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    mailboxes: typeof mailboxErrorCodes;
  }
}
