import { httpHandler, implement } from '#shared/http/handler.ts';
import { openApiDocument } from '#shared/http/openapi.ts';
import { allRoutes } from '#shared/http/routes/index.ts';
import { healthRoute, openApiRoute } from '#shared/http/routes/platform.ts';

// Health, the OpenAPI document, and API Gateway's $default route (unknown paths get a
// problem+json 404 from here instead of API Gateway's bare {"message":"Not Found"}).

let document: Record<string, unknown> | undefined;

export const handler = httpHandler([
  implement(healthRoute, async () => ({ status: 'ok' as const, time: new Date().toISOString() })),
  implement(openApiRoute, async () => {
    document ??= openApiDocument(allRoutes, { title: 'CRM API', version: '1' });
    return document;
  }),
]);
