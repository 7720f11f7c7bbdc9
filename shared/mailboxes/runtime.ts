import type { KMSClient } from '@aws-sdk/client-kms';
import { emailAdapters } from '#shared/emails/runtime.ts';
import { systemClock } from '#shared/kernel/ports.ts';
import { secretsManagerCursorKeys } from '#shared/platform/cursor-keys.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { DynamoMailboxRepository } from './dynamodb.ts';
import { imapConnector } from './imap.ts';
import { KmsEnvelopeSealer, kmsDataKeys, SecretDerivedSealer } from './sealer.ts';
import type { MailboxesDeps } from './use-cases.ts';

// Mailboxes' wiring, built once per container (the emails function and the poller).

let deps: MailboxesDeps | undefined;

/**
 * The mailboxes' adapters. Requires CREDENTIALS_KEY_ARN (the KMS key that seals credentials)
 * at once: a function without it fails at init, naming it, rather than at its first mailbox.
 */
export function mailboxAdapters(): MailboxesDeps {
  if (deps) return deps;
  const credentialsKey = requireEnv(RUNTIME_ENV.credentialsKey);
  const keys = secretsManagerCursorKeys({
    client: () => import('@aws-sdk/client-secrets-manager').then((sdk) => new sdk.SecretsManagerClient({})),
    secretId: () => requireEnv(RUNTIME_ENV.cursorSecret),
    clock: systemClock,
  });
  let kms: Promise<KMSClient> | undefined;
  deps = {
    mailboxes: new DynamoMailboxRepository(crmTable()),
    // v2 seals with KMS; v1 values (sealed under the cursor secret) still open, as stale.
    sealer: new KmsEnvelopeSealer({
      dataKeys: kmsDataKeys({
        keyId: () => credentialsKey,
        client: () => (kms ??= import('@aws-sdk/client-kms').then((sdk) => new sdk.KMSClient({}))),
      }),
      legacy: new SecretDerivedSealer(keys),
    }),
    imap: imapConnector(),
    emails: emailAdapters(),
  };
  return deps;
}
