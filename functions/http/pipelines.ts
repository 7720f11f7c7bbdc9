import { dealMover } from '#shared/deals/mover.ts';
import { pipelineAdapters } from '#shared/pipelines/runtime.ts';
import {
  createPipeline,
  createStage,
  deletePipeline,
  deleteStage,
  getPipeline,
  getStage,
  listPipelines,
  renamePipeline,
  stagePage,
  updateStage,
} from '#shared/pipelines/use-cases.ts';
import { createEntry, deleteEntry, getEntry, listEntries, renameEntry } from '#shared/pipelines/reason-use-cases.ts';
import { httpHandler, implement, type RouteBinding } from '#shared/app.ts';
import * as routes from '#shared/pipelines/routes.ts';

// Pipelines, stages, reasons and sources: parse (done by the contract), call the use case, reply.

const deps = { ...pipelineAdapters(), deals: dealMover() };

const namedLists: RouteBinding[] = routes.namedListRouteSets.flatMap(({ kind, ...r }) => [
  implement(r.list, (req) => listEntries(deps, kind, req.query)),
  implement(r.get, (req) => getEntry(deps, kind, req.params.id)),
  implement(r.create, (req) => createEntry(deps, req.call, kind, req.body)),
  implement(r.update, (req) => renameEntry(deps, req.call, kind, req.params.id, req.body, req.ifMatch)),
  implement(r.remove, async (req) => {
    await deleteEntry(deps, req.call, kind, req.params.id, req.ifMatch);
  }),
]);

export const handler = httpHandler([
  implement(routes.listPipelinesRoute, (req) => listPipelines(deps, req.query)),
  implement(routes.getPipelineRoute, (req) => getPipeline(deps, req.params.id)),
  implement(routes.createPipelineRoute, (req) => createPipeline(deps, req.call, req.body)),
  implement(routes.updatePipelineRoute, (req) => renamePipeline(deps, req.call, req.params.id, req.body, req.ifMatch)),
  implement(routes.deletePipelineRoute, async (req) => {
    await deletePipeline(deps, req.call, req.params.id, req.ifMatch);
  }),
  implement(routes.listStagesRoute, (req) => stagePage(deps, req.query)),
  implement(routes.getStageRoute, (req) => getStage(deps, req.params.id)),
  implement(routes.createStageRoute, (req) => createStage(deps, req.call, req.body)),
  implement(routes.updateStageRoute, (req) => updateStage(deps, req.call, req.params.id, req.body, req.ifMatch)),
  implement(routes.deleteStageRoute, async (req) => {
    await deleteStage(deps, req.call, req.params.id, { moveDealsTo: req.query.move_deals_to, ifMatch: req.ifMatch });
  }),
  ...namedLists,
]);
