import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes documents answer with (docs/error-codes.md lists them all).

export const documentErrorCodes = /* @__PURE__ */ defineErrorCodes('documents', {
  'document.not_found': {
    status: 404,
    title: 'Document not found',
    description: 'No document has this id, or you may not see its lead, contact or deal.',
  },
  'document.delete_forbidden': {
    status: 403,
    title: 'Document not yours to delete',
    description: 'Only the creator of a document deletes it, or their manager, or an admin.',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    documents: typeof documentErrorCodes;
  }
}
