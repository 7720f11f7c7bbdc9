import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes lead conversion answers with (docs/error-codes.md lists them all).

export const leadConversionErrorCodes = /* @__PURE__ */ defineErrorCodes('lead-conversion', {
  'lead_conversion.organization_required': {
    status: 422,
    title: 'Organisation required',
    description: 'A lead with no last name converts into its organisation: create_organization cannot be false.',
  },
  'lead_conversion.no_organization_name': {
    status: 422,
    title: 'No organisation name',
    description: 'create_organization asks for an organisation but the lead has no organization_name.',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    'lead-conversion': typeof leadConversionErrorCodes;
  }
}
