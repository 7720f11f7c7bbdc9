import type { AnyRoute } from '#shared/platform/http/contract.ts';
import { customFieldRoutes } from '#shared/custom-fields/routes.ts';
import { dealRoutes } from '#shared/deals/routes.ts';
import { contactRoutes } from '#shared/contacts/routes.ts';
import { identityRoutes } from '#shared/identity/routes.ts';
import { convertLeadRoute } from '#shared/lead-conversion/routes.ts';
import { leadRoutes } from '#shared/leads/routes.ts';
import { noteRoutes } from '#shared/notes/routes.ts';
import { taskRoutes } from '#shared/tasks/routes.ts';
import { pipelineRoutes } from '#shared/pipelines/routes.ts';
import { searchRoutes } from '#shared/search/routes.ts';
import { platformRoutes } from '#shared/platform/http/platform-routes.ts';

// Every route of the API. API Gateway, the local server, the OpenAPI document and the
// authorization matrix test all read this list.
export const allRoutes: readonly AnyRoute[] = [
  ...platformRoutes,
  ...identityRoutes,
  ...pipelineRoutes,
  ...customFieldRoutes,
  ...dealRoutes,
  ...leadRoutes,
  convertLeadRoute,
  ...contactRoutes,
  ...noteRoutes,
  ...taskRoutes,
  ...searchRoutes,
];
