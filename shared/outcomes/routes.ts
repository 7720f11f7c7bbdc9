import * as z from 'zod/mini';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { outcomeQueryFields, outcomeSummarySchema } from './domain.ts';

// F1.3 as a route of the dashboard family (served by functions/http/dashboard.ts).

const family = 'dashboard';
const tags = ['dashboard'];

export const outcomeWindowRoute = route({
  id: 'getOutcomeWindow',
  method: 'GET',
  path: '/stats/outcomes',
  family,
  summary: 'Deals won, lost and unqualified, and leads unqualified, in a window',
  access: ALL_ROLES,
  query: z.strictObject(outcomeQueryFields),
  response: outcomeSummarySchema,
  status: 200,
  tags,
});

export const outcomeRoutes = [outcomeWindowRoute] as const;
