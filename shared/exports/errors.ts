import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes exports answer with (docs/error-codes.md lists them all).

export const exportErrorCodes = /* @__PURE__ */ defineErrorCodes('exports', {
  'export.not_found': {
    status: 404,
    title: 'Export not found',
    description: 'No export has this id, or it is not yours (admins see all).',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    exports: typeof exportErrorCodes;
  }
}
