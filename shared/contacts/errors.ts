import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes contacts answer with (docs/error-codes.md lists them all).

export const contactErrorCodes = /* @__PURE__ */ defineErrorCodes('contacts', {
  'contact.not_found': { status: 404, title: 'Contact not found', description: 'No contact has this id, or you may not see it.' },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    contacts: typeof contactErrorCodes;
  }
}
