import * as z from 'zod/mini';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams } from '#shared/platform/http/schemas.ts';
import { bulkOperationSchema, bulkResultSchema, createBulkOperationInput } from './domain.ts';

// Bulk operations: reassign, tag, untag or delete many leads, contacts or deals at once, by ids
// or by the list's filters; run asynchronously with the caller's rights, record by record.

const family = 'bulk-operations';
const tags = ['bulk-operations'];

export const createBulkOperationRoute = route({
  id: 'createBulkOperation',
  method: 'POST',
  path: '/bulk_operations',
  family,
  summary:
    "Reassign, tag, untag or delete leads, contacts or deals by ids (at most 1,000) or by the list route's filters; runs asynchronously with the caller's rights per record (GET shows each record's outcome)",
  access: ALL_ROLES,
  body: createBulkOperationInput,
  response: bulkOperationSchema,
  status: 202,
  idempotent: true,
  tags,
});

export const getBulkOperationRoute = route({
  id: 'getBulkOperation',
  method: 'GET',
  path: '/bulk_operations/{id}',
  family,
  summary: "A bulk operation's status and counters, and each record's outcome (ok, forbidden, not_found, failed with a code)",
  access: ALL_ROLES,
  params: idParams,
  response: z.object({ operation: bulkOperationSchema, results: z.array(bulkResultSchema) }),
  status: 200,
  tags,
});

export const bulkOperationRoutes = [createBulkOperationRoute, getBulkOperationRoute] as const;
