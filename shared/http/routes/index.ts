import type { AnyRoute } from '../contract.ts';
import { customFieldRoutes } from './custom-fields.ts';
import { dealRoutes } from './deals.ts';
import { contactRoutes } from './contacts.ts';
import { identityRoutes } from './identity.ts';
import { convertLeadRoute } from './lead-conversion.ts';
import { leadRoutes } from './leads.ts';
import { noteRoutes } from './notes.ts';
import { taskRoutes } from './tasks.ts';
import { pipelineRoutes } from './pipelines.ts';
import { searchRoutes } from './search.ts';
import { platformRoutes } from './platform.ts';

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
