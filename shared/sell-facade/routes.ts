import { ALL_ROLES, route, type HttpMethod } from '#shared/platform/http/contract.ts';

// Sell's Core API v2 (issue 17): one greedy route per method under /v2, served by the
// sell-facade function, which translates each call onto the native routes (see use-cases.ts).
// Requests and answers are Sell's envelopes, outside the native contracts: no schemas here.

const family = 'sell-facade';

function sellRoute(method: HttpMethod, id: string, summary: string, status: 200 | 204) {
  return route({
    id,
    method,
    path: '/v2/{proxy+}',
    family,
    summary,
    access: ALL_ROLES,
    status,
    tags: ['sell v2'],
  });
}

export const sellGetRoute = sellRoute('GET', 'sellGet', 'Sell Core API v2: read a record or a list (Sell envelopes)', 200);
export const sellPostRoute = sellRoute('POST', 'sellPost', 'Sell Core API v2: create a record ({"data": ...})', 200);
export const sellPutRoute = sellRoute('PUT', 'sellPut', 'Sell Core API v2: update a record, partially ({"data": ...})', 200);
export const sellDeleteRoute = sellRoute('DELETE', 'sellDelete', 'Sell Core API v2: delete a record', 204);

export const sellFacadeRoutes = [sellGetRoute, sellPostRoute, sellPutRoute, sellDeleteRoute];
