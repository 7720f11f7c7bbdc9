import * as z from 'zod/mini';
import { idSchema } from '#shared/kernel/schema.ts';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams, pageOf, pageQueryFields, queryBoolean } from '#shared/platform/http/schemas.ts';
import {
  callResourceTypeSchema,
  callSchema,
  createCallInput,
  createTextMessageInput,
  textMessageSchema,
  updateCallInput,
} from './domain.ts';

// Calls and text messages (F2.4) with Sell's fields; call outcomes are a named list of the
// pipelines family (/call_outcomes). The voice provider's webhook is its own family: it is
// public (Twilio signs it) and its function alone reads the provider's auth token.

const family = 'calls';

export const listCallsRoute = route({
  id: 'listCalls',
  method: 'GET',
  path: '/calls',
  family,
  summary:
    "List a lead's, contact's or deal's calls (lead_id, contact_id or deal_id), the caller's unmatched calls (unmatched=true; admins also see a provider's calls nobody took), or else the caller's own; newest made_at first",
  access: ALL_ROLES,
  query: z.strictObject({
    ...pageQueryFields,
    lead_id: z.optional(idSchema),
    contact_id: z.optional(idSchema),
    deal_id: z.optional(idSchema),
    unmatched: z.optional(queryBoolean),
  }),
  response: pageOf(callSchema),
  status: 200,
  tags: ['calls'],
});

export const getCallRoute = route({
  id: 'getCall',
  method: 'GET',
  path: '/calls/{id}',
  family,
  summary: 'Read a call',
  access: ALL_ROLES,
  params: idParams,
  response: callSchema,
  status: 200,
  tags: ['calls'],
});

export const createCallRoute = route({
  id: 'createCall',
  method: 'POST',
  path: '/calls',
  family,
  summary: 'Log a call made or taken by the caller, maybe on a lead or contact and deals',
  access: ALL_ROLES,
  body: createCallInput,
  response: callSchema,
  status: 201,
  idempotent: true,
  tags: ['calls'],
});

export const updateCallRoute = route({
  id: 'updateCall',
  method: 'PATCH',
  path: '/calls/{id}',
  family,
  summary: "Change a call's outcome, summary or links (link an unmatched call to a lead or contact)",
  access: ALL_ROLES,
  params: idParams,
  body: updateCallInput,
  response: callSchema,
  status: 200,
  conditional: true,
  tags: ['calls'],
});

export const deleteCallRoute = route({
  id: 'deleteCall',
  method: 'DELETE',
  path: '/calls/{id}',
  family,
  summary: 'Delete a call',
  access: ALL_ROLES,
  params: idParams,
  status: 204,
  conditional: true,
  tags: ['calls'],
});

export const listTextMessagesRoute = route({
  id: 'listTextMessages',
  method: 'GET',
  path: '/text_messages',
  family,
  summary:
    "List a lead's or contact's text messages (resource_type and resource_id), the caller's unmatched ones (unmatched=true), or else the caller's own; newest first",
  access: ALL_ROLES,
  query: z.strictObject({
    ...pageQueryFields,
    resource_type: z.optional(callResourceTypeSchema),
    resource_id: z.optional(idSchema),
    unmatched: z.optional(queryBoolean),
  }),
  response: pageOf(textMessageSchema),
  status: 200,
  tags: ['text_messages'],
});

export const getTextMessageRoute = route({
  id: 'getTextMessage',
  method: 'GET',
  path: '/text_messages/{id}',
  family,
  summary: 'Read a text message',
  access: ALL_ROLES,
  params: idParams,
  response: textMessageSchema,
  status: 200,
  tags: ['text_messages'],
});

export const createTextMessageRoute = route({
  id: 'createTextMessage',
  method: 'POST',
  path: '/text_messages',
  family,
  summary: 'Log a text message sent or received by the caller, maybe on a lead or contact',
  access: ALL_ROLES,
  body: createTextMessageInput,
  response: textMessageSchema,
  status: 201,
  idempotent: true,
  tags: ['text_messages'],
});

export const callRoutes = [
  listCallsRoute,
  getCallRoute,
  createCallRoute,
  updateCallRoute,
  deleteCallRoute,
  listTextMessagesRoute,
  getTextMessageRoute,
  createTextMessageRoute,
] as const;

/**
 * Twilio-compatible voice and messaging webhook: a call's status callback (CallSid) or an
 * incoming message (MessageSid), form-encoded, signed with X-Twilio-Signature. The body is
 * read raw (the signature covers the parameters as sent); a bad signature is a 403.
 */
export const twilioWebhookRoute = route({
  id: 'receiveTwilioWebhook',
  method: 'POST',
  path: '/webhooks/twilio',
  family: 'voice-webhook',
  summary:
    'Receive a Twilio-style status callback or incoming message (application/x-www-form-urlencoded, X-Twilio-Signature): logs the call or text on the lead or contact with that number; answers empty TwiML',
  access: 'public',
  response: z.string(),
  mediaType: 'text/xml',
  status: 200,
  tags: ['calls'],
});

export const voiceWebhookRoutes = [twilioWebhookRoute] as const;
