import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes users, teams and the account answer with (docs/error-codes.md lists them all).

export const identityErrorCodes = /* @__PURE__ */ defineErrorCodes('identity', {
  'user.not_found': { status: 404, title: 'User not found', description: 'No user has this id.' },
  'team.not_found': { status: 404, title: 'Team not found', description: 'No team has this id.' },
  'user.not_provisioned': {
    status: 403,
    title: 'No CRM user',
    description: 'The token is valid but no CRM user belongs to this login; an admin must invite you.',
  },
  'user.disabled': { status: 403, title: 'User disabled', description: 'Your CRM user is disabled; an admin can enable it.' },
  'user.mfa_required': {
    status: 403,
    title: 'MFA required',
    description:
      'Admins must sign in with a second factor (the config requires it): activate an authenticator app (TOTP) for your login, then sign in again.',
  },
  'user.email_taken': { status: 409, title: 'E-mail taken', description: 'Another user already has this e-mail address.' },
  'user.last_admin': {
    status: 409,
    title: 'Last admin',
    description: 'The change would leave no active admin; make another user admin first.',
  },
  'user.has_direct_reports': {
    status: 409,
    title: 'User has direct reports',
    description: 'A manager with direct reports cannot lose the manager role; give them another manager first.',
  },
  'user.cannot_disable_self': {
    status: 409,
    title: 'Cannot disable yourself',
    description: 'An admin cannot disable their own user; another admin must.',
  },
  'user.reporting_loop': {
    status: 422,
    title: 'Reporting loop',
    description: 'The new manager would make someone report to themself, directly or through others.',
  },
  'user.manager_not_eligible': {
    status: 422,
    title: 'Not an eligible manager',
    description: 'A user reports only to an active manager or admin.',
  },
  'team.has_members': {
    status: 409,
    title: 'Team has members',
    description: 'A team with members is deleted only with move_members_to=<team id>, which moves them in the same write.',
  },
  'team.too_many_members': {
    status: 409,
    title: 'Too many members to move',
    description: 'The team has more members than one deletion moves; move some with PATCH /users first.',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    identity: typeof identityErrorCodes;
  }
}
