import { taskAdapters } from '#shared/adapters/runtime-tasks.ts';
import { identityAdapters, runtimeClock, runtimeIds } from '#shared/adapters/runtime.ts';
import { callContext } from '#shared/application/ports.ts';
import { createTask, deleteTask, getTask, listRecordTasks, listTasks, updateTask } from '#shared/application/tasks.ts';
import type { AnyRoute } from '#shared/http/contract.ts';
import { httpHandler, implement, type HttpRequest } from '#shared/http/handler.ts';
import * as routes from '#shared/http/routes/tasks.ts';

// Tasks: parse (done by the contract), call the use case, reply.

const deps = taskAdapters();
const call = (req: HttpRequest<AnyRoute>) => callContext(req.principal, req.correlationId, runtimeClock, runtimeIds);

export const handler = httpHandler(
  [
    implement(routes.listTasksRoute, (req) => listTasks(deps, call(req), req.query)),
    implement(routes.getTaskRoute, (req) => getTask(deps, call(req), req.params.id)),
    implement(routes.createTaskRoute, (req) => createTask(deps, call(req), req.body)),
    implement(routes.updateTaskRoute, (req) => updateTask(deps, call(req), req.params.id, req.body, req.ifMatch)),
    implement(routes.deleteTaskRoute, async (req) => {
      await deleteTask(deps, call(req), req.params.id, req.ifMatch);
    }),
    implement(routes.listLeadTasksRoute, (req) =>
      listRecordTasks(deps, call(req), { resource_type: 'lead', resource_id: req.params.id }, req.query),
    ),
    implement(routes.listContactTasksRoute, (req) =>
      listRecordTasks(deps, call(req), { resource_type: 'contact', resource_id: req.params.id }, req.query),
    ),
    implement(routes.listDealTasksRoute, (req) =>
      listRecordTasks(deps, call(req), { resource_type: 'deal', resource_id: req.params.id }, req.query),
    ),
  ],
  { resolvePrincipal: (claimed) => identityAdapters().principals.resolve(claimed) },
);
