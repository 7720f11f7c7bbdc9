import { documentAdapters } from '#shared/documents/runtime.ts';
import { createDocument, deleteDocument, getDocument, listRecordDocuments } from '#shared/documents/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as routes from '#shared/documents/routes.ts';

// Documents: parse (done by the contract), call the use case, reply.

const deps = documentAdapters();

export const handler = httpHandler([
  implement(routes.createDocumentRoute, (req) => createDocument(deps, req.call, req.body)),
  implement(routes.getDocumentRoute, (req) => getDocument(deps, req.call, req.params.id)),
  implement(routes.deleteDocumentRoute, async (req) => {
    await deleteDocument(deps, req.call, req.params.id);
  }),
  implement(routes.listLeadDocumentsRoute, (req) =>
    listRecordDocuments(deps, req.call, { resource_type: 'lead', resource_id: req.params.id }, req.query),
  ),
  implement(routes.listContactDocumentsRoute, (req) =>
    listRecordDocuments(deps, req.call, { resource_type: 'contact', resource_id: req.params.id }, req.query),
  ),
  implement(routes.listDealDocumentsRoute, (req) =>
    listRecordDocuments(deps, req.call, { resource_type: 'deal', resource_id: req.params.id }, req.query),
  ),
]);
