import { searchAdapters } from '#shared/adapters/runtime-search.ts';
import { identityAdapters, runtimeClock, runtimeIds } from '#shared/adapters/runtime.ts';
import { callContext } from '#shared/application/ports.ts';
import { searchRecords } from '#shared/application/search.ts';
import { httpHandler, implement } from '#shared/http/handler.ts';
import { searchRecordsRoute } from '#shared/http/routes/search.ts';

// Search: parse (done by the contract), call the use case, reply.

const deps = searchAdapters();

export const handler = httpHandler(
  [
    implement(searchRecordsRoute, (req) =>
      searchRecords(deps, callContext(req.principal, req.correlationId, runtimeClock, runtimeIds), req.query),
    ),
  ],
  { resolvePrincipal: (claimed) => identityAdapters().principals.resolve(claimed) },
);
