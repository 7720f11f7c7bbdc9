import * as z from 'zod/mini';
import { ADMIN_ONLY, route } from '#shared/platform/http/contract.ts';
import { idParams } from '#shared/platform/http/schemas.ts';
import { sellImportSchema, startSellImportInput } from './domain.ts';

// The admin-started import from Zendesk Sell's API (issue 17 item 4): POST with a Sell access
// token queues the job (the token stored sealed, never shown again); GET shows its progress
// and report (the list, the newest 20); DELETE cancels it. Served by the imports function (family "imports"): both are
// the ways in, and the stateless stack stays within CloudFormation's 500 resources.

const family = 'imports';
const tags = ['imports'];

export const startSellImportRoute = route({
  id: 'startSellImport',
  method: 'POST',
  path: '/sell_imports',
  family,
  summary:
    "Import a Zendesk Sell account through Sell's API with one of its access tokens (admins): every resource in dependency order, records keeping their Sell ids, at Sell's rate limit (a large account takes hours); answers the queued import",
  access: ADMIN_ONLY,
  body: startSellImportInput,
  response: sellImportSchema,
  status: 202,
  idempotent: true,
  tags,
});

export const listSellImportsRoute = route({
  id: 'listSellImports',
  method: 'GET',
  path: '/sell_imports',
  family,
  summary: 'List the 20 newest Sell imports, newest first, with their status and report so far (admins)',
  access: ADMIN_ONLY,
  response: z.object({ items: z.array(sellImportSchema) }),
  status: 200,
  tags,
});

export const getSellImportRoute = route({
  id: 'getSellImport',
  method: 'GET',
  path: '/sell_imports/{id}',
  family,
  summary:
    "A Sell import's status, pages and requests so far, and its report per resource: imported, unchanged, skipped and why (admins)",
  access: ADMIN_ONLY,
  params: idParams,
  response: sellImportSchema,
  status: 200,
  tags,
});

export const cancelSellImportRoute = route({
  id: 'cancelSellImport',
  method: 'DELETE',
  path: '/sell_imports/{id}',
  family,
  summary: 'Cancel a queued or running Sell import (admins): its token is removed, what it imported stays; 409 once it has ended',
  access: ADMIN_ONLY,
  params: idParams,
  response: sellImportSchema,
  status: 200,
  tags,
});

export const sellImportRoutes = [startSellImportRoute, listSellImportsRoute, getSellImportRoute, cancelSellImportRoute] as const;
