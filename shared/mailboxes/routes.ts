import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams, itemsOf } from '#shared/platform/http/schemas.ts';
import { connectMailboxInput, mailboxSchema } from './domain.ts';
import { finishMailboxOAuthInput, mailboxOAuthStartSchema, startMailboxOAuthInput } from './oauth.ts';

// Users' own IMAP mailboxes (issue 14 item 4): each user connects and removes their own.
// Served by the emails function (the caller's own mail).

const family = 'emails';
const tags = ['mailboxes'];

export const connectMailboxRoute = route({
  id: 'connectMailbox',
  method: 'POST',
  path: '/mailboxes',
  family,
  summary: 'Connect an IMAP mailbox with a password (stored sealed, never answered); polled for mail to log',
  access: ALL_ROLES,
  body: connectMailboxInput,
  response: mailboxSchema,
  status: 201,
  tags,
});

export const listMailboxesRoute = route({
  id: 'listMailboxes',
  method: 'GET',
  path: '/mailboxes',
  family,
  summary: 'List your connected mailboxes (never their passwords)',
  access: ALL_ROLES,
  response: itemsOf(mailboxSchema),
  status: 200,
  tags,
});

export const deleteMailboxRoute = route({
  id: 'deleteMailbox',
  method: 'DELETE',
  path: '/mailboxes/{id}',
  family,
  summary: 'Disconnect one of your mailboxes (mail logged from it stays)',
  access: ALL_ROLES,
  params: idParams,
  status: 204,
  tags,
});

export const startMailboxOAuthRoute = route({
  id: 'startMailboxOAuth',
  method: 'POST',
  path: '/mailboxes/oauth/start',
  family,
  summary:
    "Start connecting a Gmail or Outlook mailbox with OAuth2: answers the provider's authorization URL (PKCE S256) and a state that only you may finish with, once, within 10 minutes",
  access: ALL_ROLES,
  body: startMailboxOAuthInput,
  response: mailboxOAuthStartSchema,
  status: 200,
  tags,
});

export const finishMailboxOAuthRoute = route({
  id: 'finishMailboxOAuth',
  method: 'POST',
  path: '/mailboxes/oauth/callback',
  family,
  summary:
    "Finish an OAuth2 mailbox connection with the provider's code and state (from the redirect): the account the provider names is connected (auth xoauth2) or, if already yours, reconnected",
  access: ALL_ROLES,
  body: finishMailboxOAuthInput,
  response: mailboxSchema,
  status: 201,
  tags,
});

export const mailboxRoutes = [
  connectMailboxRoute,
  listMailboxesRoute,
  deleteMailboxRoute,
  startMailboxOAuthRoute,
  finishMailboxOAuthRoute,
];
