import type { KMSClient } from '@aws-sdk/client-kms';
import { emailAdapters } from '#shared/emails/runtime.ts';
import { systemClock } from '#shared/kernel/ports.ts';
import { secretsManagerCursorKeys } from '#shared/platform/cursor-keys.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { DynamoMailboxRepository } from './dynamodb.ts';
import { imapConnector } from './imap.ts';
import { KmsEnvelopeSealer, kmsDataKeys, SecretDerivedSealer } from './sealer.ts';
import type { MailboxOAuthProvider, MailboxOAuthSettings } from './oauth.ts';
import { httpMailboxOAuthClient } from './oauth-client.ts';
import { DynamoOAuthStateStore } from './oauth-store.ts';
import type { CredentialSealer } from './ports.ts';
import type { MailboxesDeps } from './use-cases.ts';

// Mailboxes' wiring, built once per container (the emails function and the poller).

let deps: MailboxesDeps | undefined;
let sealer: CredentialSealer | undefined;

/**
 * The deployment's credential sealer (mailbox passwords and OAuth tokens, Sell import tokens),
 * built once per container: KMS envelope encryption under CREDENTIALS_KEY_ARN (required at once:
 * a function without it fails at init, naming it). Values sealed before KMS (v1, under a key
 * derived from the cursor secret) still open, as stale, for the poller to seal again.
 */
export function credentialSealer(): CredentialSealer {
  if (sealer) return sealer;
  const credentialsKey = requireEnv(RUNTIME_ENV.credentialsKey);
  let kms: Promise<KMSClient> | undefined;
  sealer = new KmsEnvelopeSealer({
    dataKeys: kmsDataKeys({
      keyId: () => credentialsKey,
      client: () => (kms ??= import('@aws-sdk/client-kms').then((sdk) => new sdk.KMSClient({}))),
    }),
    legacy: new SecretDerivedSealer(
      secretsManagerCursorKeys({
        client: () => import('@aws-sdk/client-secrets-manager').then((sdk) => new sdk.SecretsManagerClient({})),
        secretId: () => requireEnv(RUNTIME_ENV.cursorSecret),
        clock: systemClock,
      }),
    ),
  });
  return sealer;
}

/** A container trusts a client secret it read this long (a changed secret shows within it). */
const SECRET_TTL_MS = 5 * 60_000;
const secrets = new Map<string, { at: number; value: Promise<string> }>();

/** The provider's client secret from Secrets Manager (client_secret_name), cached per container. */
function clientSecret(provider: MailboxOAuthProvider & { client_secret_name?: string }): Promise<string> {
  const name = provider.client_secret_name;
  if (!name) return Promise.reject(new Error(`the provider ${provider.name} names no client secret`));
  const cached = secrets.get(name);
  if (cached && Date.now() - cached.at <= SECRET_TTL_MS) return cached.value;
  const value = (async () => {
    const sdk = await import('@aws-sdk/client-secrets-manager');
    const out = await new sdk.SecretsManagerClient({}).send(new sdk.GetSecretValueCommand({ SecretId: name }));
    if (!out.SecretString) throw new Error(`the secret ${name} has no value`);
    return out.SecretString;
  })();
  // A failed read is not cached: the next call tries again.
  value.catch(() => secrets.delete(name));
  secrets.set(name, { at: Date.now(), value });
  return value;
}

/** The config's mailbox_oauth as CRM_MAILBOX_OAUTH carries it (infra/functions.ts mailboxOAuthSettings). */
function oauthSettings(): MailboxOAuthSettings {
  return JSON.parse(requireEnv(RUNTIME_ENV.mailboxOAuth)) as MailboxOAuthSettings;
}

/**
 * The mailboxes' adapters. Requires CREDENTIALS_KEY_ARN (the KMS key that seals credentials)
 * at once: a function without it fails at init, naming it, rather than at its first mailbox.
 */
export function mailboxAdapters(): MailboxesDeps {
  if (deps) return deps;
  deps = {
    mailboxes: new DynamoMailboxRepository(crmTable()),
    sealer: credentialSealer(),
    imap: imapConnector(),
    emails: emailAdapters(),
    oauth: httpMailboxOAuthClient({ settings: oauthSettings(), clientSecret }),
    oauthStates: new DynamoOAuthStateStore(crmTable()),
  };
  return deps;
}
