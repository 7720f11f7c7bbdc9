import * as z from 'zod/mini';
import { createDocumentInput, createdDocumentSchema, documentSchema, documentViewSchema } from './domain.ts';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams, pageOf, pageQueryFields } from '#shared/platform/http/schemas.ts';

// Documents (F3.4): files on a lead, contact or deal, visible to whoever can see the record.
// The bytes go straight between the browser and S3 through short-lived presigned URLs.

const family = 'documents';
const tags = ['documents'];

export const createDocumentRoute = route({
  id: 'createDocument',
  method: 'POST',
  path: '/documents',
  family,
  summary:
    'Add a document to a lead, contact or deal: answers the pending document and a presigned PUT (send exactly the headers given); once the upload is checked the document is available, or rejected',
  access: ALL_ROLES,
  body: createDocumentInput,
  response: createdDocumentSchema,
  status: 201,
  idempotent: true,
  tags,
});

export const getDocumentRoute = route({
  id: 'getDocument',
  method: 'GET',
  path: '/documents/{id}',
  family,
  summary: 'Read a document, with a fresh short-lived download URL (an attachment) once it is available',
  access: ALL_ROLES,
  params: idParams,
  response: documentViewSchema,
  status: 200,
  tags,
});

export const deleteDocumentRoute = route({
  id: 'deleteDocument',
  method: 'DELETE',
  path: '/documents/{id}',
  family,
  summary: 'Delete a document and its file',
  access: ALL_ROLES,
  params: idParams,
  status: 204,
  tags,
});

const recordDocumentsRoute = (id: string, collection: 'leads' | 'contacts' | 'deals', noun: string) =>
  route({
    id,
    method: 'GET',
    path: `/${collection}/{id}/documents`,
    family,
    summary: `List a ${noun}'s documents, newest first`,
    access: ALL_ROLES,
    params: idParams,
    query: z.strictObject(pageQueryFields),
    response: pageOf(documentSchema),
    status: 200,
    tags,
  });

export const listLeadDocumentsRoute = recordDocumentsRoute('listLeadDocuments', 'leads', 'lead');
export const listContactDocumentsRoute = recordDocumentsRoute('listContactDocuments', 'contacts', 'contact');
export const listDealDocumentsRoute = recordDocumentsRoute('listDealDocuments', 'deals', 'deal');

export const documentRoutes = [
  createDocumentRoute,
  getDocumentRoute,
  deleteDocumentRoute,
  listLeadDocumentsRoute,
  listContactDocumentsRoute,
  listDealDocumentsRoute,
] as const;
