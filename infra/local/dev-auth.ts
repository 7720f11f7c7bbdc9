import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, type JsonWebKey } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import type { Role } from '#shared/kernel/roles.ts';

// Dev tokens shaped like Cognito ID tokens (same claims, RS256, a Cognito-style issuer),
// signed with a key kept in the data folder and verified with aws-jwt-verify's Cognito
// verifier, exactly as API Gateway's JWT authorizer checks the real ones.

export const LOCAL_USER_POOL_ID = 'us-east-1_crmLocal';
export const LOCAL_CLIENT_ID = 'crm-local-client';
export const LOCAL_ISSUER = `https://cognito-idp.us-east-1.amazonaws.com/${LOCAL_USER_POOL_ID}`;
const KID = 'crm-local-1';

export interface DevUserClaims {
  sub: string;
  email: string;
  role: Role;
}

export type DevVerifier = { verify(token: string): Promise<Record<string, unknown>> };

export class DevAuth {
  readonly #privateJwk: JsonWebKey;
  readonly #publicJwk: JsonWebKey;
  readonly verifier: DevVerifier;

  constructor(privateJwk: JsonWebKey) {
    this.#privateJwk = privateJwk;
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = privateJwk;
    this.#publicJwk = pub;
    const verifier = CognitoJwtVerifier.create({ userPoolId: LOCAL_USER_POOL_ID, tokenUse: 'id', clientId: LOCAL_CLIENT_ID });
    verifier.cacheJwks({ keys: [this.jwk() as unknown as Parameters<typeof verifier.cacheJwks>[0]['keys'][number]] });
    this.verifier = verifier as unknown as DevVerifier;
  }

  /** Loads the signing key from `file`, creating it on first use. */
  static fromFile(file: string): DevAuth {
    if (existsSync(file)) return new DevAuth(JSON.parse(readFileSync(file, 'utf8')) as JsonWebKey);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = privateKey.export({ format: 'jwk' });
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(jwk), { mode: 0o600 });
    return new DevAuth(jwk);
  }

  /** A throwaway key: tokens it signs must be refused by the real one. */
  static ephemeral(): DevAuth {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return new DevAuth(privateKey.export({ format: 'jwk' }));
  }

  jwk(): JsonWebKey & { kid: string; alg: string; use: string; kty: string } {
    const key = createPublicKey({ key: this.#publicJwk, format: 'jwk' }).export({ format: 'jwk' });
    return { ...key, kty: 'RSA', kid: KID, alg: 'RS256', use: 'sig' };
  }

  /** A Cognito-shaped ID token for a user; `overrides` lets tests forge expired or odd tokens. */
  token(user: DevUserClaims, options: { ttlSeconds?: number; overrides?: Record<string, unknown> } = {}): string {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: user.sub,
      'custom:user_id': user.sub,
      email: user.email,
      email_verified: true,
      'cognito:groups': [user.role],
      'cognito:username': user.sub,
      iss: LOCAL_ISSUER,
      aud: LOCAL_CLIENT_ID,
      token_use: 'id',
      auth_time: now,
      iat: now,
      exp: now + (options.ttlSeconds ?? 30 * 24 * 60 * 60),
      jti: randomUUID(),
      ...options.overrides,
    };
    const header = { kid: KID, alg: 'RS256' };
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${part(header)}.${part(claims)}`;
    const signature = sign('RSA-SHA256', Buffer.from(input), createPrivateKey({ key: this.#privateJwk, format: 'jwk' }));
    return `${input}.${signature.toString('base64url')}`;
  }
}
