import { accountDefaults, identityAdapters, runtimeClock, runtimeIds } from '#shared/adapters/runtime.ts';
import { getAccount, updateAccount } from '#shared/application/account.ts';
import { callContext } from '#shared/application/ports.ts';
import { createTeam, deleteTeam, getTeam, listTeams, renameTeam } from '#shared/application/teams.ts';
import { createUser, getUser, listUsers, setUserStatus, updateUser } from '#shared/application/users.ts';
import { httpHandler, implement, type HttpRequest } from '#shared/http/handler.ts';
import type { AnyRoute } from '#shared/http/contract.ts';
import * as routes from '#shared/http/routes/identity.ts';

// Users, teams and the account: parse (done by the contract), call the use case, reply.

const deps = identityAdapters();
const account = { account: deps.account, defaults: accountDefaults() };
const call = (req: HttpRequest<AnyRoute>) => callContext(req.principal, req.correlationId, runtimeClock, runtimeIds);

export const handler = httpHandler(
  [
    implement(routes.listUsersRoute, (req) => listUsers(deps, req.query)),
    implement(routes.getSelfRoute, async (req) => ({
      ...(await getUser(deps, req.principal.user_id)),
      direct_reports: [...req.principal.direct_reports],
    })),
    implement(routes.getUserRoute, (req) => getUser(deps, req.params.id)),
    implement(routes.createUserRoute, (req) => createUser(deps, call(req), req.body)),
    implement(routes.updateUserRoute, async (req) => {
      const user = await updateUser(deps, call(req), req.params.id, req.body, req.ifMatch);
      deps.principals.forget();
      return user;
    }),
    implement(routes.disableUserRoute, (req) => setUserStatus(deps, call(req), req.params.id, 'inactive', req.ifMatch)),
    implement(routes.enableUserRoute, (req) => setUserStatus(deps, call(req), req.params.id, 'active', req.ifMatch)),
    implement(routes.listTeamsRoute, (req) => listTeams(deps, req.query)),
    implement(routes.getTeamRoute, (req) => getTeam(deps, req.params.id)),
    implement(routes.createTeamRoute, (req) => createTeam(deps, call(req), req.body)),
    implement(routes.updateTeamRoute, (req) => renameTeam(deps, call(req), req.params.id, req.body, req.ifMatch)),
    implement(routes.deleteTeamRoute, async (req) => {
      await deleteTeam(deps, call(req), req.params.id, req.query.move_members_to);
    }),
    implement(routes.getAccountRoute, () => getAccount(account)),
    implement(routes.updateAccountRoute, (req) => updateAccount(account, call(req), req.body, req.ifMatch)),
  ],
  { resolvePrincipal: (claimed) => deps.principals.resolve(claimed) },
);
