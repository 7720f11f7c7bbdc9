import * as z from 'zod/mini';
import {
  captureFormViewSchema,
  createFormInput,
  formFieldSchema,
  submissionInput,
  submissionReplySchema,
  updateFormInput,
} from './domain.ts';
import { ADMIN_ONLY, route } from '#shared/platform/http/contract.ts';
import { idParams, pageOf, pageQueryFields } from '#shared/platform/http/schemas.ts';

// Lead capture forms (X2): admins define them; the public loads a form's embed and submits it
// with no login (public routes, throttled per route by API Gateway and per address here).

const family = 'capture-forms';
const tags = ['capture forms'];

export const listFormsRoute = route({
  id: 'listCaptureForms',
  method: 'GET',
  path: '/capture_forms',
  family,
  summary: 'List lead capture forms, newest first, with their submission counts',
  access: ADMIN_ONLY,
  query: z.strictObject(pageQueryFields),
  response: pageOf(captureFormViewSchema),
  status: 200,
  tags,
});

export const createFormRoute = route({
  id: 'createCaptureForm',
  method: 'POST',
  path: '/capture_forms',
  family,
  summary: 'Create a lead capture form',
  access: ADMIN_ONLY,
  body: createFormInput,
  response: captureFormViewSchema,
  status: 201,
  idempotent: true,
  tags,
});

export const getFormRoute = route({
  id: 'getCaptureForm',
  method: 'GET',
  path: '/capture_forms/{id}',
  family,
  summary: 'Read a lead capture form, with its accepted and rejected (per reason) submission counts',
  access: ADMIN_ONLY,
  params: idParams,
  response: captureFormViewSchema,
  status: 200,
  tags,
});

export const updateFormRoute = route({
  id: 'updateCaptureForm',
  method: 'PATCH',
  path: '/capture_forms/{id}',
  family,
  summary: 'Change a lead capture form',
  access: ADMIN_ONLY,
  params: idParams,
  body: updateFormInput,
  response: captureFormViewSchema,
  status: 200,
  conditional: true,
  tags,
});

export const deleteFormRoute = route({
  id: 'deleteCaptureForm',
  method: 'DELETE',
  path: '/capture_forms/{id}',
  family,
  summary: 'Delete a lead capture form (its leads stay)',
  access: ADMIN_ONLY,
  params: idParams,
  status: 204,
  tags,
});

export const embedFormRoute = route({
  id: 'getCaptureFormEmbed',
  method: 'GET',
  path: '/forms/{id}/embed',
  family,
  summary:
    "Load an active form to submit it: its fields, a fresh form token (signed, valid 2 hours, usable once the form's minimum fill time has passed) and the honeypot field to leave empty",
  access: 'public',
  params: idParams,
  response: z.object({
    form: z.object({ id: z.string(), name: z.string(), fields: z.array(formFieldSchema) }),
    form_token: z.string(),
    honeypot_field: z.string(),
    submit_path: z.string(),
  }),
  status: 200,
  tags,
});

export const embedScriptRoute = route({
  id: 'getCaptureFormScript',
  method: 'GET',
  path: '/forms/{id}/embed.js',
  family,
  summary:
    'The embeddable snippet of an active form (text/javascript): placed with <script src=".../forms/{id}/embed.js"></script>, it renders a plain HTML form there and submits it',
  access: 'public',
  params: idParams,
  response: z.string(),
  status: 200,
  tags,
});

export const submitFormRoute = route({
  id: 'submitCaptureForm',
  method: 'POST',
  path: '/forms/{id}/submissions',
  family,
  summary:
    "Submit an active form (no login): creates a lead owned per the form; answers the form's thank-you message or redirect URL",
  access: 'public',
  params: idParams,
  body: submissionInput,
  response: submissionReplySchema,
  status: 201,
  tags,
});

export const captureFormRoutes = [
  listFormsRoute,
  createFormRoute,
  getFormRoute,
  updateFormRoute,
  deleteFormRoute,
  embedFormRoute,
  embedScriptRoute,
  submitFormRoute,
] as const;
