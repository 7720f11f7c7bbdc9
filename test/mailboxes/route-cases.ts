import type { RouteCase } from '#test/helpers/route-case-types.ts';

// Connected mailboxes: each user's own (another user's mailbox is not found, whatever the role).
// Nothing polls during the matrix: the servers named here are never contacted.

const body = (f: { unique: () => string }) => ({
  host: 'imap.exemple.example',
  port: 993,
  tls: true,
  username: `matrix-${f.unique()}@exemple.example`,
  password: 'matrix-password',
});

export const mailboxCases: Record<string, RouteCase> = {
  connectMailbox: { kind: 'unowned', call: async (f) => ({ path: '/mailboxes', body: body(f) }) },
  listMailboxes: { kind: 'unowned', call: async () => ({ path: '/mailboxes' }) },
  // The local cloud's config has no mailbox_oauth provider (its token endpoint would be Google's):
  // every role reaches the use case, which refuses the provider; test/mailboxes/oauth.int.test.ts
  // runs the whole flow against a loopback provider.
  startMailboxOAuth: {
    kind: 'unowned',
    status: 422,
    call: async () => ({ path: '/mailboxes/oauth/start', body: { provider: 'google' } }),
  },
  // No flow was started (none can be, see above): the state is refused, as another user's would be.
  finishMailboxOAuth: {
    kind: 'unowned',
    status: 422,
    call: async (f) => ({ path: '/mailboxes/oauth/callback', body: { code: 'matrix-code', state: `matrix-${f.unique()}` } }),
  },
  deleteMailbox: {
    kind: 'personal',
    call: async (f, holder) => {
      const created = await f.api<{ id: string }>('POST', '/mailboxes', { token: holder.token, body: body(f) });
      return { path: `/mailboxes/${created.body.id}` };
    },
  },
};
