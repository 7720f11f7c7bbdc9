import { contactAdapters } from '#shared/contacts/runtime.ts';
import {
  createContact,
  deleteContact,
  getContact,
  listContactDeals,
  listContacts,
  updateContact,
} from '#shared/contacts/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as routes from '#shared/contacts/routes.ts';

// Contacts: parse (done by the contract), call the use case, reply.

const deps = contactAdapters();

export const handler = httpHandler([
  implement(routes.listContactsRoute, (req) => listContacts(deps, req.call, { ...req.query, raw: req.query })),
  implement(routes.getContactRoute, (req) => getContact(deps, req.call, req.params.id)),
  implement(routes.createContactRoute, (req) => createContact(deps, req.call, req.body)),
  implement(routes.updateContactRoute, (req) => updateContact(deps, req.call, req.params.id, req.body, req.ifMatch)),
  implement(routes.deleteContactRoute, async (req) => {
    await deleteContact(deps, req.call, req.params.id, req.ifMatch);
  }),
  implement(routes.listContactDealsRoute, (req) => listContactDeals(deps, req.call, req.params.id, req.query)),
]);
