import { dealMover } from '#shared/adapters/deal-mover.ts';
import { identityAdapters, runtimeClock, runtimeIds } from '#shared/adapters/runtime.ts';
import { pipelineAdapters } from '#shared/adapters/runtime-pipelines.ts';
import {
  createPipeline,
  createStage,
  deletePipeline,
  deleteStage,
  getPipeline,
  getStage,
  listPipelines,
  listStages,
  renamePipeline,
  updateStage,
} from '#shared/application/pipelines.ts';
import { createEntry, deleteEntry, getEntry, listEntries, renameEntry } from '#shared/application/reasons.ts';
import { callContext } from '#shared/application/ports.ts';
import { httpHandler, implement, type HttpRequest, type RouteBinding } from '#shared/http/handler.ts';
import type { AnyRoute } from '#shared/http/contract.ts';
import * as routes from '#shared/http/routes/pipelines.ts';

// Pipelines, stages, reasons and sources: parse (done by the contract), call the use case, reply.

const deps = { ...pipelineAdapters(), deals: dealMover() };
const call = (req: HttpRequest<AnyRoute>) => callContext(req.principal, req.correlationId, runtimeClock, runtimeIds);

const namedLists: RouteBinding[] = routes.namedListRouteSets.flatMap(({ kind, ...r }) => [
  implement(r.list, (req) => listEntries(deps, kind, req.query)),
  implement(r.get, (req) => getEntry(deps, kind, req.params.id)),
  implement(r.create, (req) => createEntry(deps, call(req), kind, req.body)),
  implement(r.update, (req) => renameEntry(deps, call(req), kind, req.params.id, req.body, req.ifMatch)),
  implement(r.remove, async (req) => {
    await deleteEntry(deps, call(req), kind, req.params.id, req.ifMatch);
  }),
]);

export const handler = httpHandler(
  [
    implement(routes.listPipelinesRoute, (req) => listPipelines(deps, req.query)),
    implement(routes.getPipelineRoute, (req) => getPipeline(deps, req.params.id)),
    implement(routes.createPipelineRoute, (req) => createPipeline(deps, call(req), req.body)),
    implement(routes.updatePipelineRoute, (req) => renamePipeline(deps, call(req), req.params.id, req.body, req.ifMatch)),
    implement(routes.deletePipelineRoute, async (req) => {
      await deletePipeline(deps, call(req), req.params.id, req.ifMatch);
    }),
    implement(routes.listStagesRoute, async (req) => ({
      items: await listStages(deps, req.query.pipeline_id),
      next_cursor: null,
    })),
    implement(routes.getStageRoute, (req) => getStage(deps, req.params.id)),
    implement(routes.createStageRoute, (req) => createStage(deps, call(req), req.body)),
    implement(routes.updateStageRoute, (req) => updateStage(deps, call(req), req.params.id, req.body, req.ifMatch)),
    implement(routes.deleteStageRoute, async (req) => {
      await deleteStage(deps, call(req), req.params.id, { moveDealsTo: req.query.move_deals_to, ifMatch: req.ifMatch });
    }),
    ...namedLists,
  ],
  { resolvePrincipal: (claimed) => identityAdapters().principals.resolve(claimed) },
);
