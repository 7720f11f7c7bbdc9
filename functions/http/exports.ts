import { exportAdapters } from '#shared/exports/runtime.ts';
import { exportListQueries } from '#shared/families.ts';
import { createExport, getExport } from '#shared/exports/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as routes from '#shared/exports/routes.ts';

// CSV exports: parse (done by the contract), call the use case, reply.

const deps = exportAdapters(exportListQueries);

export const handler = httpHandler([
  implement(routes.createExportRoute, (req) => createExport(deps, req.call, req.body)),
  implement(routes.getExportRoute, (req) => getExport(deps, req.call, req.params.id)),
]);
