import { identityAdapters } from '#shared/identity/runtime.ts';
import { httpHandler as platformHttpHandler, type RouteBinding } from '#shared/platform/http/handler.ts';

export { implement, reply, type RouteBinding } from '#shared/platform/http/handler.ts';

// The composition root of the HTTP entry points: what every family's handler shares beyond
// the platform. Only functions/ (and tests) import this file; families never do.

/**
 * The HTTP handler of an authenticated family: the platform stack (role check, validation,
 * problem+json, idempotency) with the caller resolved from the CRM's user record on every call
 * (1 GetItem: role, reporting line, disabled) and `req.call` built for the use cases.
 */
export function httpHandler(bindings: RouteBinding[]) {
  return platformHttpHandler(bindings, { resolvePrincipal: (claimed) => identityAdapters().principals.resolve(claimed) });
}
