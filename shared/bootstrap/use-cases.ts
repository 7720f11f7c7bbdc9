import { ConflictError } from '#shared/kernel/errors.ts';
import type { UserRepository } from '#shared/identity/ports.ts';
import type { UsersDeps } from '#shared/identity/use-cases.ts';
import type { AdminSignInDirectory } from './ports.ts';
import { createUser } from '#shared/identity/use-cases.ts';
import type { Call } from '#shared/kernel/ports.ts';

// What a fresh deployment needs before anyone can sign in: an admin. Run after every deploy
// (a CDK trigger); it does nothing once the company has an active admin, and a second run
// racing the first meets the unique e-mail and stops there.

export interface BootstrapReport {
  first_admin: 'invited' | 'already_present';
}

export async function bootstrapCompany(
  deps: UsersDeps,
  call: Call,
  config: { first_admin: { name: string; email: string } },
): Promise<BootstrapReport> {
  if ((await deps.users.activeAdminCount()) > 0) return { first_admin: 'already_present' };
  try {
    await createUser(deps, call, { name: config.first_admin.name, email: config.first_admin.email, role: 'admin' });
    return { first_admin: 'invited' };
  } catch (error) {
    if (error instanceof ConflictError) return { first_admin: 'already_present' };
    throw error;
  }
}

/**
 * How the first admin's sign-in stands after the bootstrap: `invited` (the directory had no
 * such user), `ok` (nothing to do), `repaired` (re-enabled or put back in the admin group),
 * or why it was left alone (the CRM does not hold that e-mail as an active admin: an admin
 * demoted or disabled it on purpose, or the config names someone else now).
 */
export type FirstAdminSignIn = 'invited' | 'ok' | 'repaired' | 'not_in_crm' | 'not_an_active_admin';

/**
 * The first admin of the config can sign in: the invitation travels outbox → bus → directory
 * sync, and any loss on the way (or a new user pool after a restore) would lock the company
 * out. Checked against the directory itself on every deploy; idempotent.
 */
export async function repairFirstAdminSignIn(
  deps: { users: UserRepository; directory: AdminSignInDirectory },
  config: { first_admin: { email: string } },
): Promise<{ first_admin_sign_in: FirstAdminSignIn }> {
  const id = await deps.users.findIdByEmail(config.first_admin.email);
  const user = id ? await deps.users.get(id) : undefined;
  if (!user) return { first_admin_sign_in: 'not_in_crm' };
  if (user.role !== 'admin' || user.status !== 'active') return { first_admin_sign_in: 'not_an_active_admin' };
  const repair = await deps.directory.ensureAdmin(user);
  if (repair.user === 'invited') return { first_admin_sign_in: 'invited' };
  return { first_admin_sign_in: repair.reEnabled || repair.adminGroup === 'restored' ? 'repaired' : 'ok' };
}
