import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { EventBridgeEvent } from 'aws-lambda';
import type { DomainEvent } from '#shared/domain/events.ts';
import type { User } from '#shared/domain/users.ts';
import { syncUserDirectory } from '#shared/application/user-directory-sync.ts';
import { CognitoUserDirectory, LocalUserDirectory } from '#shared/adapters/identity/cognito-directory.ts';
import { RUNTIME_ENV } from '#shared/adapters/runtime-env.ts';

// Bus rule target: user.* events → Cognito (in AWS) or the local stand-in.
const userPoolId = process.env[RUNTIME_ENV.userPoolId];
const directory = userPoolId
  ? new CognitoUserDirectory({ client: new CognitoIdentityProviderClient({}), userPoolId })
  : new LocalUserDirectory();

export const handler = async (event: EventBridgeEvent<string, DomainEvent<User>>): Promise<void> =>
  syncUserDirectory(directory, event.detail);
