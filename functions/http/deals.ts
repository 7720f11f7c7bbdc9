import { dealAdapters } from '#shared/adapters/runtime-deals.ts';
import { identityAdapters, runtimeClock, runtimeIds } from '#shared/adapters/runtime.ts';
import {
  associateContact,
  createDeal,
  dealStageChanges,
  dealSummary,
  deleteDeal,
  dissociateContact,
  getDeal,
  listAssociatedContacts,
  listDeals,
  updateDeal,
} from '#shared/application/deals.ts';
import { callContext } from '#shared/application/ports.ts';
import type { AnyRoute } from '#shared/http/contract.ts';
import { httpHandler, implement, type HttpRequest } from '#shared/http/handler.ts';
import * as routes from '#shared/http/routes/deals.ts';

// Deals: parse (done by the contract), call the use case, reply.

const deps = dealAdapters();
const call = (req: HttpRequest<AnyRoute>) => callContext(req.principal, req.correlationId, runtimeClock, runtimeIds);

export const handler = httpHandler(
  [
    implement(routes.listDealsRoute, (req) => listDeals(deps, call(req), { ...req.query, raw: req.query })),
    implement(routes.dealSummaryRoute, (req) => dealSummary(deps, call(req), req.query)),
    implement(routes.getDealRoute, (req) => getDeal(deps, call(req), req.params.id)),
    implement(routes.createDealRoute, (req) => createDeal(deps, call(req), req.body)),
    implement(routes.updateDealRoute, (req) => updateDeal(deps, call(req), req.params.id, req.body, req.ifMatch)),
    implement(routes.deleteDealRoute, async (req) => {
      await deleteDeal(deps, call(req), req.params.id, req.ifMatch);
    }),
    implement(routes.dealStageChangesRoute, async (req) => ({ items: await dealStageChanges(deps, call(req), req.params.id) })),
    implement(routes.listAssociatedContactsRoute, async (req) => ({
      items: await listAssociatedContacts(deps, call(req), req.params.id),
    })),
    implement(routes.associateContactRoute, (req) => associateContact(deps, call(req), req.params.id, req.body)),
    implement(routes.dissociateContactRoute, async (req) => {
      await dissociateContact(deps, call(req), req.params.id, req.params.contact_id);
    }),
  ],
  { resolvePrincipal: (claimed) => identityAdapters().principals.resolve(claimed) },
);
