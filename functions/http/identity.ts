import { accountDefaults, identityAdapters } from '#shared/identity/runtime.ts';
import { getAccount, updateAccount } from '#shared/identity/account-use-cases.ts';
import { createTeam, deleteTeam, getTeam, listTeams, renameTeam } from '#shared/identity/teams.ts';
import { createUser, getUser, listUsers, setUserStatus, updateSelf, updateUser } from '#shared/identity/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as routes from '#shared/identity/routes.ts';
import { accessTokenAdapters } from '#shared/access-tokens/runtime.ts';
import { createAccessToken, listAccessTokens, revokeAccessToken } from '#shared/access-tokens/use-cases.ts';
import * as tokenRoutes from '#shared/access-tokens/routes.ts';

// Users, teams and the account: parse (done by the contract), call the use case, reply.

const deps = identityAdapters();
const account = { account: deps.account, defaults: accountDefaults() };
const tokens = accessTokenAdapters();

export const handler = httpHandler([
  implement(tokenRoutes.createAccessTokenRoute, (req) => createAccessToken(tokens, req.call, req.body)),
  implement(tokenRoutes.listAccessTokensRoute, async (req) => ({ items: await listAccessTokens(tokens, req.call) })),
  implement(tokenRoutes.revokeAccessTokenRoute, async (req) => {
    await revokeAccessToken(tokens, req.call, req.params.id);
  }),
  implement(routes.listUsersRoute, (req) => listUsers(deps, req.query)),
  implement(routes.getSelfRoute, async (req) => ({
    ...(await getUser(deps, req.principal.user_id)),
    direct_reports: [...req.principal.direct_reports],
  })),
  implement(routes.updateSelfRoute, (req) => updateSelf(deps, req.call, req.body, req.ifMatch)),
  implement(routes.getUserRoute, (req) => getUser(deps, req.params.id)),
  implement(routes.createUserRoute, (req) => createUser(deps, req.call, req.body)),
  implement(routes.updateUserRoute, async (req) => {
    const user = await updateUser(deps, req.call, req.params.id, req.body, req.ifMatch);
    deps.principals.forget();
    return user;
  }),
  implement(routes.disableUserRoute, (req) => setUserStatus(deps, req.call, req.params.id, 'inactive', req.ifMatch)),
  implement(routes.enableUserRoute, (req) => setUserStatus(deps, req.call, req.params.id, 'active', req.ifMatch)),
  implement(routes.listTeamsRoute, (req) => listTeams(deps, req.query)),
  implement(routes.getTeamRoute, (req) => getTeam(deps, req.params.id)),
  implement(routes.createTeamRoute, (req) => createTeam(deps, req.call, req.body)),
  implement(routes.updateTeamRoute, (req) => renameTeam(deps, req.call, req.params.id, req.body, req.ifMatch)),
  implement(routes.deleteTeamRoute, async (req) => {
    await deleteTeam(deps, req.call, req.params.id, req.query.move_members_to);
  }),
  implement(routes.getAccountRoute, () => getAccount(account)),
  implement(routes.updateAccountRoute, (req) => updateAccount(account, req.call, req.body, req.ifMatch)),
]);
