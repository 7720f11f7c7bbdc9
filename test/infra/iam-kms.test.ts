import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assumedRoleArn } from '#infra/local/iam/arns.ts';
import { functionAccessKeyId, startIamGate, type GateDecision, type IamGate } from '#infra/local/iam/gate.ts';
import { checkStatement, type Statement } from '#infra/local/iam/policy.ts';
import { describeRequest } from '#infra/local/iam/requests.ts';
import type { FunctionPolicy } from '#infra/local/iam/template-policies.ts';
import { startLocalKms, type LocalKms } from '#infra/local/kms.ts';
import { credentialEncryptionContext, CREDENTIAL_PURPOSE, KmsEnvelopeSealer, kmsDataKeys } from '#shared/mailboxes/sealer.ts';

// The local KMS behind its IAM gate, with the real client: a function's data keys are allowed
// only on the key its policy names, only for the credentials' encryption context, and only
// for the actions granted (GenerateDataKey to seal, Decrypt to open); the rest is AccessDenied.

const SCOPE = { accountId: '000000000000', region: 'eu-west-1' };
const KEY_ID = '0c0ffee0-c4ed-4000-8000-000000000001';
const OTHER_KEY_ID = '0c0ffee0-c4ed-4000-8000-000000000002';
let kms: LocalKms;
let gate: IamGate;
const decisions: GateDecision[] = [];

const grant = (actions: string[]): Statement => ({
  Effect: 'Allow',
  Action: actions,
  Resource: `arn:aws:kms:${SCOPE.region}:${SCOPE.accountId}:key/${KEY_ID}`,
  Condition: { StringEquals: { 'kms:EncryptionContext:purpose': CREDENTIAL_PURPOSE } },
});
const policy = (name: string, statements: Statement[]): [string, FunctionPolicy] => [
  name,
  {
    name,
    functionName: `crm-dev-${name}`,
    roleName: `crm-dev-${name}-role`,
    roleArn: `arn:aws:iam::${SCOPE.accountId}:role/crm-dev-${name}-role`,
    principalArn: assumedRoleArn(SCOPE, `crm-dev-${name}-role`, `crm-dev-${name}`),
    statements,
  },
];
// As crm-function.ts grants them (credentialsKey 'seal' and 'sealAndOpen'), and a function without.
const policies = new Map([
  policy('emails', [grant(['kms:GenerateDataKey'])]),
  policy('mailbox-poll', [grant(['kms:GenerateDataKey', 'kms:Decrypt'])]),
  policy('contacts', []),
]);

const clientAs = (name: string) =>
  new KMSClient({
    endpoint: gate.endpoint,
    region: SCOPE.region,
    credentials: { accessKeyId: functionAccessKeyId(name), secretAccessKey: 'local' },
    maxAttempts: 1,
  });
const sealerAs = (client: KMSClient, keyId = KEY_ID) =>
  new KmsEnvelopeSealer({ dataKeys: kmsDataKeys({ keyId: () => kms.arnOf(keyId), client: async () => client }) });

beforeAll(async () => {
  kms = await startLocalKms({ scope: SCOPE, keys: [{ keyId: KEY_ID }, { keyId: OTHER_KEY_ID }] });
  gate = await startIamGate({
    service: 'kms',
    upstream: kms.endpoint,
    scope: SCOPE,
    policies,
    onDecision: (d) => decisions.push(d),
    onRefusal: () => undefined,
  });
});
afterAll(async () => {
  await gate?.stop();
  await kms?.stop();
});

