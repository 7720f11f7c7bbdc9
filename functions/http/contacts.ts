import { contactAdapters } from '#shared/adapters/runtime-contacts.ts';
import { identityAdapters, runtimeClock, runtimeIds } from '#shared/adapters/runtime.ts';
import {
  createContact,
  deleteContact,
  getContact,
  listContactDeals,
  listContacts,
  updateContact,
} from '#shared/application/contacts.ts';
import { callContext } from '#shared/application/ports.ts';
import type { AnyRoute } from '#shared/http/contract.ts';
import { httpHandler, implement, type HttpRequest } from '#shared/http/handler.ts';
import * as routes from '#shared/http/routes/contacts.ts';

// Contacts: parse (done by the contract), call the use case, reply.

const deps = contactAdapters();
const call = (req: HttpRequest<AnyRoute>) => callContext(req.principal, req.correlationId, runtimeClock, runtimeIds);

export const handler = httpHandler(
  [
    implement(routes.listContactsRoute, (req) => listContacts(deps, call(req), { ...req.query, raw: req.query })),
    implement(routes.getContactRoute, (req) => getContact(deps, call(req), req.params.id)),
    implement(routes.createContactRoute, (req) => createContact(deps, call(req), req.body)),
    implement(routes.updateContactRoute, (req) => updateContact(deps, call(req), req.params.id, req.body, req.ifMatch)),
    implement(routes.deleteContactRoute, async (req) => {
      await deleteContact(deps, call(req), req.params.id, req.ifMatch);
    }),
    implement(routes.listContactDealsRoute, (req) => listContactDeals(deps, call(req), req.params.id, req.query)),
  ],
  { resolvePrincipal: (claimed) => identityAdapters().principals.resolve(claimed) },
);
