import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes bulk operations answer with (docs/error-codes.md lists them all). A record's own
// outcome carries its family's code (e.g. lead.not_found, owner_not_assignable).

export const bulkOperationErrorCodes = /* @__PURE__ */ defineErrorCodes('bulk-operations', {
  'bulk_operation.not_found': {
    status: 404,
    title: 'Bulk operation not found',
    description: "No bulk operation has this id, or it is not yours (nor a report's, for a manager; admins see all).",
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    'bulk-operations': typeof bulkOperationErrorCodes;
  }
}
