import { KMSClient } from '@aws-sdk/client-kms';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalKms, type LocalKms } from '#infra/local/kms.ts';
import { newId } from '#shared/kernel/ids.ts';
import { callContext, systemClock } from '#shared/kernel/ports.ts';
import { KmsEnvelopeSealer, kmsDataKeys, SecretDerivedSealer } from '#shared/mailboxes/sealer.ts';
import { connectMailbox, pollMailbox, type MailboxesDeps } from '#shared/mailboxes/use-cases.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';
import { startDovecot, type Dovecot } from './dovecot.ts';
import { imapClient, mailboxTestDeps } from './setup.ts';

// Mailbox credentials under KMS envelope encryption (v2), through the use cases the routes and
// the poller call, on DynamoDB Local, a real Dovecot and the local KMS: a dump of the table
// holds no password, the poll still logs in, and a password sealed before KMS (v1, the cursor
// secret's key) is resealed as v2 by its next poll and opens without the old key afterwards.

const PASSWORD = 'kms-dovecot-pass-7';
const V1_SECRET = 'v1-cursor-secret';
const user = newId();
let dovecot: Dovecot;
let kms: LocalKms;
let kmsClient: KMSClient;
let table: Table;
let v1Deps: MailboxesDeps;
let deps: MailboxesDeps;

const call = () =>
  callContext({ user_id: user, email: 'rep@example.com', role: 'user', direct_reports: [] }, 'test', systemClock, () => newId());
const system = () => ({ actor_id: 'system', correlation_id: newId(), now: new Date(), newId: () => newId() });
const connect = (d: MailboxesDeps) =>
  connectMailbox(d, call(), {
    host: dovecot.host,
    port: dovecot.port,
    tls: false,
    username: 'rep@mail.example',
    password: PASSWORD,
  });

/** Every item of this file's table, as a backup or an operator's Scan would read it. */
async function dump(): Promise<string> {
  const items: unknown[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await table.client.send(new ScanCommand({ TableName: table.name, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return JSON.stringify(items);
}

beforeAll(async () => {
  dovecot = await startDovecot([{ username: 'rep@mail.example', password: PASSWORD }]);
  const imap = await imapClient(dovecot, 'rep@mail.example', PASSWORD);
  await imap.append(
    'INBOX',
    'From: a@cellers.example\r\nTo: rep@mail.example\r\nSubject: Hola\r\nMessage-ID: <kms-1@cellers.example>\r\n\r\nBon dia\r\n',
  );
  await imap.logout();
  const scope = { accountId: '000000000000', region: 'eu-west-1' };
  kms = await startLocalKms({ scope, keys: [{ keyId: 'credentials' }] });
  kmsClient = new KMSClient({
    endpoint: kms.endpoint,
    region: scope.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const { tableName } = await useTestTable();
  table = testTableClient(tableName);
  const common = await mailboxTestDeps(table, { rep: user });
  const legacy = new SecretDerivedSealer({ load: async () => ({ current: V1_SECRET }) });
  v1Deps = { ...common, sealer: legacy };
  deps = {
    ...common,
    sealer: new KmsEnvelopeSealer({
      dataKeys: kmsDataKeys({ keyId: () => kms.arnOf('credentials'), client: async () => kmsClient }),
      legacy,
    }),
  };
}, 60_000);
afterAll(async () => {
  kmsClient?.destroy();
  await kms?.stop();
  await dovecot?.stop();
});

describe('mailbox credentials under KMS envelope encryption', () => {
  it('stores no plaintext password anywhere in the table, and the poll still logs in with it', async () => {
    const mailbox = await connect(deps);
    const stored = (await deps.mailboxes.get(mailbox.id))!;
    expect(stored.sealed_password).toMatch(/^v2\./);
    const all = await dump();
    for (const form of [PASSWORD, Buffer.from(PASSWORD).toString('base64'), Buffer.from(PASSWORD).toString('base64url')])
      expect(all).not.toContain(form);
    expect(kms.calls.filter((c) => c.action === 'GenerateDataKey')).toHaveLength(1);

    const outcome = await pollMailbox(deps, system(), stored);
    expect(outcome).toMatchObject({ outcome: 'polled', logged: 1 });
    const after = (await deps.mailboxes.get(mailbox.id))!;
    expect(after).toMatchObject({ last_error: null, sealed_password: stored.sealed_password });
    expect(kms.calls.filter((c) => c.action === 'Decrypt')).toHaveLength(1);
  });

  it('reseals a v1 password as v2 at the next poll; then it opens with KMS alone', async () => {
    const mailbox = await connect(v1Deps);
    const v1 = (await deps.mailboxes.get(mailbox.id))!;
    expect(v1.sealed_password).toMatch(/^v1\./);

    expect(await pollMailbox(deps, system(), v1)).toMatchObject({ outcome: 'polled' });
    const migrated = (await deps.mailboxes.get(mailbox.id))!;
    expect(migrated.sealed_password).toMatch(/^v2\./);
    expect(migrated.last_error).toBeNull();
    expect(await dump()).not.toContain(PASSWORD);

    // No v1 key any more (the cursor secret rotated twice): the v2 value still opens.
    const kmsOnly: MailboxesDeps = {
      ...deps,
      sealer: new KmsEnvelopeSealer({
        dataKeys: kmsDataKeys({ keyId: () => kms.arnOf('credentials'), client: async () => kmsClient }),
      }),
    };
    expect(await pollMailbox(kmsOnly, system(), migrated)).toMatchObject({ outcome: 'polled' });
    expect((await deps.mailboxes.get(mailbox.id))!).toMatchObject({
      last_error: null,
      sealed_password: migrated.sealed_password,
    });
  });
});
