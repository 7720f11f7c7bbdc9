import { ConflictError, ForbiddenError, NotFoundError } from '#shared/kernel/errors.ts';
import type { Call } from '#shared/kernel/ports.ts';
import {
  isAccessTokenShaped,
  MAX_TOKENS_PER_USER,
  type AccessToken,
  type CreateAccessTokenInput,
  type CreatedAccessToken,
  type StoredAccessToken,
} from './domain.ts';
import type { AccessTokenRepository, TokenOwner, TokenSecrets } from './ports.ts';

export interface AccessTokenDeps {
  readonly tokens: AccessTokenRepository;
  readonly secrets: TokenSecrets;
}

const view = ({ hash: _hash, ...token }: StoredAccessToken): AccessToken => token;

// A token may not mint or revoke tokens: a leaked one must not outlive its revocation by
// spawning others. Managing tokens takes a signed-in session (a Cognito token).
function refuseTokenSession(call: Call): void {
  if (call.principal.via === 'access_token') {
    throw new ForbiddenError('Personal access tokens are managed from a signed-in session, not with a token', {
      code: 'access_token.session_required',
    });
  }
}

/**
 * Creates a token for the caller: the answer holds the secret once; only its hash is kept.
 * ForbiddenError when called with a token; ConflictError past MAX_TOKENS_PER_USER.
 */
export async function createAccessToken(
  deps: AccessTokenDeps,
  call: Call,
  input: CreateAccessTokenInput,
): Promise<CreatedAccessToken> {
  refuseTokenSession(call);
  const held = await deps.tokens.listByUser(call.principal.user_id);
  if (held.length >= MAX_TOKENS_PER_USER) {
    throw new ConflictError(`You hold ${MAX_TOKENS_PER_USER} access tokens: revoke one first`, {
      code: 'access_token.too_many',
    });
  }
  const secret = deps.secrets.generate();
  const token: StoredAccessToken = {
    id: call.events.newId(),
    user_id: call.principal.user_id,
    name: input.name,
    prefix: secret.slice(0, 6),
    created_at: call.events.now.toISOString(),
    last_used_at: null,
    hash: deps.secrets.hash(secret),
  };
  await deps.tokens.create(token);
  return { ...view(token), token: secret };
}

/** The caller's own tokens (never another user's, whatever the role). */
export async function listAccessTokens(deps: AccessTokenDeps, call: Call): Promise<AccessToken[]> {
  return (await deps.tokens.listByUser(call.principal.user_id)).map(view);
}

/** Revokes one of the caller's tokens; another user's token is not found (404), as a missing one. */
export async function revokeAccessToken(deps: AccessTokenDeps, call: Call, id: string): Promise<void> {
  refuseTokenSession(call);
  const token = await deps.tokens.get(id);
  if (!token || token.user_id !== call.principal.user_id) throw new NotFoundError('access token', id);
  await deps.tokens.delete(token);
}

/**
 * The owner of a bearer secret, for the authorizer: undefined unless it is token-shaped and
 * live. Records the use (at most once a minute per token). One GetItem, and at most one
 * UpdateItem a minute.
 */
export async function authenticateAccessToken(deps: AccessTokenDeps, secret: string, now: Date): Promise<TokenOwner | undefined> {
  if (!isAccessTokenShaped(secret)) return undefined;
  const owner = await deps.tokens.findByHash(deps.secrets.hash(secret));
  if (!owner) return undefined;
  await deps.tokens.touch(owner.token_id, now);
  return owner;
}
