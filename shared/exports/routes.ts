import * as z from 'zod/mini';
import { presignedUrlSchema } from '#shared/documents/domain.ts';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams } from '#shared/platform/http/schemas.ts';
import { createExportInput, exportSchema } from './domain.ts';

// CSV exports (X1): a list with its filters, written asynchronously to the files bucket within
// the requester's visibility; GET shows its progress and, once done, a presigned download.

const family = 'exports';
const tags = ['exports'];

export const createExportRoute = route({
  id: 'createExport',
  method: 'POST',
  path: '/exports',
  family,
  summary:
    "Export a list of leads, contacts or deals as CSV (UTF-8 with BOM), with the filters and sort its list route takes, within the caller's visibility; answers the queued export",
  access: ALL_ROLES,
  body: createExportInput,
  response: exportSchema,
  status: 202,
  idempotent: true,
  tags,
});

export const getExportRoute = route({
  id: 'getExport',
  method: 'GET',
  path: '/exports/{id}',
  family,
  summary: "An export's status and row count and, once done, a short-lived download URL (its creator and admins only)",
  access: ALL_ROLES,
  params: idParams,
  response: z.object({ export: exportSchema, download: z.nullable(presignedUrlSchema) }),
  status: 200,
  tags,
});

export const exportRoutes = [createExportRoute, getExportRoute] as const;
