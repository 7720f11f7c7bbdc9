import { customFieldAdapters } from '#shared/adapters/runtime-custom-fields.ts';
import { identityAdapters, runtimeClock, runtimeIds } from '#shared/adapters/runtime.ts';
import {
  createCustomField,
  deleteCustomField,
  getCustomField,
  listCustomFields,
  updateCustomField,
} from '#shared/application/custom-fields.ts';
import { callContext } from '#shared/application/ports.ts';
import type { AnyRoute } from '#shared/http/contract.ts';
import { httpHandler, implement, type HttpRequest } from '#shared/http/handler.ts';
import * as routes from '#shared/http/routes/custom-fields.ts';

// Custom field definitions: parse (done by the contract), call the use case, reply.

const deps = customFieldAdapters();
const call = (req: HttpRequest<AnyRoute>) => callContext(req.principal, req.correlationId, runtimeClock, runtimeIds);

export const handler = httpHandler(
  [
    implement(routes.listCustomFieldsRoute, (req) => listCustomFields(deps, req.params.resource_type, req.query)),
    implement(routes.getCustomFieldRoute, (req) => getCustomField(deps, req.params.resource_type, req.params.id)),
    implement(routes.createCustomFieldRoute, (req) => createCustomField(deps, call(req), req.params.resource_type, req.body)),
    implement(routes.updateCustomFieldRoute, (req) =>
      updateCustomField(deps, call(req), req.params.resource_type, req.params.id, req.body, req.ifMatch),
    ),
    implement(routes.deleteCustomFieldRoute, async (req) => {
      await deleteCustomField(deps, call(req), req.params.resource_type, req.params.id, req.ifMatch);
    }),
  ],
  { resolvePrincipal: (claimed) => identityAdapters().principals.resolve(claimed) },
);
