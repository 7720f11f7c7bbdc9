import * as z from 'zod/mini';
import { createCustomFieldInput, customFieldSchema, updateCustomFieldInput, type CustomFieldResource } from './domain.ts';
import { idSchema } from '#shared/kernel/schema.ts';
import { ADMIN_ONLY, ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { pageOf, pageQueryFields } from '#shared/platform/http/schemas.ts';

// Custom field definitions of leads, contacts and deals (F6.1): everyone reads, admins write.
// The resource type is the plural in the path, Sell style: /custom_fields/deals.

const family = 'custom-fields';
const tags = ['custom_fields'];

/** The plural in API paths (`/custom_fields/deals`), Sell style, and the resource it names. */
export const CUSTOM_FIELD_RESOURCE_PATHS = { leads: 'lead', contacts: 'contact', deals: 'deal' } as const;
export type CustomFieldResourcePath = keyof typeof CUSTOM_FIELD_RESOURCE_PATHS;

/** `/custom_fields/{resource_type}`: the plural in the path, the singular out. */
export const customFieldResourceParam = z.pipe(
  z.enum(Object.keys(CUSTOM_FIELD_RESOURCE_PATHS) as [CustomFieldResourcePath]),
  z.transform((path: CustomFieldResourcePath): CustomFieldResource => CUSTOM_FIELD_RESOURCE_PATHS[path]),
);

const resourceParams = z.strictObject({ resource_type: customFieldResourceParam });
const fieldParams = z.strictObject({ resource_type: customFieldResourceParam, id: idSchema });

export const listCustomFieldsRoute = route({
  id: 'listCustomFields',
  method: 'GET',
  path: '/custom_fields/{resource_type}',
  family,
  summary: 'List custom fields',
  access: ALL_ROLES,
  params: resourceParams,
  query: z.strictObject(pageQueryFields),
  response: pageOf(customFieldSchema),
  status: 200,
  tags,
});

export const getCustomFieldRoute = route({
  id: 'getCustomField',
  method: 'GET',
  path: '/custom_fields/{resource_type}/{id}',
  family,
  summary: 'Read a custom field',
  access: ALL_ROLES,
  params: fieldParams,
  response: customFieldSchema,
  status: 200,
  tags,
});

export const createCustomFieldRoute = route({
  id: 'createCustomField',
  method: 'POST',
  path: '/custom_fields/{resource_type}',
  family,
  summary: 'Create a custom field',
  access: ADMIN_ONLY,
  params: resourceParams,
  body: createCustomFieldInput,
  response: customFieldSchema,
  status: 201,
  idempotent: true,
  tags,
});

export const updateCustomFieldRoute = route({
  id: 'updateCustomField',
  method: 'PATCH',
  path: '/custom_fields/{resource_type}/{id}',
  family,
  summary: 'Change a custom field',
  access: ADMIN_ONLY,
  params: fieldParams,
  body: updateCustomFieldInput,
  response: customFieldSchema,
  status: 200,
  conditional: true,
  tags,
});

export const deleteCustomFieldRoute = route({
  id: 'deleteCustomField',
  method: 'DELETE',
  path: '/custom_fields/{resource_type}/{id}',
  family,
  summary: 'Delete a custom field',
  access: ADMIN_ONLY,
  params: fieldParams,
  status: 204,
  conditional: true,
  tags,
});

export const customFieldRoutes = [
  listCustomFieldsRoute,
  getCustomFieldRoute,
  createCustomFieldRoute,
  updateCustomFieldRoute,
  deleteCustomFieldRoute,
] as const;
