import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { CreateSecretCommand, DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { secretArn, secretNameOf, type AwsScope } from './iam/arns.ts';

// Secrets Manager on a laptop: the calls the CRM makes, on the service's JSON 1.1 wire
// protocol (X-Amz-Target: secretsmanager.<Action>), so the functions' real SDK client
// (endpoint from AWS_ENDPOINT_URL_SECRETS_MANAGER) runs unchanged. No npm emulator serves
// Secrets Manager without Docker, hence this one.
//
// Served: CreateSecret, GetSecretValue (by name, full ARN or partial ARN; VersionId and/or
// VersionStage), PutSecretValue, DescribeSecret, UpdateSecretVersionStage, and RotateSecret,
// which drives the rotation Lambda through its four steps as the service does (the `rotate`
// callback invokes it). Staging labels behave as in AWS: moving AWSCURRENT labels the version
// it left AWSPREVIOUS; after a rotation's finishSecret, AWSPENDING is removed. ARNs end in the
// fixed LOCAL_SECRET_SUFFIX (infra/local/iam/arns.ts), so policies can name them.

/** One version of a secret: no value while a rotation has only announced it (AWSPENDING). */
interface LocalSecretVersion {
  value?: string;
  stages: string[];
  createdAt: string;
}

interface LocalSecret {
  name: string;
  description?: string;
  createdAt: string;
  rotationEnabled: boolean;
  versions: Record<string, LocalSecretVersion>;
}

/** What Secrets Manager sends the rotation Lambda at each step. */
export interface RotationStepEvent {
  SecretId: string;
  ClientRequestToken: string;
  Step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
}

export interface LocalSecretsManagerOptions {
  /** Account and region of the ARNs (the local cloud's). */
  scope: AwsScope;
  /** Where secrets are kept between runs (JSON); none keeps them in memory. */
  file?: string;
  port?: number;
  /** Invokes the secret's rotation Lambda with one step (RotateSecret); without it, RotateSecret is refused. */
  rotate?: (event: RotationStepEvent) => Promise<void>;
}

export interface LocalSecretsManager {
  /** The SDK endpoint (AWS_ENDPOINT_URL_SECRETS_MANAGER). */
  endpoint: string;
  /** The ARN a secret of that name has here. */
  arnOf(name: string): string;
  /** Every call served, in order (tests). */
  readonly calls: readonly { action: string; input: Record<string, unknown> }[];
  stop(): Promise<void>;
}

class SecretsManagerError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const PENDING = 'AWSPENDING';
const STEPS: RotationStepEvent['Step'][] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

/** Starts the loopback server; secrets in `file` (if any) are loaded first. */
export async function startLocalSecretsManager(options: LocalSecretsManagerOptions): Promise<LocalSecretsManager> {
  const secrets = new Map<string, LocalSecret>();
  if (options.file && existsSync(options.file)) {
    for (const secret of JSON.parse(readFileSync(options.file, 'utf8')) as LocalSecret[]) secrets.set(secret.name, secret);
  }
  const calls: { action: string; input: Record<string, unknown> }[] = [];
  const arnOf = (name: string) => secretArn(options.scope, name);
  const epoch = (iso: string) => Date.parse(iso) / 1000;

  const save = () => {
    if (!options.file) return;
    mkdirSync(dirname(options.file), { recursive: true });
    writeFileSync(`${options.file}.tmp`, JSON.stringify([...secrets.values()], null, 2));
    renameSync(`${options.file}.tmp`, options.file);
  };
  const notFound = () => new SecretsManagerError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  const secretOf = (input: Record<string, unknown>): LocalSecret => {
    const id = String(input.SecretId ?? '');
    const secret = secrets.get(secretNameOf(id));
    // A full ARN must be this secret's exactly (its suffix included), as in AWS.
    if (!secret || (id.startsWith('arn:') && id !== arnOf(secret.name) && id !== arnOf(secret.name).slice(0, -7))) {
      throw notFound();
    }
    return secret;
  };
  const versionWith = (secret: LocalSecret, stage: string) =>
    Object.entries(secret.versions).find(([, version]) => version.stages.includes(stage));
  /** Moves a label to a version (off any other); AWSCURRENT leaves AWSPREVIOUS behind. */
  const label = (secret: LocalSecret, stage: string, versionId: string) => {
    const from = versionWith(secret, stage);
    if (from?.[0] === versionId) return;
    if (from) from[1].stages = from[1].stages.filter((s) => s !== stage);
    secret.versions[versionId]!.stages.push(stage);
    if (stage === CURRENT && from) {
      for (const version of Object.values(secret.versions)) version.stages = version.stages.filter((s) => s !== PREVIOUS);
      from[1].stages.push(PREVIOUS);
    }
  };
  const unlabel = (secret: LocalSecret, stage: string, versionId: string) => {
    const version = secret.versions[versionId];
    if (!version) throw new SecretsManagerError('InvalidParameterException', `Version ${versionId} does not exist.`);
    version.stages = version.stages.filter((s) => s !== stage);
  };
  /** Versions without a label are deprecated; AWS drops them eventually, this drops them now. */
  const prune = (secret: LocalSecret) => {
    for (const [id, version] of Object.entries(secret.versions)) if (version.stages.length === 0) delete secret.versions[id];
  };

  const actions: Record<string, (input: Record<string, unknown>) => Promise<unknown> | unknown> = {
    CreateSecret(input) {
      const name = String(input.Name ?? '');
      if (!name) throw new SecretsManagerError('InvalidParameterException', 'Name is required.');
      if (secrets.has(name)) throw new SecretsManagerError('ResourceExistsException', `The secret ${name} already exists.`);
      const versionId = String(input.ClientRequestToken ?? randomUUID());
      const createdAt = new Date().toISOString();
      secrets.set(name, {
        name,
        ...(typeof input.Description === 'string' ? { description: input.Description } : {}),
        createdAt,
        rotationEnabled: false,
        versions:
          typeof input.SecretString === 'string'
            ? { [versionId]: { value: input.SecretString, stages: [CURRENT], createdAt } }
            : {},
      });
      return { ARN: arnOf(name), Name: name, ...(typeof input.SecretString === 'string' ? { VersionId: versionId } : {}) };
    },
    GetSecretValue(input) {
      const secret = secretOf(input);
      const stage = typeof input.VersionStage === 'string' ? input.VersionStage : undefined;
      const versionId = typeof input.VersionId === 'string' ? input.VersionId : undefined;
      const found = versionId ? ([versionId, secret.versions[versionId]] as const) : versionWith(secret, stage ?? CURRENT);
      const version = found?.[1];
      if (!found || !version || version.value === undefined || (stage && !version.stages.includes(stage))) {
        throw new SecretsManagerError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for ${versionId ? `VersionId: ${versionId}` : `staging label: ${stage ?? CURRENT}`}`,
        );
      }
      return {
        ARN: arnOf(secret.name),
        Name: secret.name,
        VersionId: found[0],
        SecretString: version.value,
        VersionStages: [...version.stages],
        CreatedDate: epoch(version.createdAt),
      };
    },
    PutSecretValue(input) {
      const secret = secretOf(input);
      if (typeof input.SecretString !== 'string') {
        throw new SecretsManagerError('InvalidParameterException', 'You must provide SecretString or SecretBinary.');
      }
      const versionId = String(input.ClientRequestToken ?? randomUUID());
      const stages = (input.VersionStages as string[] | undefined) ?? [CURRENT];
      const existing = secret.versions[versionId];
      if (existing?.value !== undefined) {
        // Idempotent with the same token and value; another value under a used token is refused.
        if (existing.value !== input.SecretString) {
          throw new SecretsManagerError(
            'ResourceExistsException',
            `A resource with the ID you requested already exists: version ${versionId}.`,
          );
        }
      } else {
        secret.versions[versionId] = {
          value: input.SecretString,
          stages: existing?.stages ?? [],
          createdAt: new Date().toISOString(),
        };
      }
      for (const stage of stages) label(secret, stage, versionId);
      prune(secret);
      return { ARN: arnOf(secret.name), Name: secret.name, VersionId: versionId, VersionStages: stages };
    },
    DescribeSecret(input) {
      const secret = secretOf(input);
      return {
        ARN: arnOf(secret.name),
        Name: secret.name,
        ...(secret.description ? { Description: secret.description } : {}),
        RotationEnabled: secret.rotationEnabled,
        CreatedDate: epoch(secret.createdAt),
        VersionIdsToStages: Object.fromEntries(Object.entries(secret.versions).map(([id, v]) => [id, [...v.stages]])),
      };
    },
    UpdateSecretVersionStage(input) {
      const secret = secretOf(input);
      const stage = String(input.VersionStage ?? '');
      const moveTo = typeof input.MoveToVersionId === 'string' ? input.MoveToVersionId : undefined;
      const removeFrom = typeof input.RemoveFromVersionId === 'string' ? input.RemoveFromVersionId : undefined;
      const holder = versionWith(secret, stage)?.[0];
      if (moveTo) {
        if (!secret.versions[moveTo])
          throw new SecretsManagerError('InvalidParameterException', `Version ${moveTo} does not exist.`);
        // AWS refuses to take a label off a version the caller did not name.
        if (holder && holder !== moveTo && holder !== removeFrom) {
          throw new SecretsManagerError(
            'InvalidParameterException',
            `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder}, so you must explicitly reference that version in RemoveFromVersionId.`,
          );
        }
        label(secret, stage, moveTo);
      } else if (removeFrom) {
        unlabel(secret, stage, removeFrom);
      }
      prune(secret);
      return { ARN: arnOf(secret.name), Name: secret.name };
    },
    async RotateSecret(input) {
      const secret = secretOf(input);
      if (!options.rotate) throw new SecretsManagerError('InvalidRequestException', 'No rotation Lambda is configured locally.');
      const pending = versionWith(secret, PENDING);
      if (pending && !pending[1].stages.includes(CURRENT)) {
        throw new SecretsManagerError(
          'InvalidRequestException',
          'A previous rotation isn’t complete. That rotation will be reattempted.',
        );
      }
      const token = String(input.ClientRequestToken ?? randomUUID());
      // The service announces the new version (AWSPENDING, no value) before the first step.
      if (pending) pending[1].stages = pending[1].stages.filter((s) => s !== PENDING);
      secret.versions[token] = { stages: [PENDING], createdAt: new Date().toISOString() };
      secret.rotationEnabled = true;
      save();
      for (const step of STEPS) await options.rotate({ SecretId: arnOf(secret.name), ClientRequestToken: token, Step: step });
      const version = secret.versions[token];
      if (version) version.stages = version.stages.filter((s) => s !== PENDING);
      prune(secret);
      return { ARN: arnOf(secret.name), Name: secret.name, VersionId: token };
    },
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target.replace(/^secretsmanager\./, '');
      void (async () => {
        try {
          const serve = actions[action];
          if (!target.startsWith('secretsmanager.') || !serve) {
            throw new SecretsManagerError('UnknownOperationException', `${target || 'this request'} is not served locally`);
          }
          const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
          calls.push({ action, input });
          const out = await serve(input);
          save();
          reply(200, out);
        } catch (error) {
          save();
          if (error instanceof SecretsManagerError) reply(400, { __type: error.type, message: error.message });
          else reply(500, { __type: 'InternalServiceError', message: (error as Error).message });
        }
      })();
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

/**
 * The secret, created with a random 64-character value unless it exists (a restart on kept
 * data finds the one it made, so the cursors it signed stay valid). Through the real client.
 */
export async function ensureLocalSecret(options: {
  endpoint: string;
  region: string;
  name: string;
  description?: string;
  /** The value if it is created (tests that sign cursors themselves); else a random one. */
  value?: string;
}): Promise<{ arn: string; created: boolean }> {
  const client = new SecretsManagerClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const found = await client.send(new DescribeSecretCommand({ SecretId: options.name }));
    client.destroy();
    return { arn: found.ARN!, created: false };
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  const made = await client.send(
    new CreateSecretCommand({
      Name: options.name,
      SecretString: options.value ?? randomBytes(48).toString('base64url'),
      ...(options.description ? { Description: options.description } : {}),
    }),
  );
  client.destroy();
  return { arn: made.ARN!, created: true };
}
