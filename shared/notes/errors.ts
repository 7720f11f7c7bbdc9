import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes notes answer with (docs/error-codes.md lists them all).

export const noteErrorCodes = /* @__PURE__ */ defineErrorCodes('notes', {
  'note.not_found': { status: 404, title: 'Note not found', description: 'No note has this id, or you may not see it.' },
  'note.change_forbidden': {
    status: 403,
    title: 'Note not yours to change',
    description: 'Only the creator of a note changes it, or their manager, or an admin.',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    notes: typeof noteErrorCodes;
  }
}
