import type { RouteCase } from '#test/helpers/route-case-types.ts';

// Personal access tokens: each user's own (another user's token is not found, whatever the role).

export const accessTokenCases: Record<string, RouteCase> = {
  createAccessToken: { kind: 'unowned', call: async (f) => ({ path: '/access_tokens', body: { name: `Matrix ${f.unique()}` } }) },
  listAccessTokens: { kind: 'unowned', call: async () => ({ path: '/access_tokens' }) },
  revokeAccessToken: {
    kind: 'personal',
    call: async (f, holder) => {
      const created = await f.api<{ id: string }>('POST', '/access_tokens', {
        token: holder.token,
        body: { name: `Matrix ${f.unique()}` },
      });
      return { path: `/access_tokens/${created.body.id}` };
    },
  },
};
