import { refreshCustomFieldCatalog } from '#shared/custom-fields/runtime.ts';
import { identityAdapters } from '#shared/identity/runtime.ts';
import { httpHandler as platformHttpHandler, type RouteBinding } from '#shared/platform/http/handler.ts';

export { implement, reply, type RouteBinding } from '#shared/platform/http/handler.ts';

// The composition root of the HTTP entry points: what every family's handler shares beyond
// the platform. Only functions/ (and tests) import this file; families never do.

/**
 * The HTTP handler of an authenticated family: the platform stack (role check, validation,
 * problem+json, idempotency) with the caller resolved from the CRM's user record on every call
 * (1 GetItem: role, reporting line, disabled) and `req.call` built for the use cases. Beside
 * that read, in parallel, a function that caches custom field definitions checks them against
 * the catalog's versions (1 GetItem), so a change made through another function shows at once.
 */
export function httpHandler(bindings: RouteBinding[]) {
  return platformHttpHandler(bindings, {
    resolvePrincipal: async (claimed) => {
      const [principal] = await Promise.all([identityAdapters().principals.resolve(claimed), refreshCustomFieldCatalog()]);
      return principal;
    },
  });
}
