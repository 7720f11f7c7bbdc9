import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes the public RSVP routes answer with (docs/error-codes.md lists them all).

export const invitationErrorCodes = /* @__PURE__ */ defineErrorCodes('invitations', {
  'rsvp.not_found': {
    status: 404,
    title: 'Invitation not found',
    description: 'No invitation mail carried this link, or its appointment was deleted, or the attendee was taken off it.',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    invitations: typeof invitationErrorCodes;
  }
}
