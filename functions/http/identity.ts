import { accountDefaults, identityAdapters } from '#shared/identity/runtime.ts';
import { getAccount, updateAccount } from '#shared/identity/account-use-cases.ts';
import { createTeam, deleteTeam, getTeam, listTeams, renameTeam } from '#shared/identity/teams.ts';
import { createUser, getUser, listUsers, setUserStatus, updateSelf, updateUser } from '#shared/identity/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as routes from '#shared/identity/routes.ts';

// Users, teams and the account: parse (done by the contract), call the use case, reply.

const deps = identityAdapters();
const account = { account: deps.account, defaults: accountDefaults() };

export const handler = httpHandler([
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
