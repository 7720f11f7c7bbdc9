import { expect, it } from 'vitest';
import { domainEvent } from '#shared/kernel/events.ts';
import { MAILBOX_NEEDS_RECONNECT_EVENT, MAILBOX_SYNCED_EVENT } from '#shared/mailboxes/domain.ts';
import { BUILT_IN_DEFAULTS, NOTIFICATION_EVENTS, notificationOf, PRODUCED_KINDS } from '#shared/notifications/domain.ts';
import { alertMail } from '#shared/notifications/email.ts';

// The first sync's notification (F9.6): mailbox.synced tells the mailbox's owner, by e-mail and
// in the inbox by default, the import-finished way.

it('tells the mailbox’s owner that its first sync finished, by e-mail and in the app by default', () => {
  const event = domainEvent(
    { actor_id: 'system', correlation_id: 'c', now: new Date('2026-12-01T10:00:00Z'), newId: () => '01JSYNCEVENT00000000000000' },
    MAILBOX_SYNCED_EVENT,
    { resource_type: 'mailbox', resource_id: '01JMAILBOX0000000000000000' },
    { owner_id: 'U1', host: 'imap.mail.example', username: 'rep1@mail.example', logged: 3 },
  );
  const draft = notificationOf(event);
  expect(draft).toEqual({
    recipient_id: 'U1',
    kind: 'mailbox_synced',
    actor_id: 'system',
    event_id: '01JSYNCEVENT00000000000000',
    occurred_at: '2026-12-01T10:00:00.000Z',
    record: { type: 'mailbox', id: '01JMAILBOX0000000000000000', name: 'rep1@mail.example (imap.mail.example)' },
  });
  expect(NOTIFICATION_EVENTS).toContain(MAILBOX_SYNCED_EVENT);
  expect(PRODUCED_KINDS).toContain('mailbox_synced');
  expect(BUILT_IN_DEFAULTS.mailbox_synced).toBe('both');
  const mail = alertMail({
    kind: 'mailbox_synced',
    actor_name: 'System',
    count: 1,
    records: [draft!.record],
    at: '2026-12-01T10:00:00Z',
    recipient: { name: 'Rep One', time_zone: 'Europe/Madrid', time_format: '24h' },
    company: { name: 'Cellers' },
    app_url: 'https://crm.example.com',
  });
  expect(mail.subject).toBe('Your mailbox rep1@mail.example (imap.mail.example) is synced');
});

it('tells the owner once that a mailbox must be connected again, linking to Settings → Mailboxes', () => {
  const event = domainEvent(
    { actor_id: 'system', correlation_id: 'c', now: new Date('2026-12-01T11:00:00Z'), newId: () => '01JRECONNECT00000000000000' },
    MAILBOX_NEEDS_RECONNECT_EVENT,
    { resource_type: 'mailbox', resource_id: '01JMAILBOX0000000000000000' },
    {
      owner_id: 'U1',
      host: 'imap.gmail.com',
      username: 'rep1@gmail.example',
      provider: 'google',
      reason: 'invalid_grant: connect the mailbox again',
    },
  );
  const draft = notificationOf(event);
  expect(draft).toMatchObject({
    recipient_id: 'U1',
    kind: 'mailbox_needs_reconnect',
    record: { type: 'mailbox', id: '01JMAILBOX0000000000000000', name: 'rep1@gmail.example (imap.gmail.com)' },
  });
  expect(NOTIFICATION_EVENTS).toContain(MAILBOX_NEEDS_RECONNECT_EVENT);
  expect(PRODUCED_KINDS).toContain('mailbox_needs_reconnect');
  expect(BUILT_IN_DEFAULTS.mailbox_needs_reconnect).toBe('both');
  const mail = alertMail({
    kind: 'mailbox_needs_reconnect',
    actor_name: 'System',
    count: 1,
    records: [draft!.record],
    at: '2026-12-01T11:00:00Z',
    recipient: { name: 'Rep One', time_zone: 'Europe/Madrid', time_format: '24h' },
    company: { name: 'Cellers' },
    app_url: 'https://crm.example.com',
  });
  expect(mail.subject).toBe('Connect your mailbox rep1@gmail.example (imap.gmail.com) again: the CRM no longer reads it');
  expect(mail.text).toContain('https://crm.example.com/settings?tab=mailboxes');
});
