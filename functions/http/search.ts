import { searchAdapters } from '#shared/search/runtime.ts';
import { searchRecords } from '#shared/search/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import { searchRecordsRoute } from '#shared/search/routes.ts';

// Search: parse (done by the contract), call the use case, reply.

const deps = searchAdapters();

export const handler = httpHandler([implement(searchRecordsRoute, (req) => searchRecords(deps, req.call, req.query))]);
