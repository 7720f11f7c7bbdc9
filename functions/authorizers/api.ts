import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { isAccessTokenShaped } from '#shared/access-tokens/domain.ts';
import { accessTokenAdapters } from '#shared/access-tokens/runtime.ts';
import { authenticateAccessToken } from '#shared/access-tokens/use-cases.ts';
import { logger } from '#shared/platform/observability.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';

// The HTTP API's Lambda authorizer (REQUEST, payload 2.0, simple responses): a bearer token is
// either a Cognito token (verified as the JWT authorizer did: issuer, client, expiry, signature)
// or a personal access token (64 hex characters; its SHA-256 looked up in the table). The
// context it returns is what `principalFromClaims` reads: the Cognito claims as strings, or
// `{via: "access_token", user_id}`. API Gateway caches an answer per Authorization header for
// API_AUTHORIZER_CACHE_SECONDS (infra/stateless-stack.ts), so a revoked token stops working
// within that time; the user record is still read on every call (disabled users at once).
//
// A refused token is let through with `{refused: <reason>}` and nothing else: an HTTP API
// authorizer's `isAuthorized: false` becomes a bare 403, and HTTP APIs cannot change gateway
// responses, so clients (the web app among them) could not tell "sign in again" from "not
// allowed". The handler answers 401 unauthenticated for it (principalFromClaims), as for any
// request without an identity; no route runs without one (public routes have no authorizer).

type Context = Record<string, string>;

let verifier: { verify(token: string): Promise<Record<string, unknown>> } | undefined;
function cognito() {
  verifier ??= CognitoJwtVerifier.create({
    userPoolId: requireEnv(RUNTIME_ENV.userPoolId),
    clientId: requireEnv(RUNTIME_ENV.userPoolClientId),
    // ID and access tokens, as the JWT authorizer accepted (aud or client_id).
    tokenUse: null,
  }) as unknown as { verify(token: string): Promise<Record<string, unknown>> };
  return verifier;
}

/** Cognito claims as API Gateway's JWT authorizer passed them: strings, arrays as "[a b]". */
function claimsContext(payload: Record<string, unknown>): Context {
  const out: Context = {};
  for (const [key, value] of Object.entries(payload)) out[key] = Array.isArray(value) ? `[${value.join(' ')}]` : String(value);
  // The access log names the caller by $context.authorizer.user_id, whichever the token.
  out.user_id = out['custom:user_id'] ?? out.sub ?? '';
  return out;
}

/** A refusal the handler answers with 401 (see above); `reason` goes to its log, not the caller. */
const refuse = (reason: string): APIGatewaySimpleAuthorizerWithContextResult<Context> => ({
  isAuthorized: true,
  context: { refused: reason },
});

export const handler = async (
  event: APIGatewayRequestAuthorizerEventV2,
): Promise<APIGatewaySimpleAuthorizerWithContextResult<Context>> => {
  const header = event.headers?.authorization ?? event.identitySource?.[0] ?? '';
  const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  if (!token) return refuse('not_bearer');
  if (isAccessTokenShaped(token)) {
    const owner = await authenticateAccessToken(accessTokenAdapters(), token, new Date());
    if (!owner) {
      logger.info('access token refused');
      return refuse('access_token');
    }
    return { isAuthorized: true, context: { via: 'access_token', user_id: owner.user_id, token_id: owner.token_id } };
  }
  // Outside the try: a missing variable is the function's failure, not the caller's refusal.
  const jwt = cognito();
  try {
    return { isAuthorized: true, context: claimsContext(await jwt.verify(token)) };
  } catch (error) {
    logger.info('bearer token refused', { reason: (error as Error).message });
    return refuse('jwt');
  }
};
