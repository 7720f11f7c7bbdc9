import { accessTokenSchema, createAccessTokenInput, createdAccessTokenSchema } from './domain.ts';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams, itemsOf } from '#shared/platform/http/schemas.ts';

// Personal access tokens (issue 17): each user manages their own, from a signed-in session.
// Served by the identity function (the caller's own settings).

const family = 'identity';

export const createAccessTokenRoute = route({
  id: 'createAccessToken',
  method: 'POST',
  path: '/access_tokens',
  family,
  summary: 'Create a personal access token (its secret is shown once)',
  access: ALL_ROLES,
  body: createAccessTokenInput,
  response: createdAccessTokenSchema,
  status: 201,
  tags: ['access tokens'],
});

export const listAccessTokensRoute = route({
  id: 'listAccessTokens',
  method: 'GET',
  path: '/access_tokens',
  family,
  summary: 'List your personal access tokens',
  access: ALL_ROLES,
  response: itemsOf(accessTokenSchema),
  status: 200,
  tags: ['access tokens'],
});

export const revokeAccessTokenRoute = route({
  id: 'revokeAccessToken',
  method: 'DELETE',
  path: '/access_tokens/{id}',
  family,
  summary: 'Revoke one of your personal access tokens',
  access: ALL_ROLES,
  params: idParams,
  status: 204,
  tags: ['access tokens'],
});

export const accessTokenRoutes = [createAccessTokenRoute, listAccessTokensRoute, revokeAccessTokenRoute];
