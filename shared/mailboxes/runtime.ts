import { emailAdapters } from '#shared/emails/runtime.ts';
import { systemClock } from '#shared/kernel/ports.ts';
import { secretsManagerCursorKeys } from '#shared/platform/cursor-keys.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { DynamoMailboxRepository } from './dynamodb.ts';
import { imapConnector } from './imap.ts';
import { SecretDerivedSealer } from './sealer.ts';
import type { MailboxesDeps } from './use-cases.ts';

// Mailboxes' wiring, built once per container (the emails function and the poller).

let deps: MailboxesDeps | undefined;

export function mailboxAdapters(): MailboxesDeps {
  if (deps) return deps;
  const keys = secretsManagerCursorKeys({
    client: () => import('@aws-sdk/client-secrets-manager').then((sdk) => new sdk.SecretsManagerClient({})),
    secretId: () => requireEnv(RUNTIME_ENV.cursorSecret),
    clock: systemClock,
  });
  deps = {
    mailboxes: new DynamoMailboxRepository(crmTable()),
    sealer: new SecretDerivedSealer(keys),
    imap: imapConnector(),
    emails: emailAdapters(),
  };
  return deps;
}
