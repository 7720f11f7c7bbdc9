import { importAdapters } from '#shared/imports/runtime.ts';
import { createImport, dryRunImport, getImport, startImport } from '#shared/imports/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as routes from '#shared/imports/routes.ts';
import { sellImportJobsAdapters } from '#shared/sell-import/runtime.ts';
import { cancelSellImport, getSellImport, listSellImports, startSellImport } from '#shared/sell-import/jobs.ts';
import * as sellRoutes from '#shared/sell-import/routes.ts';

// CSV imports and imports from Zendesk Sell's API: parse (done by the contract), call the use case, reply.

const deps = importAdapters();
const sell = sellImportJobsAdapters();

export const handler = httpHandler([
  implement(routes.createImportRoute, (req) => createImport(deps, req.call, req.body)),
  implement(routes.getImportRoute, (req) => getImport(deps, req.call, req.params.id)),
  implement(routes.dryRunImportRoute, (req) => dryRunImport(deps, req.call, req.params.id, req.body)),
  implement(routes.startImportRoute, (req) => startImport(deps, req.call, req.params.id, req.body)),
  implement(sellRoutes.startSellImportRoute, (req) => startSellImport(sell, req.call, req.body)),
  implement(sellRoutes.listSellImportsRoute, (req) => listSellImports(sell, req.call)),
  implement(sellRoutes.getSellImportRoute, (req) => getSellImport(sell, req.call, req.params.id)),
  implement(sellRoutes.cancelSellImportRoute, (req) => cancelSellImport(sell, req.call, req.params.id)),
]);
