import * as z from 'zod/mini';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams, pageOf, pageQueryFields } from '#shared/platform/http/schemas.ts';
import { addSenderInput, addSenderResult, EMAIL_LIST_FOLDERS, emailSchema, sendEmailInput } from './domain.ts';

// Users' own e-mail (F9): send, the caller's mailbox folders, a message, filing, add_sender.

const family = 'emails';
const tags = ['emails'];

export const sendEmailRoute = route({
  id: 'sendEmail',
  method: 'POST',
  path: '/emails',
  family,
  summary:
    "Send an e-mail from the caller's address; logged on every lead and contact it names and on the linked record (a suppressed or bounced recipient: 422 naming the field)",
  access: ALL_ROLES,
  body: sendEmailInput,
  response: emailSchema,
  status: 201,
  idempotent: true,
  tags,
});

export const listEmailsRoute = route({
  id: 'listEmails',
  method: 'GET',
  path: '/emails',
  family,
  summary: "List a folder of the caller's mailbox (default inbox), newest first",
  access: ALL_ROLES,
  query: z.strictObject({ ...pageQueryFields, folder: z.optional(z.enum(EMAIL_LIST_FOLDERS)) }),
  response: pageOf(emailSchema),
  status: 200,
  tags,
});

export const getEmailRoute = route({
  id: 'getEmail',
  method: 'GET',
  path: '/emails/{id}',
  family,
  summary: 'Read a message of your mailbox or logged on a record you may see (opens may include automatic ones)',
  access: ALL_ROLES,
  params: idParams,
  response: emailSchema,
  status: 200,
  tags,
});

const fileRoute = (id: string, verb: 'archive' | 'unarchive', summary: string) =>
  route({
    id,
    method: 'POST',
    path: `/emails/{id}/${verb}`,
    family,
    summary,
    access: ALL_ROLES,
    params: idParams,
    response: emailSchema,
    status: 200,
    conditional: true,
    tags,
  });

export const archiveEmailRoute = fileRoute('archiveEmail', 'archive', 'Archive a message of your mailbox');
export const unarchiveEmailRoute = fileRoute('unarchiveEmail', 'unarchive', 'Move an archived message back to its folder');

export const deleteEmailRoute = route({
  id: 'deleteEmail',
  method: 'DELETE',
  path: '/emails/{id}',
  family,
  summary: 'Delete a message of your mailbox',
  access: ALL_ROLES,
  params: idParams,
  status: 204,
  conditional: true,
  tags,
});

export const addEmailSenderRoute = route({
  id: 'addEmailSender',
  method: 'POST',
  path: '/emails/{id}/add_sender',
  family,
  summary: "Create a lead or contact from a received message's sender, and move that address's mail to the inbox",
  access: ALL_ROLES,
  params: idParams,
  body: addSenderInput,
  response: addSenderResult,
  status: 201,
  idempotent: true,
  tags,
});

export const getForwardingAddressRoute = route({
  id: 'getEmailForwardingAddress',
  method: 'GET',
  path: '/emails/forwarding_address',
  family,
  summary:
    "The caller's forwarding/BCC address: mail forwarded or Bcc'd to it is logged in their mailbox and on the matching leads and contacts",
  access: ALL_ROLES,
  response: z.object({ address: z.string() }),
  status: 200,
  tags,
});

export const emailRoutes = [
  sendEmailRoute,
  listEmailsRoute,
  getEmailRoute,
  archiveEmailRoute,
  unarchiveEmailRoute,
  deleteEmailRoute,
  addEmailSenderRoute,
  getForwardingAddressRoute,
] as const;
