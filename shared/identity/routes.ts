import { accountSchema, updateAccountInput } from './account.ts';
import { ROLES } from '#shared/kernel/roles.ts';
import * as z from 'zod/mini';
import { createUserInput, teamInput, teamSchema, updateSelfInput, updateUserInput, userSchema, USER_STATUSES } from './domain.ts';
import { idSchema } from '#shared/kernel/schema.ts';
import { ADMIN_ONLY, ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams, pageOf, pageQueryFields } from '#shared/platform/http/schemas.ts';

// Users, teams and the account (X3, F1.1): everyone reads, admins write.

const family = 'identity';

export const listUsersRoute = route({
  id: 'listUsers',
  method: 'GET',
  path: '/users',
  family,
  summary: 'List users',
  access: ALL_ROLES,
  query: z.strictObject({
    ...pageQueryFields,
    role: z.optional(z.enum(ROLES)),
    status: z.optional(z.enum(USER_STATUSES)),
    team_id: z.optional(idSchema),
    reports_to: z.optional(idSchema),
  }),
  response: pageOf(userSchema),
  status: 200,
  tags: ['users'],
});

export const getSelfRoute = route({
  id: 'getSelf',
  method: 'GET',
  path: '/users/self',
  family,
  summary: 'Read your own user',
  access: ALL_ROLES,
  response: z.extend(userSchema, { direct_reports: z.array(z.string()) }),
  status: 200,
  tags: ['users'],
});

export const updateSelfRoute = route({
  id: 'updateSelf',
  method: 'PATCH',
  path: '/users/self',
  family,
  summary: 'Change your own settings (your time zone)',
  access: ALL_ROLES,
  body: updateSelfInput,
  response: userSchema,
  status: 200,
  conditional: true,
  tags: ['users'],
});

export const getUserRoute = route({
  id: 'getUser',
  method: 'GET',
  path: '/users/{id}',
  family,
  summary: 'Read a user',
  access: ALL_ROLES,
  params: idParams,
  response: userSchema,
  status: 200,
  tags: ['users'],
});

export const createUserRoute = route({
  id: 'createUser',
  method: 'POST',
  path: '/users',
  family,
  summary: 'Invite a user',
  access: ADMIN_ONLY,
  body: createUserInput,
  response: userSchema,
  status: 201,
  idempotent: true,
  tags: ['users'],
});

export const updateUserRoute = route({
  id: 'updateUser',
  method: 'PATCH',
  path: '/users/{id}',
  family,
  summary: 'Change a user',
  access: ADMIN_ONLY,
  params: idParams,
  body: updateUserInput,
  response: userSchema,
  status: 200,
  conditional: true,
  tags: ['users'],
});

export const disableUserRoute = route({
  id: 'disableUser',
  method: 'POST',
  path: '/users/{id}/disable',
  family,
  summary: 'Disable a user',
  access: ADMIN_ONLY,
  params: idParams,
  response: userSchema,
  status: 200,
  conditional: true,
  tags: ['users'],
});

export const enableUserRoute = route({
  id: 'enableUser',
  method: 'POST',
  path: '/users/{id}/enable',
  family,
  summary: 'Enable a user',
  access: ADMIN_ONLY,
  params: idParams,
  response: userSchema,
  status: 200,
  conditional: true,
  tags: ['users'],
});

export const listTeamsRoute = route({
  id: 'listTeams',
  method: 'GET',
  path: '/teams',
  family,
  summary: 'List teams',
  access: ALL_ROLES,
  query: z.strictObject(pageQueryFields),
  response: pageOf(teamSchema),
  status: 200,
  tags: ['teams'],
});

export const getTeamRoute = route({
  id: 'getTeam',
  method: 'GET',
  path: '/teams/{id}',
  family,
  summary: 'Read a team',
  access: ALL_ROLES,
  params: idParams,
  response: teamSchema,
  status: 200,
  tags: ['teams'],
});

export const createTeamRoute = route({
  id: 'createTeam',
  method: 'POST',
  path: '/teams',
  family,
  summary: 'Create a team',
  access: ADMIN_ONLY,
  body: teamInput,
  response: teamSchema,
  status: 201,
  idempotent: true,
  tags: ['teams'],
});

export const updateTeamRoute = route({
  id: 'updateTeam',
  method: 'PATCH',
  path: '/teams/{id}',
  family,
  summary: 'Rename a team',
  access: ADMIN_ONLY,
  params: idParams,
  body: teamInput,
  response: teamSchema,
  status: 200,
  conditional: true,
  tags: ['teams'],
});

export const deleteTeamRoute = route({
  id: 'deleteTeam',
  method: 'DELETE',
  path: '/teams/{id}',
  family,
  summary: 'Delete a team',
  access: ADMIN_ONLY,
  params: idParams,
  query: z.strictObject({ move_members_to: z.optional(idSchema) }),
  status: 204,
  tags: ['teams'],
});

export const getAccountRoute = route({
  id: 'getAccount',
  method: 'GET',
  path: '/account',
  family,
  summary: 'Read the account settings',
  access: ALL_ROLES,
  response: accountSchema,
  status: 200,
  tags: ['account'],
});

export const updateAccountRoute = route({
  id: 'updateAccount',
  method: 'PATCH',
  path: '/account',
  family,
  summary: 'Change the account settings',
  access: ADMIN_ONLY,
  body: updateAccountInput,
  response: accountSchema,
  status: 200,
  conditional: true,
  tags: ['account'],
});

export const identityRoutes = [
  listUsersRoute,
  getSelfRoute,
  updateSelfRoute,
  getUserRoute,
  createUserRoute,
  updateUserRoute,
  disableUserRoute,
  enableUserRoute,
  listTeamsRoute,
  getTeamRoute,
  createTeamRoute,
  updateTeamRoute,
  deleteTeamRoute,
  getAccountRoute,
  updateAccountRoute,
] as const;
