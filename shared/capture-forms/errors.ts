import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes capture forms answer with (docs/error-codes.md lists them all).

export const captureFormErrorCodes = /* @__PURE__ */ defineErrorCodes('capture-forms', {
  'capture_form.not_found': {
    status: 404,
    title: 'Capture form not found',
    description: 'No capture form has this id, or (on the public routes) it is not active.',
  },
  'capture_form.submission_rejected': {
    status: 403,
    title: 'Submission refused',
    description:
      'The submission was taken for spam or came too often from one address: its form token was missing, invalid or expired, it came sooner after loading than the form allows, or the address sent too many. Nothing was stored; load the form again and resend.',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    'capture-forms': typeof captureFormErrorCodes;
  }
}
