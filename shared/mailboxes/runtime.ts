import { emailAdapters } from '#shared/emails/runtime.ts';
import { systemClock } from '#shared/kernel/ports.ts';
import { secretsManagerCursorKeys } from '#shared/platform/cursor-keys.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { DynamoMailboxRepository } from './dynamodb.ts';
import { imapConnector } from './imap.ts';
import { SecretDerivedSealer } from './sealer.ts';
import type { CredentialSealer } from './ports.ts';
import type { MailboxesDeps } from './use-cases.ts';

// Mailboxes' wiring, built once per container (the emails function and the poller).

let deps: MailboxesDeps | undefined;
let sealer: CredentialSealer | undefined;

/** The deployment's credential sealer (mailbox passwords, Sell import tokens), built once per container. */
export function credentialSealer(): CredentialSealer {
  sealer ??= new SecretDerivedSealer(
    secretsManagerCursorKeys({
      client: () => import('@aws-sdk/client-secrets-manager').then((sdk) => new sdk.SecretsManagerClient({})),
      secretId: () => requireEnv(RUNTIME_ENV.cursorSecret),
      clock: systemClock,
    }),
  );
  return sealer;
}

export function mailboxAdapters(): MailboxesDeps {
  if (deps) return deps;
  deps = {
    mailboxes: new DynamoMailboxRepository(crmTable()),
    sealer: credentialSealer(),
    imap: imapConnector(),
    emails: emailAdapters(),
  };
  return deps;
}
