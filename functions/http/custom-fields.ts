import { customFieldAdapters } from '#shared/custom-fields/runtime.ts';
import {
  createCustomField,
  deleteCustomField,
  getCustomField,
  listCustomFields,
  updateCustomField,
} from '#shared/custom-fields/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as routes from '#shared/custom-fields/routes.ts';

// Custom field definitions: parse (done by the contract), call the use case, reply.

const deps = customFieldAdapters();

export const handler = httpHandler([
  implement(routes.listCustomFieldsRoute, (req) => listCustomFields(deps, req.params.resource_type, req.query)),
  implement(routes.getCustomFieldRoute, (req) => getCustomField(deps, req.params.resource_type, req.params.id)),
  implement(routes.createCustomFieldRoute, (req) => createCustomField(deps, req.call, req.params.resource_type, req.body)),
  implement(routes.updateCustomFieldRoute, (req) =>
    updateCustomField(deps, req.call, req.params.resource_type, req.params.id, req.body, req.ifMatch),
  ),
  implement(routes.deleteCustomFieldRoute, async (req) => {
    await deleteCustomField(deps, req.call, req.params.resource_type, req.params.id, req.ifMatch);
  }),
]);