describe('KMS behind the local IAM gate', () => {
  it('lets the sealers seal and the poller open, on their key and the credentials context only', async () => {
    const emails = clientAs('emails');
    const poller = clientAs('mailbox-poll');
    try {
      const sealed = await sealerAs(emails).seal('hunter2', 'mailbox:1:u1');
      expect(await sealerAs(poller).open(sealed, 'mailbox:1:u1')).toEqual({ plain: 'hunter2', stale: false });
      // The emails function seals but never opens.
      await expect(sealerAs(emails).open(sealed, 'mailbox:1:u1')).rejects.toMatchObject({
        name: 'AccessDeniedException',
        message: expect.stringMatching(/kms:Decrypt/),
      });
      // Another key, or another purpose: refused although the action is granted.
      await expect(sealerAs(poller, OTHER_KEY_ID).seal('x', 'mailbox:1:u1')).rejects.toMatchObject({
        name: 'AccessDeniedException',
      });
      await expect(
        poller.send(
          new GenerateDataKeyCommand({ KeyId: kms.arnOf(KEY_ID), KeySpec: 'AES_256', EncryptionContext: { purpose: 'other' } }),
        ),
      ).rejects.toMatchObject({ name: 'AccessDeniedException' });
      await expect(
        poller.send(new GenerateDataKeyCommand({ KeyId: kms.arnOf(KEY_ID), KeySpec: 'AES_256' })),
      ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    } finally {
      emails.destroy();
      poller.destroy();
    }
  });

  it('refuses a function without the grant, with AWS AccessDenied naming its role and the action', async () => {
    const contacts = clientAs('contacts');
    try {
      const before = decisions.length;
      await expect(sealerAs(contacts).seal('hunter2', 'mailbox:1:u1')).rejects.toMatchObject({
        name: 'AccessDeniedException',
        message: expect.stringMatching(/crm-dev-contacts.*kms:GenerateDataKey/),
      });
      expect(decisions.slice(before).map((d) => [d.function, d.denied?.access.action])).toEqual([
        ['contacts', 'kms:GenerateDataKey'],
      ]);
      expect(kms.calls.filter((c) => c.action === 'GenerateDataKey' && c.keyId === kms.arnOf(KEY_ID)).length).toBe(1);
    } finally {
      contacts.destroy();
    }
  });

  it('maps Decrypt to the key its blob names, and the context to kms:EncryptionContext:* keys', async () => {
    const admin = new KMSClient({
      endpoint: kms.endpoint,
      region: SCOPE.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const context = credentialEncryptionContext('mailbox:1:u1');
      const made = await admin.send(
        new GenerateDataKeyCommand({ KeyId: kms.arnOf(OTHER_KEY_ID), KeySpec: 'AES_256', EncryptionContext: context }),
      );
      const body = JSON.stringify({
        CiphertextBlob: Buffer.from(made.CiphertextBlob!).toString('base64'),
        EncryptionContext: context,
      });
      const described = describeRequest(
        'kms',
        { method: 'POST', url: '/', headers: { 'x-amz-target': 'TrentService.Decrypt' }, body: Buffer.from(body) },
        SCOPE,
      );
      expect(described.accesses).toEqual([
        expect.objectContaining({
          action: 'kms:Decrypt',
          resource: kms.arnOf(OTHER_KEY_ID),
          context: expect.objectContaining({
            'kms:EncryptionContext:purpose': CREDENTIAL_PURPOSE,
            'kms:EncryptionContext:credential': 'mailbox:1:u1',
            'kms:EncryptionContextKeys': ['purpose', 'credential'],
          }),
        }),
      ]);
      // The poller's grant names KEY_ID: a blob of the other key is refused at the gate.
      const poller = clientAs('mailbox-poll');
      await expect(
        poller.send(new DecryptCommand({ CiphertextBlob: made.CiphertextBlob, EncryptionContext: context })),
      ).rejects.toMatchObject({ name: 'AccessDeniedException' });
      poller.destroy();
    } finally {
      admin.destroy();
    }
  });

  it('accepts conditions on any encryption context key, and still refuses unknown condition keys', () => {
    expect(() => checkStatement(grant(['kms:Decrypt']))).not.toThrow();
    expect(() => checkStatement({ ...grant(['kms:Decrypt']), Condition: { StringEquals: { 'kms:ViaService': 'x' } } })).toThrow(
      /kms:ViaService/,
    );
  });
});
