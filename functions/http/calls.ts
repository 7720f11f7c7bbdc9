import { callAdapters } from '#shared/calls/runtime.ts';
import {
  createCall,
  createTextMessage,
  deleteCall,
  getCall,
  getTextMessage,
  listCalls,
  listTextMessages,
  updateCall,
} from '#shared/calls/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as routes from '#shared/calls/routes.ts';

// Calls and text messages: parse (done by the contract), call the use case, reply.

const deps = callAdapters();

export const handler = httpHandler([
  implement(routes.listCallsRoute, (req) => listCalls(deps, req.call, req.query)),
  implement(routes.getCallRoute, (req) => getCall(deps, req.call, req.params.id)),
  implement(routes.createCallRoute, (req) => createCall(deps, req.call, req.body)),
  implement(routes.updateCallRoute, (req) => updateCall(deps, req.call, req.params.id, req.body, req.ifMatch)),
  implement(routes.deleteCallRoute, async (req) => {
    await deleteCall(deps, req.call, req.params.id, req.ifMatch);
  }),
  implement(routes.listTextMessagesRoute, (req) => listTextMessages(deps, req.call, req.query)),
  implement(routes.getTextMessageRoute, (req) => getTextMessage(deps, req.call, req.params.id)),
  implement(routes.createTextMessageRoute, (req) => createTextMessage(deps, req.call, req.body)),
]);
