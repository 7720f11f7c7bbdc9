import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes deals answer with (docs/error-codes.md lists them all).

export const dealErrorCodes = /* @__PURE__ */ defineErrorCodes('deals', {
  'deal.not_found': { status: 404, title: 'Deal not found', description: 'No deal has this id, or you may not see it.' },
  'associated_contact.not_found': {
    status: 404,
    title: 'Contact not associated',
    description: 'The contact is not associated with this deal.',
  },
  'deal.stage_not_in_pipeline': {
    status: 422,
    title: 'Stage not in pipeline',
    description: 'The stage belongs to another pipeline than the one given.',
  },
  'deal.no_pipeline': {
    status: 409,
    title: 'No pipeline yet',
    description: 'There is no pipeline to put the deal in; an admin must create one first.',
  },
  'deal.contact_already_associated': {
    status: 409,
    title: 'Contact already associated',
    description: 'The contact is already associated with this deal.',
  },
  'deal.contact_already_primary': {
    status: 422,
    title: 'Contact is the primary contact',
    description: "The contact is the deal's primary contact (contact_id), which is not associated a second time.",
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    deals: typeof dealErrorCodes;
  }
}
