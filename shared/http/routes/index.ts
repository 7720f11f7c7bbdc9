import type { AnyRoute } from '../contract.ts';
import { customFieldRoutes } from './custom-fields.ts';
import { dealRoutes } from './deals.ts';
import { identityRoutes } from './identity.ts';
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
  ...searchRoutes,
];
