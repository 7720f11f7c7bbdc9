import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes imports from Zendesk Sell answer with (docs/error-codes.md lists them all).

export const sellImportErrorCodes = /* @__PURE__ */ defineErrorCodes('sell-import', {
  'sell_import.not_found': {
    status: 404,
    title: 'Sell import not found',
    description: 'No import from Zendesk Sell has this id (they are the admins’).',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    'sell-import': typeof sellImportErrorCodes;
  }
}
