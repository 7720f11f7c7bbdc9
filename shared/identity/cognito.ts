import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUserGlobalSignOutCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Role } from '#shared/kernel/roles.ts';
import type { User } from './domain.ts';
import type { UserDirectory } from './ports.ts';

// Cognito as the sign-in directory. Users sign in with their e-mail; the CRM user id rides
// along as custom:user_id, so tokens name the CRM record directly. Cognito e-mails the
// invitation with a temporary password.

export class CognitoUserDirectory implements UserDirectory {
  readonly #client: CognitoIdentityProviderClient;
  readonly #userPoolId: string;

  constructor(options: { client: CognitoIdentityProviderClient; userPoolId: string }) {
    this.#client = options.client;
    this.#userPoolId = options.userPoolId;
  }

  async invite(user: Pick<User, 'id' | 'email' | 'name' | 'role'>): Promise<void> {
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
      // A redelivered user.created: the invitation went out the first time.
      if ((error as Error).name !== 'UsernameExistsException') throw error;
    }
    await this.#addToGroup(user.email, user.role);
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
