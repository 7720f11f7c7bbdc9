import * as z from 'zod/mini';
import { LEAD_SORT_FIELDS } from './use-cases.ts';
import { createLeadInput, LEAD_STATUSES, leadSchema, updateLeadInput } from './domain.ts';
import { idSchema } from '#shared/kernel/schema.ts';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams, pageOf, pageQueryFields, sortQueryFields } from '#shared/platform/http/schemas.ts';
import { addressQueryFields, listQueryWithCustomFields } from '#shared/platform/http/list-query.ts';

// Leads (F3.1): every role works its own leads; visibility decides the rest.

const family = 'leads';
const tags = ['leads'];

export const listLeadsRoute = route({
  id: 'listLeads',
  method: 'GET',
  path: '/leads',
  family,
  summary: 'List leads',
  access: ALL_ROLES,
  query: listQueryWithCustomFields({
    ...pageQueryFields,
    owner_id: z.optional(idSchema),
    status: z.optional(z.enum(LEAD_STATUSES)),
    source_id: z.optional(idSchema),
    ...addressQueryFields,
    tags: z.optional(z.string().check(z.maxLength(1000))),
    ...sortQueryFields(LEAD_SORT_FIELDS),
  }),
  response: pageOf(leadSchema),
  status: 200,
  tags,
});

export const getLeadRoute = route({
  id: 'getLead',
  method: 'GET',
  path: '/leads/{id}',
  family,
  summary: 'Read a lead',
  access: ALL_ROLES,
  params: idParams,
  response: leadSchema,
  status: 200,
  tags,
});

export const createLeadRoute = route({
  id: 'createLead',
  method: 'POST',
  path: '/leads',
  family,
  summary: 'Create a lead',
  access: ALL_ROLES,
  body: createLeadInput,
  response: leadSchema,
  status: 201,
  idempotent: true,
  tags,
});

export const updateLeadRoute = route({
  id: 'updateLead',
  method: 'PATCH',
  path: '/leads/{id}',
  family,
  summary: 'Change a lead',
  access: ALL_ROLES,
  params: idParams,
  body: updateLeadInput,
  response: leadSchema,
  status: 200,
  conditional: true,
  tags,
});

export const deleteLeadRoute = route({
  id: 'deleteLead',
  method: 'DELETE',
  path: '/leads/{id}',
  family,
  summary: 'Delete a lead',
  access: ALL_ROLES,
  params: idParams,
  status: 204,
  conditional: true,
  tags,
});

export const leadRoutes = [listLeadsRoute, getLeadRoute, createLeadRoute, updateLeadRoute, deleteLeadRoute] as const;
