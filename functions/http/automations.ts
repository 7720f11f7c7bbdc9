import { automationListAdapters } from '#shared/automations/runtime.ts';
import { listAutomations } from '#shared/automations/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as routes from '#shared/automations/routes.ts';

// GET /automations: parse (done by the contract), call the use case, reply.

const deps = automationListAdapters();

export const handler = httpHandler([implement(routes.listAutomationsRoute, () => listAutomations(deps))]);
