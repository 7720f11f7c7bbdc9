import { UnauthenticatedError } from '#shared/kernel/errors.ts';
import { isRole, type Role } from '#shared/kernel/roles.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import type { HttpEvent } from './request.ts';

// API Gateway's JWT authorizer has verified the token before the Lambda runs; the local
// server does the same with aws-jwt-verify. Here we only read the claims it passed on.

const RANK: Record<Role, number> = { admin: 3, manager: 2, user: 1 };

/** Cognito groups arrive as an array, or (HTTP API) as a string like "[admin manager]". */
export function groupsOf(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.map(String);
  if (typeof claim !== 'string') return [];
  return claim
    .replace(/^\[|\]$/g, '')
    .split(/[\s,]+/)
    .filter(Boolean);
}

export function roleFromGroups(groups: string[]): Role {
  return groups.filter(isRole).reduce<Role>((best, g) => (RANK[g] > RANK[best] ? g : best), 'user');
}

/**
 * The caller's claims: those of API Gateway's JWT authorizer (`authorizer.jwt.claims`), or the
 * context of the API's Lambda authorizer (`authorizer.lambda`: the Cognito claims it verified,
 * or `user_id` and `via: "access_token"` for a personal access token).
 */
export function principalFromClaims(event: Pick<HttpEvent, 'requestContext'>): Principal {
  const authorizer = event.requestContext.authorizer as
    { jwt?: { claims?: Record<string, unknown> }; lambda?: Record<string, unknown> } | undefined;
  const claims = authorizer?.lambda ?? authorizer?.jwt?.claims;
  // The Lambda authorizer lets a refused token through marked so (functions/authorizers/api.ts).
  if (claims?.refused !== undefined) throw new UnauthenticatedError('The bearer token was refused');
  if (claims?.via === 'access_token') {
    if (typeof claims.user_id !== 'string' || claims.user_id === '')
      throw new UnauthenticatedError('A valid bearer token is required');
    // The role comes from the user record (resolvePrincipal): a token holds no claims of its own.
    return { user_id: claims.user_id, email: '', role: 'user', direct_reports: [], via: 'access_token' };
  }
  // The CRM user id travels as the Cognito attribute custom:user_id (set at invitation).
  const userId = claims?.['custom:user_id'] ?? claims?.sub;
  if (typeof userId !== 'string' || userId === '') throw new UnauthenticatedError('A valid bearer token is required');
  return {
    user_id: userId,
    email: typeof claims?.email === 'string' ? claims.email : '',
    role: roleFromGroups(groupsOf(claims?.['cognito:groups'])),
    direct_reports: [],
  };
}
