import * as z from 'zod/mini';
import { idSchema } from '#shared/kernel/schema.ts';
import { outcomeQueryFields } from '#shared/outcomes/domain.ts';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { dashboardSchema } from './domain.ts';

// GET /dashboard (F1.2–F1.5): the first screen in one call. Served with GET /stats/outcomes
// by functions/http/dashboard.ts.

export const dashboardRoute = route({
  id: 'getDashboard',
  method: 'GET',
  path: '/dashboard',
  family: 'dashboard',
  summary: 'The dashboard: pipeline summary, won/lost/unqualified, latest activity, open tasks, upcoming appointments',
  access: ALL_ROLES,
  query: z.strictObject({ pipeline_id: z.optional(idSchema), ...outcomeQueryFields }),
  response: dashboardSchema,
  status: 200,
  tags: ['dashboard'],
});

export const dashboardRoutes = [dashboardRoute] as const;
