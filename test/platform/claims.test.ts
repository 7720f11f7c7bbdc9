import { describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '#shared/kernel/errors.ts';
import { principalFromClaims } from '#shared/platform/http/claims.ts';
import type { HttpEvent } from '#shared/platform/http/request.ts';

// What the handler reads of API Gateway's authorizer: Cognito claims, a personal access
// token's owner, or a refusal the Lambda authorizer let through so the API can answer 401.

const withLambda = (context: Record<string, string>) =>
  ({ requestContext: { authorizer: { lambda: context } } }) as unknown as Pick<HttpEvent, 'requestContext'>;

describe('principalFromClaims', () => {
  it("reads Cognito claims: the CRM user id and the highest group's role", () => {
    const principal = principalFromClaims(
      withLambda({ sub: 'cognito-sub', 'custom:user_id': 'U1', email: 'a@example.com', 'cognito:groups': '[user manager]' }),
    );
    expect(principal).toMatchObject({ user_id: 'U1', email: 'a@example.com', role: 'manager' });
  });

  it("reads a personal access token's owner, its role left to the user record", () => {
    expect(principalFromClaims(withLambda({ via: 'access_token', user_id: 'U2' }))).toMatchObject({
      user_id: 'U2',
      via: 'access_token',
    });
  });

  it('answers a refused token (marked by the authorizer) as unauthenticated, whatever else it carries', () => {
    expect(() => principalFromClaims(withLambda({ refused: 'jwt' }))).toThrow(UnauthenticatedError);
    expect(() => principalFromClaims(withLambda({ refused: 'access_token', user_id: 'U2', via: 'access_token' }))).toThrow(
      UnauthenticatedError,
    );
    expect(() => principalFromClaims(withLambda({}))).toThrow(UnauthenticatedError);
  });
});
