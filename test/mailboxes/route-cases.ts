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
  deleteMailbox: {
    kind: 'personal',
    call: async (f, holder) => {
      const created = await f.api<{ id: string }>('POST', '/mailboxes', { token: holder.token, body: body(f) });
      return { path: `/mailboxes/${created.body.id}` };
    },
  },
};
