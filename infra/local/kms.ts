import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { arn, type AwsScope } from './iam/arns.ts';

// KMS on a laptop: the calls the CRM makes, on the service's JSON 1.1 wire protocol
// (X-Amz-Target: TrentService.<Action>), so the functions' real @aws-sdk/client-kms (endpoint
// from AWS_ENDPOINT_URL_KMS) runs unchanged. No npm emulator serves KMS (local-kms is a Go
// binary, LocalStack needs Docker), hence this one.
//
// Served for symmetric keys: GenerateDataKey (KeySpec AES_256/AES_128 or NumberOfBytes),
// Encrypt, Decrypt and DescribeKey. The keys' material (32 random bytes each) lives in `file`,
// so what was sealed survives a restart. A ciphertext blob is "<0x01><key id length><key id>
// <iv><tag><body>", AES-256-GCM with the encryption context as additional data: as in KMS, a
// blob opens only with the exact context it was made with (else InvalidCiphertextException),
// and names its key, so Decrypt needs no KeyId (given, it must match: IncorrectKeyException).

const BLOB_VERSION = 1;

/** One key the stand-in holds. */
export interface LocalKmsKey {
  /** The key id (a UUID in AWS; any string here), as ARNs and blobs name it. */
  readonly keyId: string;
  /** Alias names ("alias/..."), accepted wherever KMS accepts them (not by Decrypt's blob). */
  readonly aliases?: readonly string[];
}

export interface LocalKmsOptions {
  /** Account and region of the keys' ARNs (the local cloud's). */
  scope: AwsScope;
  /** The keys served; each gets fresh material unless `file` already holds it. */
  keys: readonly LocalKmsKey[];
  /** Where key material is kept between runs (JSON); none keeps it in memory. */
  file?: string;
  port?: number;
}

export interface LocalKms {
  /** The SDK endpoint (AWS_ENDPOINT_URL_KMS). */
  endpoint: string;
  /** The ARN a key of that id has here. */
  arnOf(keyId: string): string;
  /** Every call served, in order, by action (tests). */
  readonly calls: readonly { action: string; keyId: string | undefined }[];
  stop(): Promise<void>;
}

class KmsError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

/** The key id a ciphertext blob of this stand-in names, or undefined when it is none of its blobs. */
export function localCiphertextKeyId(blob: Buffer): string | undefined {
  if (blob.length < 2 || blob[0] !== BLOB_VERSION) return undefined;
  const length = blob[1]!;
  if (blob.length < 2 + length + 28) return undefined;
  return blob.subarray(2, 2 + length).toString('utf8');
}

/** The context as additional data: its pairs sorted by key, so the order of the JSON does not matter. */
function contextBytes(context: unknown): Buffer {
  if (context === undefined || context === null) return Buffer.alloc(0);
  if (typeof context !== 'object' || Array.isArray(context) || Object.values(context).some((v) => typeof v !== 'string'))
    throw new KmsError('ValidationException', 'EncryptionContext must map strings to strings');
  const pairs = Object.entries(context as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(pairs), 'utf8');
}

