import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes custom fields answer with (docs/error-codes.md lists them all).

export const customFieldErrorCodes = /* @__PURE__ */ defineErrorCodes('custom-fields', {
  'custom_field.not_found': {
    status: 404,
    title: 'Custom field not found',
    description: 'No custom field of this record type has this id.',
  },
  'custom_field.name_taken': {
    status: 409,
    title: 'Custom field name taken',
    description: 'Another custom field of this record type has this name (names ignore case).',
  },
  'custom_field.has_values': {
    status: 409,
    title: 'Custom field has values',
    description: 'A custom field holding values keeps its type and its choices; clear the values first, or add choices instead.',
  },
  'custom_field.definition_changed': {
    status: 422,
    title: 'Custom field changed',
    description: 'A custom field the request sets changed type or was deleted meanwhile; reload the custom fields and try again.',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    'custom-fields': typeof customFieldErrorCodes;
  }
}
