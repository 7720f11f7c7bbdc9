import { listContactsRoute } from '#shared/contacts/routes.ts';
import { listDealsRoute } from '#shared/deals/routes.ts';
import { listLeadsRoute } from '#shared/leads/routes.ts';
import { bulkOperationAdapters } from '#shared/bulk-operations/runtime.ts';
import { createBulkOperation, getBulkOperation } from '#shared/bulk-operations/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as routes from '#shared/bulk-operations/routes.ts';

// Bulk operations: parse (done by the contract), call the use case, reply.

const deps = bulkOperationAdapters({
  leads: listLeadsRoute.query!,
  contacts: listContactsRoute.query!,
  deals: listDealsRoute.query!,
});

export const handler = httpHandler([
  implement(routes.createBulkOperationRoute, (req) => createBulkOperation(deps, req.call, req.body)),
  implement(routes.getBulkOperationRoute, (req) => getBulkOperation(deps, req.call, req.params.id)),
]);
