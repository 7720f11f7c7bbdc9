import * as z from 'zod/mini';
import { DEAL_SORT_FIELDS } from './use-cases.ts';
import {
  associateContactInput,
  associatedContactSchema,
  createDealInput,
  dateSchema,
  dealSchema,
  stageChangeSchema,
  updateDealInput,
  dealBoardSchema,
} from './domain.ts';
import { idSchema } from '#shared/kernel/schema.ts';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams, itemsOf, pageOf, pageQueryFields, queryBoolean, sortQueryFields } from '#shared/platform/http/schemas.ts';
import { listQueryWithCustomFields } from '#shared/platform/http/list-query.ts';

// Deals (F4.1–F4.4): every role works its own deals; visibility decides the rest.

const family = 'deals';
const tags = ['deals'];

const listFields = {
  ...pageQueryFields,
  owner_id: z.optional(idSchema),
  stage_id: z.optional(idSchema),
  pipeline_id: z.optional(idSchema),
  contact_id: z.optional(idSchema),
  organization_id: z.optional(idSchema),
  hot: z.optional(queryBoolean),
  source_id: z.optional(idSchema),
  estimated_close_date_from: z.optional(dateSchema),
  estimated_close_date_to: z.optional(dateSchema),
  value_from: z.optional(z.string()),
  value_to: z.optional(z.string()),
  tags: z.optional(z.string().check(z.maxLength(1000))),
  ...sortQueryFields(DEAL_SORT_FIELDS),
};

/** Named fields, plus custom_fields[<name>] filters; any other key is refused by name. */
const dealListQuery = listQueryWithCustomFields(listFields);

export const listDealsRoute = route({
  id: 'listDeals',
  method: 'GET',
  path: '/deals',
  family,
  summary: 'List deals',
  access: ALL_ROLES,
  query: dealListQuery,
  response: pageOf(dealSchema),
  status: 200,
  tags,
});

export const dealSummaryRoute = route({
  id: 'getDealSummary',
  method: 'GET',
  path: '/deals/summary',
  family,
  summary: 'Count and value of deals per stage',
  access: ALL_ROLES,
  query: z.strictObject({ pipeline_id: idSchema, owner_id: z.optional(idSchema), team_id: z.optional(idSchema) }),
  response: dealBoardSchema,
  status: 200,
  tags,
});

export const getDealRoute = route({
  id: 'getDeal',
  method: 'GET',
  path: '/deals/{id}',
  family,
  summary: 'Read a deal',
  access: ALL_ROLES,
  params: idParams,
  response: dealSchema,
  status: 200,
  tags,
});

export const createDealRoute = route({
  id: 'createDeal',
  method: 'POST',
  path: '/deals',
  family,
  summary: 'Create a deal',
  access: ALL_ROLES,
  body: createDealInput,
  response: dealSchema,
  status: 201,
  idempotent: true,
  tags,
});

export const updateDealRoute = route({
  id: 'updateDeal',
  method: 'PATCH',
  path: '/deals/{id}',
  family,
  summary: 'Change a deal',
  access: ALL_ROLES,
  params: idParams,
  body: updateDealInput,
  response: dealSchema,
  status: 200,
  conditional: true,
  tags,
});

export const deleteDealRoute = route({
  id: 'deleteDeal',
  method: 'DELETE',
  path: '/deals/{id}',
  family,
  summary: 'Delete a deal',
  access: ALL_ROLES,
  params: idParams,
  status: 204,
  conditional: true,
  tags,
});

export const dealStageChangesRoute = route({
  id: 'listDealStageChanges',
  method: 'GET',
  path: '/deals/{id}/stage_changes',
  family,
  summary: "Read a deal's stage history",
  access: ALL_ROLES,
  params: idParams,
  response: itemsOf(stageChangeSchema),
  status: 200,
  tags,
});

export const listAssociatedContactsRoute = route({
  id: 'listDealAssociatedContacts',
  method: 'GET',
  path: '/deals/{id}/associated_contacts',
  family,
  summary: "List a deal's associated contacts",
  access: ALL_ROLES,
  params: idParams,
  response: itemsOf(associatedContactSchema),
  status: 200,
  tags,
});

export const associateContactRoute = route({
  id: 'associateDealContact',
  method: 'POST',
  path: '/deals/{id}/associated_contacts',
  family,
  summary: 'Associate a contact with a deal',
  access: ALL_ROLES,
  params: idParams,
  body: associateContactInput,
  response: associatedContactSchema,
  status: 201,
  idempotent: true,
  tags,
});

export const dissociateContactRoute = route({
  id: 'dissociateDealContact',
  method: 'DELETE',
  path: '/deals/{id}/associated_contacts/{contact_id}',
  family,
  summary: 'Remove an associated contact from a deal',
  access: ALL_ROLES,
  params: z.strictObject({ id: idSchema, contact_id: idSchema }),
  status: 204,
  tags,
});

export const dealRoutes = [
  listDealsRoute,
  dealSummaryRoute,
  getDealRoute,
  createDealRoute,
  updateDealRoute,
  deleteDealRoute,
  dealStageChangesRoute,
  listAssociatedContactsRoute,
  associateContactRoute,
  dissociateContactRoute,
] as const;
