import { conversionAdapters } from '#shared/adapters/runtime-lead-conversion.ts';
import { leadAdapters } from '#shared/adapters/runtime-leads.ts';
import { conversionView, convertLead } from '#shared/application/lead-conversion.ts';
import { convertLeadRoute } from '#shared/http/routes/lead-conversion.ts';
import { identityAdapters, runtimeClock, runtimeIds } from '#shared/adapters/runtime.ts';
import { createLead, deleteLead, getLead, listLeads, updateLead } from '#shared/application/leads.ts';
import { callContext } from '#shared/application/ports.ts';
import type { AnyRoute } from '#shared/http/contract.ts';
import { httpHandler, implement, type HttpRequest } from '#shared/http/handler.ts';
import * as routes from '#shared/http/routes/leads.ts';

// Leads: parse (done by the contract), call the use case, reply.

const deps = leadAdapters();
const call = (req: HttpRequest<AnyRoute>) => callContext(req.principal, req.correlationId, runtimeClock, runtimeIds);

export const handler = httpHandler(
  [
    implement(routes.listLeadsRoute, (req) => listLeads(deps, call(req), { ...req.query, raw: req.query })),
    implement(routes.getLeadRoute, (req) => getLead(deps, call(req), req.params.id)),
    implement(routes.createLeadRoute, (req) => createLead(deps, call(req), req.body)),
    implement(routes.updateLeadRoute, (req) => updateLead(deps, call(req), req.params.id, req.body, req.ifMatch)),
    implement(routes.deleteLeadRoute, async (req) => {
      await deleteLead(deps, call(req), req.params.id, req.ifMatch);
    }),
    implement(convertLeadRoute, async (req) => {
      const conversion = conversionAdapters();
      return conversionView(conversion, await convertLead(conversion, call(req), req.params.id, req.body));
    }),
  ],
  { resolvePrincipal: (claimed) => identityAdapters().principals.resolve(claimed) },
);
