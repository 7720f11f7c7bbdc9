import { dashboardAdapters } from '#shared/dashboard/runtime.ts';
import { composeDashboard } from '#shared/dashboard/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as dashboardRoutes from '#shared/dashboard/routes.ts';
import * as outcomeRoutes from '#shared/outcomes/routes.ts';
import { outcomeWindow } from '#shared/outcomes/use-cases.ts';

// The dashboard (F1.2–F1.5) and the outcome window (F1.3): parse (done by the contract), call
// the use case, reply.

const deps = dashboardAdapters();

export const handler = httpHandler([
  implement(dashboardRoutes.dashboardRoute, (req) => composeDashboard(deps, req.call, req.query)),
  implement(outcomeRoutes.outcomeWindowRoute, (req) => outcomeWindow(deps.outcomes, req.call, req.query)),
]);
