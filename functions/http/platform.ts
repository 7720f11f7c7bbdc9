import { httpHandler, implement } from '#shared/platform/http/handler.ts';
import { openApiDocument } from '#shared/platform/http/openapi.ts';
import { allRoutes, errorCodes } from '#shared/families.ts';
import { healthRoute, openApiRoute } from '#shared/platform/http/platform-routes.ts';

// Health, the OpenAPI document, and API Gateway's $default route (unknown paths get a
// problem+json 404 from here instead of API Gateway's bare {"message":"Not Found"}).

let document: Record<string, unknown> | undefined;

export const handler = httpHandler([
  implement(healthRoute, async () => ({ status: 'ok' as const, time: new Date().toISOString() })),
  implement(openApiRoute, async () => {
    document ??= openApiDocument(allRoutes, { title: 'CRM API', version: '1' }, errorCodes);
    return document;
  }),
]);
