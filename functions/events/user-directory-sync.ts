import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { EventBridgeEvent } from 'aws-lambda';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { User } from '#shared/identity/domain.ts';
import { syncUserDirectory } from '#shared/identity/directory-sync.ts';
import { CognitoUserDirectory, LocalUserDirectory } from '#shared/identity/cognito.ts';
import { RUNTIME_ENV } from '#shared/platform/runtime-env.ts';

// Bus rule target: user.* events → Cognito (in AWS) or the local stand-in.
const userPoolId = process.env[RUNTIME_ENV.userPoolId];
const directory = userPoolId
  ? new CognitoUserDirectory({ client: new CognitoIdentityProviderClient({}), userPoolId })
  : new LocalUserDirectory();

export const handler = async (event: EventBridgeEvent<string, DomainEvent<User>>): Promise<void> =>
  syncUserDirectory(directory, event.detail);
