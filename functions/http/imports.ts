import { importAdapters } from '#shared/imports/runtime.ts';
import { createImport, dryRunImport, getImport, startImport } from '#shared/imports/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as routes from '#shared/imports/routes.ts';

// CSV imports: parse (done by the contract), call the use case, reply.

const deps = importAdapters();

export const handler = httpHandler([
  implement(routes.createImportRoute, (req) => createImport(deps, req.call, req.body)),
  implement(routes.getImportRoute, (req) => getImport(deps, req.call, req.params.id)),
  implement(routes.dryRunImportRoute, (req) => dryRunImport(deps, req.call, req.params.id, req.body)),
  implement(routes.startImportRoute, (req) => startImport(deps, req.call, req.params.id, req.body)),
]);
