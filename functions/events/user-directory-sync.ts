import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { CognitoUserDirectory } from '#shared/identity/cognito.ts';
import { syncUserDirectory } from '#shared/identity/directory-sync.ts';
import { userSchema } from '#shared/identity/domain.ts';
import { eventHandler } from '#shared/platform/consumers/events.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';

// Bus rule target: user.* events → Cognito (locally, the Cognito stand-in of the local cloud,
// through the same client). Without its user pool it fails at init rather than invite no one.
// Deduped on event_id, so a redelivered or redriven old event never undoes a newer change.
const directory = new CognitoUserDirectory({
  client: new CognitoIdentityProviderClient({}),
  userPoolId: requireEnv(RUNTIME_ENV.userPoolId),
});

export const handler = eventHandler({ name: 'user-directory-sync', data: userSchema }, (event) =>
  syncUserDirectory(directory, event),
);
