import { createHash, randomBytes } from 'node:crypto';
import { crmTable } from '#shared/platform/runtime.ts';
import { DynamoAccessTokenRepository } from './dynamodb.ts';
import type { TokenSecrets } from './ports.ts';
import type { AccessTokenDeps } from './use-cases.ts';

// Access tokens' wiring: built once per container (the identity function and the API authorizer).

/** 32 random bytes as hex; SHA-256 hex as the stored hash. */
export const nodeTokenSecrets: TokenSecrets = {
  generate: () => randomBytes(32).toString('hex'),
  hash: (secret) => createHash('sha256').update(secret, 'utf8').digest('hex'),
};

let deps: AccessTokenDeps | undefined;

export function accessTokenAdapters(): AccessTokenDeps {
  deps ??= { tokens: new DynamoAccessTokenRepository(crmTable()), secrets: nodeTokenSecrets };
  return deps;
}
