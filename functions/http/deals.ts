import { dealSummary } from '#shared/deals/board.ts';
import { dealAdapters } from '#shared/deals/runtime.ts';
import {
  associateContact,
  createDeal,
  dealStageChanges,
  deleteDeal,
  dissociateContact,
  getDeal,
  listAssociatedContacts,
  listDeals,
  updateDeal,
} from '#shared/deals/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as routes from '#shared/deals/routes.ts';

// Deals: parse (done by the contract), call the use case, reply.

const deps = dealAdapters();

export const handler = httpHandler([
  implement(routes.listDealsRoute, (req) => listDeals(deps, req.call, { ...req.query, raw: req.query })),
  implement(routes.dealSummaryRoute, (req) => dealSummary(deps, req.call, req.query)),
  implement(routes.getDealRoute, (req) => getDeal(deps, req.call, req.params.id)),
  implement(routes.createDealRoute, (req) => createDeal(deps, req.call, req.body)),
  implement(routes.updateDealRoute, (req) => updateDeal(deps, req.call, req.params.id, req.body, req.ifMatch)),
  implement(routes.deleteDealRoute, async (req) => {
    await deleteDeal(deps, req.call, req.params.id, req.ifMatch);
  }),
  implement(routes.dealStageChangesRoute, async (req) => ({ items: await dealStageChanges(deps, req.call, req.params.id) })),
  implement(routes.listAssociatedContactsRoute, async (req) => ({
    items: await listAssociatedContacts(deps, req.call, req.params.id),
  })),
  implement(routes.associateContactRoute, (req) => associateContact(deps, req.call, req.params.id, req.body)),
  implement(routes.dissociateContactRoute, async (req) => {
    await dissociateContact(deps, req.call, req.params.id, req.params.contact_id);
  }),
]);
