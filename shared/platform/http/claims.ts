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

export function principalFromClaims(event: Pick<HttpEvent, 'requestContext'>): Principal {
  const claims = event.requestContext.authorizer?.jwt?.claims;
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
