import { conversionAdapters } from '#shared/lead-conversion/runtime.ts';
import { leadAdapters } from '#shared/leads/runtime.ts';
import { conversionView, convertLead } from '#shared/lead-conversion/use-cases.ts';
import { convertLeadRoute } from '#shared/lead-conversion/routes.ts';
import { createLead, deleteLead, getLead, listLeads, updateLead } from '#shared/leads/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as routes from '#shared/leads/routes.ts';

// Leads: parse (done by the contract), call the use case, reply.

const deps = leadAdapters();

export const handler = httpHandler([
  implement(routes.listLeadsRoute, (req) => listLeads(deps, req.call, { ...req.query, raw: req.query })),
  implement(routes.getLeadRoute, (req) => getLead(deps, req.call, req.params.id)),
  implement(routes.createLeadRoute, (req) => createLead(deps, req.call, req.body)),
  implement(routes.updateLeadRoute, (req) => updateLead(deps, req.call, req.params.id, req.body, req.ifMatch)),
  implement(routes.deleteLeadRoute, async (req) => {
    await deleteLead(deps, req.call, req.params.id, req.ifMatch);
  }),
  implement(convertLeadRoute, async (req) => {
    const conversion = conversionAdapters();
    return conversionView(conversion, await convertLead(conversion, req.call, req.params.id, req.body));
  }),
]);
