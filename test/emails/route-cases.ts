import type { DevUser } from '#infra/local/seed.ts';
import type { Email } from '#shared/emails/domain.ts';
import { DynamoEmailRepository } from '#shared/emails/dynamodb.ts';
import { newId } from '#shared/kernel/ids.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';

// E-mail is personal: a user files, reads and adds senders of their own mailbox only. The
// messages these rows act on are logged on no record, so nobody else sees them (404 for
// every other caller, whatever the role); sending and listing act on the caller's own mailbox.

/** A message `holder` sent to an address no lead or contact has. */
async function sentBy(f: Fixtures, holder: DevUser): Promise<string> {
  const res = await f.api('POST', '/emails', {
    token: holder.token,
    body: { to: [`matrix-${f.unique()}@exemple.example`], subject: 'Matrix', text: 'Matrix' },
  });
  if (res.status !== 201) throw new Error(`setup POST /emails failed: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { id: string }).id;
}

/** A message from an unknown address in `holder`'s unverified folder (inbound mail has no API yet: written as the inbound path will). */
export async function receivedBy(holder: DevUser, from: { address: string; name: string | null }): Promise<Email> {
  const id = newId();
  const now = new Date().toISOString();
  const email: Email = {
    id,
    owner_id: holder.user_id,
    direction: 'inbound',
    folder: 'unverified',
    archived: false,
    from,
    to: [{ address: holder.email, name: null }],
    cc: [],
    bcc: [],
    reply_to: null,
    subject: 'Hola',
    text: 'Hola, voldria un pressupost.',
    html: null,
    thread_id: id,
    message_id: `<${id.toLowerCase()}@mail.exemple.example>`,
    header_message_id: `<${id.toLowerCase()}@mail.exemple.example>`,
    provider_message_id: null,
    in_reply_to: null,
    references: [],
    records: [],
    status: 'received',
    opened_count: 0,
    first_opened_at: null,
    last_opened_at: null,
    click_count: 0,
    automated_count: 0,
    created_at: now,
    sent_at: null,
    updated_at: now,
    version: 1,
  };
  await new DynamoEmailRepository(crmTable()).create(email, null, []);
  return email;
}

export const emailCases: Record<string, RouteCase> = {
  sendEmail: {
    kind: 'unowned',
    call: async (f) => ({ path: '/emails', body: { to: [`matrix-${f.unique()}@exemple.example`], subject: 'Hi', text: 'Hi' } }),
  },
  listEmails: { kind: 'unowned', call: async () => ({ path: '/emails?folder=sent&limit=5' }) },
  getEmailForwardingAddress: { kind: 'unowned', call: async () => ({ path: '/emails/forwarding_address' }) },
  getEmail: { kind: 'personal', call: async (f, holder) => ({ path: `/emails/${await sentBy(f, holder)}` }) },
  archiveEmail: { kind: 'personal', call: async (f, holder) => ({ path: `/emails/${await sentBy(f, holder)}/archive` }) },
  unarchiveEmail: { kind: 'personal', call: async (f, holder) => ({ path: `/emails/${await sentBy(f, holder)}/unarchive` }) },
  deleteEmail: { kind: 'personal', call: async (f, holder) => ({ path: `/emails/${await sentBy(f, holder)}` }) },
  addEmailSender: {
    kind: 'personal',
    call: async (f, holder) => {
      const email = await receivedBy(holder, { address: `sender-${f.unique()}@exemple.example`, name: 'Núria Ferrer i Solà' });
      return { path: `/emails/${email.id}/add_sender`, body: { as: 'lead' } };
    },
  },
};
