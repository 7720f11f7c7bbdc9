import { expect, it } from 'vitest';
import { domainEvent } from '#shared/kernel/events.ts';
import { NOTIFICATION_EVENTS, notificationOf } from '#shared/notifications/domain.ts';
import { ACTIVITY_EVENTS, activityOf, parentStateOf } from '#shared/activities/domain.ts';
import { alertMail } from '#shared/notifications/email.ts';

// A Sell import's end tells the admin who started it, as a CSV import's does (import_finished),
// and puts an entry in their activity feed (verb imported; the import is its own parent).

const finished = () =>
  domainEvent(
    { actor_id: 'U1', correlation_id: 'c', now: new Date('2026-12-01T10:00:00Z'), newId: () => '01JSELLEVENT00000000000000' },
    'sell_import.finished',
    { resource_type: 'sell_import', resource_id: '01JSELLIMPORT0000000000000' },
    { creator_id: 'U1', owner_id: 'U1', status: 'finished', report: {}, version: 1 },
  );

it('tells the admin who started a Sell import that it finished', () => {
  const event = finished();
  const draft = notificationOf(event);
  expect(draft).toEqual({
    recipient_id: 'U1',
    kind: 'import_finished',
    actor_id: 'U1',
    event_id: '01JSELLEVENT00000000000000',
    occurred_at: '2026-12-01T10:00:00.000Z',
    record: { type: 'sell_import', id: '01JSELLIMPORT0000000000000', name: 'from Zendesk Sell' },
  });
  expect(NOTIFICATION_EVENTS).toContain('sell_import.finished');
  const mail = alertMail({
    kind: 'import_finished',
    actor_name: 'Ada Admin',
    count: 1,
    records: [draft!.record],
    at: '2026-12-01T10:00:00Z',
    recipient: { name: 'Ada Admin', time_zone: 'Europe/Madrid', time_format: '24h' },
    company: { name: 'Cellers' },
    app_url: 'https://crm.example.com',
  });
  expect(mail.subject).toBe('Your import from Zendesk Sell finished');
});

it('puts the finished import in the admin’s feed', () => {
  const event = finished();
  expect(ACTIVITY_EVENTS).toContain('sell_import.finished');
  expect(activityOf(event)).toMatchObject({
    verb: 'imported',
    record: { type: 'sell_import', id: '01JSELLIMPORT0000000000000', name: 'Zendesk Sell' },
    parent: { type: 'sell_import', id: '01JSELLIMPORT0000000000000' },
  });
  expect(parentStateOf(event)).toEqual({ owner_id: 'U1', version: 1 });
});
