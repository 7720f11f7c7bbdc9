import * as z from 'zod/mini';
import { createNoteInput, noteSchema, updateNoteInput } from './domain.ts';
import { relatedRecordTypeSchema } from '#shared/kernel/related-records.ts';
import { idSchema } from '#shared/kernel/schema.ts';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams, pageOf, pageQueryFields } from '#shared/platform/http/schemas.ts';

// Notes (F3.4): visible to whoever can see the note's lead, contact or deal. The record's
// notes are also served under the record's path, by this family.

const family = 'notes';
const tags = ['notes'];

export const listNotesRoute = route({
  id: 'listNotes',
  method: 'GET',
  path: '/notes',
  family,
  summary: "List a record's notes (resource_type and resource_id), or else the caller's own notes",
  access: ALL_ROLES,
  query: z.strictObject({
    ...pageQueryFields,
    resource_type: z.optional(relatedRecordTypeSchema),
    resource_id: z.optional(idSchema),
  }),
  response: pageOf(noteSchema),
  status: 200,
  tags,
});

export const getNoteRoute = route({
  id: 'getNote',
  method: 'GET',
  path: '/notes/{id}',
  family,
  summary: 'Read a note',
  access: ALL_ROLES,
  params: idParams,
  response: noteSchema,
  status: 200,
  tags,
});

export const createNoteRoute = route({
  id: 'createNote',
  method: 'POST',
  path: '/notes',
  family,
  summary: 'Add a note to a lead, contact or deal',
  access: ALL_ROLES,
  body: createNoteInput,
  response: noteSchema,
  status: 201,
  idempotent: true,
  tags,
});

export const updateNoteRoute = route({
  id: 'updateNote',
  method: 'PATCH',
  path: '/notes/{id}',
  family,
  summary: 'Change a note',
  access: ALL_ROLES,
  params: idParams,
  body: updateNoteInput,
  response: noteSchema,
  status: 200,
  conditional: true,
  tags,
});

export const deleteNoteRoute = route({
  id: 'deleteNote',
  method: 'DELETE',
  path: '/notes/{id}',
  family,
  summary: 'Delete a note',
  access: ALL_ROLES,
  params: idParams,
  status: 204,
  conditional: true,
  tags,
});

const recordNotesRoute = (id: string, collection: 'leads' | 'contacts' | 'deals', noun: string) =>
  route({
    id,
    method: 'GET',
    path: `/${collection}/{id}/notes`,
    family,
    summary: `List a ${noun}'s notes`,
    access: ALL_ROLES,
    params: idParams,
    query: z.strictObject(pageQueryFields),
    response: pageOf(noteSchema),
    status: 200,
    tags,
  });

export const listLeadNotesRoute = recordNotesRoute('listLeadNotes', 'leads', 'lead');
export const listContactNotesRoute = recordNotesRoute('listContactNotes', 'contacts', 'contact');
export const listDealNotesRoute = recordNotesRoute('listDealNotes', 'deals', 'deal');

export const noteRoutes = [
  listNotesRoute,
  getNoteRoute,
  createNoteRoute,
  updateNoteRoute,
  deleteNoteRoute,
  listLeadNotesRoute,
  listContactNotesRoute,
  listDealNotesRoute,
] as const;
