import { ForbiddenError } from '#shared/kernel/errors.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import type { Clock } from '#shared/kernel/ports.ts';
import type { UserRepository } from './ports.ts';

/**
 * Whether a user signs in with a second factor. Cognito has no per-group MFA: the pool keeps
 * MFA optional (TOTP), and since Cognito challenges every sign-in of a user with TOTP
 * activated, "has TOTP" means every token of that user came through it.
 */
export interface MfaStatus {
  hasMfa(email: string): Promise<boolean>;
}

// The token says who signed in; the CRM's user record says what they may do. Read on every
// request (one GetItem), so that disabling a user or changing a role takes effect at once.
// A manager's direct reports are cached briefly per container: a new reporting line reaches
// every Lambda within REPORTS_TTL_MS.

export const REPORTS_TTL_MS = 30_000;

/**
 * `adminMfa`: admins are refused (403 user.mfa_required) until they have activated an authenticator
 * app in Cognito; managers and users are not checked. Absent: no check.
 */
export function principalResolver(
  users: UserRepository,
  clock: Clock,
  ttlMs = REPORTS_TTL_MS,
  options: { adminMfa?: () => MfaStatus | undefined } = {},
) {
  const reports = new Map<string, { at: number; ids: string[] }>();

  async function directReports(managerId: string): Promise<string[]> {
    const now = clock.now().getTime();
    const cached = reports.get(managerId);
    if (cached && now - cached.at < ttlMs) return cached.ids;
    const ids = await users.directReportIds(managerId);
    reports.set(managerId, { at: now, ids });
    return ids;
  }

  return {
    async resolve(claimed: Principal): Promise<Principal> {
      const user = await users.get(claimed.user_id);
      if (!user)
        throw new ForbiddenError('This login has no CRM user; ask an admin to invite you', { code: 'user.not_provisioned' });
      if (user.status !== 'active')
        throw new ForbiddenError('Your CRM user is disabled; ask an admin', { code: 'user.disabled' });
      const mfa = user.role === 'admin' ? options.adminMfa?.() : undefined;
      if (mfa && !(await mfa.hasMfa(user.email))) {
        throw new ForbiddenError(
          'Admins must sign in with a second factor: activate an authenticator app (TOTP) for your login, then sign in again',
          { code: 'user.mfa_required' },
        );
      }
      return {
        user_id: user.id,
        email: user.email,
        role: user.role,
        direct_reports: user.role === 'manager' ? await directReports(user.id) : [],
        ...(claimed.via ? { via: claimed.via } : {}),
      };
    },
    /** Drops cached reporting lines (after this container changed one). */
    forget(managerId?: string): void {
      if (managerId) reports.delete(managerId);
      else reports.clear();
    },
  };
}
