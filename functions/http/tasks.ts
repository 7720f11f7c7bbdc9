import { taskAdapters } from '#shared/tasks/runtime.ts';
import { createTask, deleteTask, getTask, listRecordTasks, listTasks, updateTask } from '#shared/tasks/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as routes from '#shared/tasks/routes.ts';

// Tasks: parse (done by the contract), call the use case, reply.

const deps = taskAdapters();

export const handler = httpHandler([
  implement(routes.listTasksRoute, (req) => listTasks(deps, req.call, req.query)),
  implement(routes.getTaskRoute, (req) => getTask(deps, req.call, req.params.id)),
  implement(routes.createTaskRoute, (req) => createTask(deps, req.call, req.body)),
  implement(routes.updateTaskRoute, (req) => updateTask(deps, req.call, req.params.id, req.body, req.ifMatch)),
  implement(routes.deleteTaskRoute, async (req) => {
    await deleteTask(deps, req.call, req.params.id, req.ifMatch);
  }),
  implement(routes.listLeadTasksRoute, (req) =>
    listRecordTasks(deps, req.call, { resource_type: 'lead', resource_id: req.params.id }, req.query),
  ),
  implement(routes.listContactTasksRoute, (req) =>
    listRecordTasks(deps, req.call, { resource_type: 'contact', resource_id: req.params.id }, req.query),
  ),
  implement(routes.listDealTasksRoute, (req) =>
    listRecordTasks(deps, req.call, { resource_type: 'deal', resource_id: req.params.id }, req.query),
  ),
]);
