import type { User } from '#shared/identity/domain.ts';

/** What the sign-in directory (Cognito) had to do so that an admin can sign in. */
export interface AdminSignInRepair {
  /** `invited`: the user was missing and got an invitation; `present`: it existed (its password untouched). */
  readonly user: 'invited' | 'present';
  /** The user was disabled in the directory and is enabled again. */
  readonly reEnabled: boolean;
  /** `restored`: the user was not in the admin group and is again. */
  readonly adminGroup: 'present' | 'restored';
}

/** The sign-in directory, as the bootstrap repairs the first admin's entry in it. */
export interface AdminSignInDirectory {
  /**
   * Makes sure the user can sign in as an admin: invites it when missing, enables it, puts it
   * in the admin group. Never resets a password nor re-sends an invitation to a present user.
   */
  ensureAdmin(user: Pick<User, 'id' | 'email' | 'name'>): Promise<AdminSignInRepair>;
}
