import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes calls and text messages answer with (docs/error-codes.md lists them all).

export const callErrorCodes = /* @__PURE__ */ defineErrorCodes('calls', {
  'call.not_found': { status: 404, title: 'Call not found', description: 'No call has this id, or you may not see it.' },
  'text_message.not_found': {
    status: 404,
    title: 'Text message not found',
    description: 'No text message has this id, or you may not see it.',
  },
  'call.duplicate': {
    status: 409,
    title: 'Call already logged',
    description: "A provider's call or text (its CallSid, MessageSid or contact id) is logged once.",
  },
  'call.bad_signature': {
    status: 403,
    title: 'Bad webhook signature',
    description: "The voice provider's webhook request is not signed with the configured auth token.",
  },
  'call.change_forbidden': {
    status: 403,
    title: 'Call not yours to change',
    description: 'A call is changed by its user, or by whoever may change its lead or contact.',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    calls: typeof callErrorCodes;
  }
}
