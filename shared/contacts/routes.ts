import * as z from 'zod/mini';
import { CONTACT_SORT_FIELDS } from './use-cases.ts';
import { contactSchema, createContactInput, CUSTOMER_STATUSES, PROSPECT_STATUSES, updateContactInput } from './domain.ts';
import { dealSchema } from '#shared/deals/domain.ts';
import { idSchema } from '#shared/kernel/schema.ts';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams, pageOf, pageQueryFields, queryBoolean, sortQueryFields } from '#shared/platform/http/schemas.ts';
import { addressQueryFields, listQueryWithCustomFields } from '#shared/platform/http/list-query.ts';

// Contacts (F3.2): people and organisations; every role works its own, visibility decides
// the rest.

const family = 'contacts';
const tags = ['contacts'];

export const listContactsRoute = route({
  id: 'listContacts',
  method: 'GET',
  path: '/contacts',
  family,
  summary: 'List contacts',
  access: ALL_ROLES,
  query: listQueryWithCustomFields({
    ...pageQueryFields,
    owner_id: z.optional(idSchema),
    /** The people of this organisation. */
    contact_id: z.optional(idSchema),
    is_organization: z.optional(queryBoolean),
    source_id: z.optional(idSchema),
    prospect_status: z.optional(z.enum(PROSPECT_STATUSES)),
    customer_status: z.optional(z.enum(CUSTOMER_STATUSES)),
    ...addressQueryFields,
    tags: z.optional(z.string().check(z.maxLength(1000))),
    ...sortQueryFields(CONTACT_SORT_FIELDS),
  }),
  response: pageOf(contactSchema),
  status: 200,
  tags,
});

export const getContactRoute = route({
  id: 'getContact',
  method: 'GET',
  path: '/contacts/{id}',
  family,
  summary: 'Read a contact',
  access: ALL_ROLES,
  params: idParams,
  response: contactSchema,
  status: 200,
  tags,
});

export const createContactRoute = route({
  id: 'createContact',
  method: 'POST',
  path: '/contacts',
  family,
  summary: 'Create a contact',
  access: ALL_ROLES,
  body: createContactInput,
  response: contactSchema,
  status: 201,
  idempotent: true,
  tags,
});

export const updateContactRoute = route({
  id: 'updateContact',
  method: 'PATCH',
  path: '/contacts/{id}',
  family,
  summary: 'Change a contact',
  access: ALL_ROLES,
  params: idParams,
  body: updateContactInput,
  response: contactSchema,
  status: 200,
  conditional: true,
  tags,
});

export const deleteContactRoute = route({
  id: 'deleteContact',
  method: 'DELETE',
  path: '/contacts/{id}',
  family,
  summary: 'Delete a contact',
  access: ALL_ROLES,
  params: idParams,
  status: 204,
  conditional: true,
  tags,
});

export const listContactDealsRoute = route({
  id: 'listContactDeals',
  method: 'GET',
  path: '/contacts/{id}/deals',
  family,
  summary: "List a contact's deals",
  access: ALL_ROLES,
  params: idParams,
  query: z.strictObject(pageQueryFields),
  response: pageOf(dealSchema),
  status: 200,
  tags,
});

export const contactRoutes = [
  listContactsRoute,
  getContactRoute,
  createContactRoute,
  updateContactRoute,
  deleteContactRoute,
  listContactDealsRoute,
] as const;
