import * as z from 'zod/mini';
import { SEARCH_LIMIT } from './use-cases.ts';
import { searchHitSchema } from './domain.ts';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { itemsOf } from '#shared/platform/http/schemas.ts';

// One search across leads, contacts and deals for typeahead (F1.6). `q` and `types` are
// checked by the use case (the length of `q` counts after normalisation).

export const searchRecordsRoute = route({
  id: 'searchRecords',
  method: 'GET',
  path: '/search',
  family: 'search',
  summary: 'Search leads, contacts and deals by name or e-mail',
  access: ALL_ROLES,
  query: z.strictObject({
    q: z.string().check(z.maxLength(500)),
    types: z.optional(z.string().check(z.maxLength(100))),
    limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(SEARCH_LIMIT.max)), SEARCH_LIMIT.default),
  }),
  response: itemsOf(searchHitSchema),
  status: 200,
  tags: ['search'],
});

export const searchRoutes = [searchRecordsRoute] as const;
