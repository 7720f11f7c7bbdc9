import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { CognitoUserDirectory, LocalUserDirectory } from '#shared/identity/cognito.ts';
import { syncUserDirectory } from '#shared/identity/directory-sync.ts';
import { userSchema } from '#shared/identity/domain.ts';
import { eventHandler } from '#shared/platform/consumers/events.ts';
import { RUNTIME_ENV } from '#shared/platform/runtime-env.ts';

// Bus rule target: user.* events → Cognito (in AWS) or the local stand-in. Deduped on
// event_id, so a redelivered or redriven old event never undoes a newer change.
const userPoolId = process.env[RUNTIME_ENV.userPoolId];
const directory = userPoolId
  ? new CognitoUserDirectory({ client: new CognitoIdentityProviderClient({}), userPoolId })
  : new LocalUserDirectory();

export const handler = eventHandler({ name: 'user-directory-sync', data: userSchema }, (event) =>
  syncUserDirectory(directory, event),
);
