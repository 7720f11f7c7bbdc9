import { eventStreamAdapters } from '#shared/events/runtime.ts';
import { readEventStream } from '#shared/events/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as routes from '#shared/events/routes.ts';

// The event stream: parse (done by the contract), call the use case, reply.

const deps = eventStreamAdapters();

export const handler = httpHandler([implement(routes.readEventStreamRoute, (req) => readEventStream(deps, req.call, req.query))]);
