import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes the event stream answers with (docs/error-codes.md lists them all).

export const eventErrorCodes = /* @__PURE__ */ defineErrorCodes('events', {
  'events.position_expired': {
    status: 410,
    title: 'Stream position expired',
    description:
      'The position is older than the stream keeps events (7 days): events after it may be gone. Start again without a position (the oldest kept event) and reconcile.',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    events: typeof eventErrorCodes;
  }
}
