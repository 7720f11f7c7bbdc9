import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes personal access tokens answer with (docs/error-codes.md lists them all).

export const accessTokenErrorCodes = /* @__PURE__ */ defineErrorCodes('access-tokens', {
  'access_token.not_found': {
    status: 404,
    title: 'Access token not found',
    description: 'You hold no personal access token with this id (another user’s tokens are never shown).',
  },
  'access_token.session_required': {
    status: 403,
    title: 'Signed-in session required',
    description: 'Personal access tokens are created and revoked from a signed-in session, never with a token.',
  },
  'access_token.too_many': {
    status: 409,
    title: 'Too many access tokens',
    description: 'You hold the most personal access tokens allowed (20): revoke one first.',
  },
  'access_token.admin_route': {
    status: 403,
    title: 'Signed-in session required',
    description:
      'Admin-only routes need a signed-in session (with its second factor when the config requires it), not a personal access token.',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    'access-tokens': typeof accessTokenErrorCodes;
  }
}
