import { activityAdapters } from '#shared/activities/runtime.ts';
import { listActivities, listRecordActivities } from '#shared/activities/use-cases.ts';
import * as routes from '#shared/activities/routes.ts';
import { httpHandler, implement } from '#shared/app.ts';

// The activity feed: parse (done by the contract), call the use case, reply.

const deps = activityAdapters();

export const handler = httpHandler([
  implement(routes.listActivitiesRoute, (req) => listActivities(deps, req.call, req.query)),
  implement(routes.listLeadActivitiesRoute, (req) =>
    listRecordActivities(deps, req.call, { resource_type: 'lead', resource_id: req.params.id }, req.query),
  ),
  implement(routes.listContactActivitiesRoute, (req) =>
    listRecordActivities(deps, req.call, { resource_type: 'contact', resource_id: req.params.id }, req.query),
  ),
  implement(routes.listDealActivitiesRoute, (req) =>
    listRecordActivities(deps, req.call, { resource_type: 'deal', resource_id: req.params.id }, req.query),
  ),
]);
