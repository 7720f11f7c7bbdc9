import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUserGlobalSignOutCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { AdminSignInDirectory, AdminSignInRepair } from '#shared/bootstrap/ports.ts';
import type { Clock } from '#shared/kernel/ports.ts';
import type { Role } from '#shared/kernel/roles.ts';
import type { User } from './domain.ts';
import type { UserDirectory } from './ports.ts';
import type { MfaStatus } from './principals.ts';

// Cognito as the sign-in directory. Users sign in with their e-mail; the CRM user id rides
// along as custom:user_id, so tokens name the CRM record directly. Cognito e-mails the
// invitation with a temporary password.

export class CognitoUserDirectory implements UserDirectory, AdminSignInDirectory {
  readonly #client: CognitoIdentityProviderClient;
  readonly #userPoolId: string;

  constructor(options: { client: CognitoIdentityProviderClient; userPoolId: string }) {
    this.#client = options.client;
    this.#userPoolId = options.userPoolId;
  }

  async invite(user: Pick<User, 'id' | 'email' | 'name' | 'role'>): Promise<void> {
    await this.#create(user);
    await this.#addToGroup(user.email, user.role);
  }

  /** AdminGetUser, then only what is missing: create (invite), enable, add to the admin group. */
  async ensureAdmin(user: Pick<User, 'id' | 'email' | 'name'>): Promise<AdminSignInRepair> {
    let found: { Enabled?: boolean } | undefined;
    try {
      found = await this.#client.send(new AdminGetUserCommand({ UserPoolId: this.#userPoolId, Username: user.email }));
    } catch (error) {
      if ((error as Error).name !== 'UserNotFoundException') throw error;
    }
    if (!found) await this.#create(user);
    const reEnabled = found?.Enabled === false;
    if (reEnabled) await this.#client.send(new AdminEnableUserCommand({ UserPoolId: this.#userPoolId, Username: user.email }));
    const groups = await this.#groupsOf(user.email);
    const restored = !groups.includes('admin');
    if (restored) await this.#addToGroup(user.email, 'admin');
    return { user: found ? 'present' : 'invited', reEnabled, adminGroup: restored && found ? 'restored' : 'present' };
  }

  async #groupsOf(email: string): Promise<string[]> {
    const groups: string[] = [];
    let next: string | undefined;
    do {
      const out = await this.#client.send(
        new AdminListGroupsForUserCommand({ UserPoolId: this.#userPoolId, Username: email, NextToken: next }),
      );
      groups.push(...(out.Groups ?? []).map((g) => g.GroupName ?? ''));
      next = out.NextToken;
    } while (next);
    return groups;
  }

  /** AdminCreateUser: Cognito mails the invitation with a temporary password. */
  async #create(user: Pick<User, 'id' | 'email' | 'name'>): Promise<void> {
    try {
      await this.#client.send(
        new AdminCreateUserCommand({
          UserPoolId: this.#userPoolId,
          Username: user.email,
          DesiredDeliveryMediums: ['EMAIL'],
          UserAttributes: [
            { Name: 'email', Value: user.email },
            { Name: 'email_verified', Value: 'true' },
            { Name: 'name', Value: user.name },
            { Name: 'custom:user_id', Value: user.id },
          ],
        }),
      );
    } catch (error) {
      // A redelivered user.created (or the bootstrap came first): the invitation went out once.
      if ((error as Error).name !== 'UsernameExistsException') throw error;
    }
  }

  async setRole(_userId: string, email: string, role: Role, previous: Role): Promise<void> {
    await this.#addToGroup(email, role);
    if (previous !== role) {
      await this.#client.send(
        new AdminRemoveUserFromGroupCommand({ UserPoolId: this.#userPoolId, Username: email, GroupName: previous }),
      );
    }
  }

  async setEnabled(_userId: string, email: string, enabled: boolean): Promise<void> {
    if (enabled) {
      await this.#client.send(new AdminEnableUserCommand({ UserPoolId: this.#userPoolId, Username: email }));
      return;
    }
    await this.#client.send(new AdminDisableUserCommand({ UserPoolId: this.#userPoolId, Username: email }));
    // Refresh tokens die now; ID tokens already issued are refused by the CRM (status check).
    await this.#client.send(new AdminUserGlobalSignOutCommand({ UserPoolId: this.#userPoolId, Username: email }));
  }

  async #addToGroup(email: string, role: Role): Promise<void> {
    await this.#client.send(new AdminAddUserToGroupCommand({ UserPoolId: this.#userPoolId, Username: email, GroupName: role }));
  }
}

/** How long a container trusts what Cognito said about a user's MFA. */
export const MFA_STATUS_TTL_MS = 60_000;

/**
 * MFA status from Cognito (AdminGetUser: TOTP in UserMFASettingList), cached per user for
 * `ttlMs`, so an admin's requests cost one Cognito call a minute, not one each. An unknown
 * user has no MFA.
 */
export class CognitoMfaStatus implements MfaStatus {
  readonly #client: CognitoIdentityProviderClient;
  readonly #userPoolId: string;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, { at: number; mfa: boolean }>();

  constructor(options: { client: CognitoIdentityProviderClient; userPoolId: string; clock: Clock; ttlMs?: number }) {
    this.#client = options.client;
    this.#userPoolId = options.userPoolId;
    this.#clock = options.clock;
    this.#ttlMs = options.ttlMs ?? MFA_STATUS_TTL_MS;
  }

  async hasMfa(email: string): Promise<boolean> {
    const now = this.#clock.now().getTime();
    const cached = this.#cache.get(email);
    if (cached && now - cached.at < this.#ttlMs) return cached.mfa;
    let mfa = false;
    try {
      const user = await this.#client.send(new AdminGetUserCommand({ UserPoolId: this.#userPoolId, Username: email }));
      mfa = (user.UserMFASettingList ?? []).includes('SOFTWARE_TOKEN_MFA');
    } catch (error) {
      if ((error as Error).name !== 'UserNotFoundException') throw error;
    }
    this.#cache.set(email, { at: now, mfa });
    return mfa;
  }
}
