import * as z from 'zod/mini';
import { presignedUrlSchema } from '#shared/documents/domain.ts';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams } from '#shared/platform/http/schemas.ts';
import { createImportInput, dryRunInput, dryRunSchema, importSchema, startImportInput } from './domain.ts';

// CSV imports (X1): the file goes straight to S3 through a presigned PUT; a dry run answers
// every row's errors; a start runs the import asynchronously (GET shows its progress).

const family = 'imports';
const tags = ['imports'];

export const createImportRoute = route({
  id: 'createImport',
  method: 'POST',
  path: '/imports',
  family,
  summary:
    'Start a CSV import of leads, contacts or deals: answers the import and a presigned PUT for the file (send exactly the headers given)',
  access: ALL_ROLES,
  body: createImportInput,
  response: z.object({ import: importSchema, upload: presignedUrlSchema }),
  status: 201,
  idempotent: true,
  tags,
});

export const getImportRoute = route({
  id: 'getImport',
  method: 'GET',
  path: '/imports/{id}',
  family,
  summary:
    "An import's progress (rows created, updated, failed) and, once finished with failed rows, the error file's download URL",
  access: ALL_ROLES,
  params: idParams,
  response: z.object({ import: importSchema, errors_download: z.nullable(presignedUrlSchema) }),
  status: 200,
  tags,
});

export const dryRunImportRoute = route({
  id: 'dryRunImport',
  method: 'POST',
  path: '/imports/{id}/dry_run',
  family,
  summary: 'Check every row of the uploaded file with the mapping (row number, column, reason), writing nothing',
  access: ALL_ROLES,
  params: idParams,
  body: dryRunInput,
  response: dryRunSchema,
  status: 200,
  tags,
});

export const startImportRoute = route({
  id: 'startImport',
  method: 'POST',
  path: '/imports/{id}/start',
  family,
  summary:
    'Run the import with the mapping (Sell and standard headers map themselves), optionally updating records matched by e-mail; admins may ask for automated actions to run',
  access: ALL_ROLES,
  params: idParams,
  body: startImportInput,
  response: importSchema,
  status: 202,
  tags,
});

export const importRoutes = [createImportRoute, getImportRoute, dryRunImportRoute, startImportRoute] as const;
