import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes contacts answer with (docs/error-codes.md lists them all).

export const contactErrorCodes = /* @__PURE__ */ defineErrorCodes('contacts', {
  'contact.not_found': { status: 404, title: 'Contact not found', description: 'No contact has this id, or you may not see it.' },
  'contact.organization_has_people': {
    status: 409,
    title: 'Organisation has people',
    description: 'An organisation is deleted only once no person belongs to it; move them or delete them first.',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    contacts: typeof contactErrorCodes;
  }
}
