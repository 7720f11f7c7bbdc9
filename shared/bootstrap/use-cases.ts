import { ConflictError } from '#shared/kernel/errors.ts';
import type { UsersDeps } from '#shared/identity/use-cases.ts';
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
