import * as z from 'zod/mini';
import { route } from './contract.ts';

export const healthRoute = route({
  id: 'getHealth',
  method: 'GET',
  path: '/health',
  family: 'platform',
  summary: 'Check that the API answers',
  access: 'public',
  status: 200,
  response: z.object({ status: z.literal('ok'), time: z.iso.datetime() }),
  tags: ['platform'],
});

export const openApiRoute = route({
  id: 'getOpenApi',
  method: 'GET',
  path: '/openapi.json',
  family: 'platform',
  summary: 'Read the OpenAPI 3.1 document of this API',
  access: 'public',
  status: 200,
  response: z.record(z.string(), z.unknown()),
  tags: ['platform'],
});

export const platformRoutes = [healthRoute, openApiRoute] as const;