/** Starts the loopback server; key material in `file` (if any) is loaded first, missing keys are made. */
export async function startLocalKms(options: LocalKmsOptions): Promise<LocalKms> {
  const material = new Map<string, Buffer>();
  if (options.file && existsSync(options.file)) {
    const saved = JSON.parse(readFileSync(options.file, 'utf8')) as Record<string, string>;
    for (const [keyId, value] of Object.entries(saved)) material.set(keyId, Buffer.from(value, 'base64'));
  }
  let made = false;
  for (const key of options.keys) {
    if (!material.has(key.keyId)) {
      material.set(key.keyId, randomBytes(32));
      made = true;
    }
  }
  if (made && options.file) {
    mkdirSync(dirname(options.file), { recursive: true });
    const saved = Object.fromEntries([...material].map(([id, bytes]) => [id, bytes.toString('base64')]));
    writeFileSync(`${options.file}.tmp`, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
    renameSync(`${options.file}.tmp`, options.file);
  }
  const arnOf = (keyId: string) => arn(options.scope, 'kms', `key/${keyId}`);
  const calls: { action: string; keyId: string | undefined }[] = [];

  /** The key id named by an id, a key ARN, an alias name or an alias ARN. */
  const resolveKey = (keyId: unknown): string => {
    if (typeof keyId !== 'string' || !keyId) throw new KmsError('ValidationException', 'KeyId is required');
    const aliasName =
      /^arn:[^:]+:kms:[^:]*:[^:]*:(alias\/.+)$/.exec(keyId)?.[1] ?? (keyId.startsWith('alias/') ? keyId : undefined);
    const found = aliasName
      ? options.keys.find((k) => k.aliases?.includes(aliasName))
      : options.keys.find((k) => k.keyId === keyId || arnOf(k.keyId) === keyId);
    if (!found) throw new KmsError('NotFoundException', `Key '${arnOf(keyId)}' does not exist`);
    return found.keyId;
  };
  const seal = (keyId: string, plain: Buffer, context: unknown): Buffer => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', material.get(keyId)!, iv);
    cipher.setAAD(contextBytes(context));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const id = Buffer.from(keyId, 'utf8');
    return Buffer.concat([Buffer.from([BLOB_VERSION, id.length]), id, iv, cipher.getAuthTag(), body]);
  };
  const blobOf = (value: unknown, name: string): Buffer => {
    if (typeof value !== 'string' || !value) throw new KmsError('ValidationException', `${name} is required`);
    return Buffer.from(value, 'base64');
  };
  const sizeOf = (input: Record<string, unknown>): number => {
    if (input.KeySpec === 'AES_256') return 32;
    if (input.KeySpec === 'AES_128') return 16;
    const bytes = input.NumberOfBytes;
    if (typeof bytes === 'number' && Number.isInteger(bytes) && bytes >= 1 && bytes <= 1024) return bytes;
    throw new KmsError('ValidationException', 'Please specify either number of bytes or key spec.');
  };

  const actions: Record<string, (input: Record<string, unknown>) => Record<string, unknown>> = {
    GenerateDataKey: (input) => {
      const keyId = resolveKey(input.KeyId);
      const plain = randomBytes(sizeOf(input));
      return {
        KeyId: arnOf(keyId),
        Plaintext: plain.toString('base64'),
        CiphertextBlob: seal(keyId, plain, input.EncryptionContext).toString('base64'),
      };
    },
    Encrypt: (input) => {
      const keyId = resolveKey(input.KeyId);
      const plain = blobOf(input.Plaintext, 'Plaintext');
      if (plain.length > 4096) throw new KmsError('ValidationException', 'Plaintext is longer than 4096 bytes');
      return {
        KeyId: arnOf(keyId),
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        CiphertextBlob: seal(keyId, plain, input.EncryptionContext).toString('base64'),
      };
    },
    Decrypt: (input) => {
      const blob = blobOf(input.CiphertextBlob, 'CiphertextBlob');
      const keyId = localCiphertextKeyId(blob);
      const key = keyId === undefined ? undefined : material.get(keyId);
      if (keyId === undefined || !key) throw new KmsError('InvalidCiphertextException', '');
      if (input.KeyId !== undefined && resolveKey(input.KeyId) !== keyId) {
        throw new KmsError(
          'IncorrectKeyException',
          'The key ID in the request does not identify a CMK that can perform this operation.',
        );
      }
      const at = 2 + blob[1]!;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(at, at + 12));
        decipher.setAAD(contextBytes(input.EncryptionContext));
        decipher.setAuthTag(blob.subarray(at + 12, at + 28));
        const plain = Buffer.concat([decipher.update(blob.subarray(at + 28)), decipher.final()]);
        return { KeyId: arnOf(keyId), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT', Plaintext: plain.toString('base64') };
      } catch {
        // KMS says nothing more for a wrong context or a tampered blob.
        throw new KmsError('InvalidCiphertextException', '');
      }
    },
    DescribeKey: (input) => {
      const keyId = resolveKey(input.KeyId);
      return {
        KeyMetadata: {
          AWSAccountId: options.scope.accountId,
          KeyId: keyId,
          Arn: arnOf(keyId),
          Enabled: true,
          KeyState: 'Enabled',
          KeyUsage: 'ENCRYPT_DECRYPT',
          KeySpec: 'SYMMETRIC_DEFAULT',
          KeyManager: 'CUSTOMER',
          Origin: 'AWS_KMS',
        },
      };
    },
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
        res.end(JSON.stringify(body));
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target.replace(/^TrentService\./, '');
      try {
        const serve = actions[action];
        if (!target.startsWith('TrentService.') || !serve) {
          throw new KmsError('UnknownOperationException', `${target || 'this request'} is not served locally`);
        }
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        calls.push({ action, keyId: typeof input.KeyId === 'string' ? input.KeyId : undefined });
        reply(200, serve(input));
      } catch (error) {
        if (error instanceof KmsError) reply(400, { __type: error.type, message: error.message });
        else reply(500, { __type: 'KMSInternalException', message: (error as Error).message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  // Never what keeps a process alive (a test file's worker ends with its tests).
  server.unref();
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arnOf,
    calls,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
