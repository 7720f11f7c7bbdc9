import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes leads answer with (docs/error-codes.md lists them all).

export const leadErrorCodes = /* @__PURE__ */ defineErrorCodes('leads', {
  'lead.not_found': { status: 404, title: 'Lead not found', description: 'No lead has this id, or you may not see it.' },
  'lead.already_converted': {
    status: 409,
    title: 'Lead converted',
    description: 'The lead was converted; it is kept read-only as the record of what was converted.',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    leads: typeof leadErrorCodes;
  }
}
