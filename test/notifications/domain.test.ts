import { describe, expect, it } from 'vitest';
import { domainEvent } from '#shared/kernel/events.ts';
import {
  BUILT_IN_DEFAULTS,
  effectiveDefaults,
  GROUP_WINDOW_MS,
  groupedItem,
  groupIdOf,
  MAX_ITEM_RECORDS,
  notificationOf,
  notificationsOf,
  NOTIFICATION_KINDS,
  settingsOf,
  type NotificationDraft,
} from '#shared/notifications/domain.ts';
import { event } from '#test/activities/events.ts';

// Which events tell whom, and how drafts group into one inbox item.

const lead = (id: string, owner: string) => ({ id, first_name: 'Ada', last_name: 'Byron', owner_id: owner, version: 2 });
const ref = (type: string, id: string) => ({ resource_type: type, resource_id: id });

describe('notificationOf', () => {
  it('tells the new owner of a lead someone else gave them', () => {
    const draft = notificationOf(
      event('lead.owner_changed', ref('lead', 'L1'), lead('L1', 'rep1'), { actor: 'mgr', previous: { owner_id: 'mgr' } }),
    );
    expect(draft).toMatchObject({
      recipient_id: 'rep1',
      kind: 'lead_assigned',
      actor_id: 'mgr',
      record: { type: 'lead', id: 'L1', name: 'Ada Byron' },
    });
  });

  it("tells a provider's incoming call or text to the call's user, on the lead or contact it was logged on", () => {
    const call = {
      id: 'K1',
      user_id: 'rep1',
      phone_number: '+14155550100',
      incoming: true,
      source: 'twilio',
      resource_type: 'contact',
      resource_id: 'C1',
    };
    expect(notificationOf(event('call.created', ref('call', 'K1'), call, { actor: 'voice:twilio' }))).toMatchObject({
      recipient_id: 'rep1',
      kind: 'incoming_call',
      actor_id: 'voice:twilio',
      record: { type: 'contact', id: 'C1', name: '+14155550100' },
    });
    const text = { ...call, phone_number: undefined, resource_phone_number: '+14155550100', resource_type: 'lead' };
    expect(notificationOf(event('text_message.created', ref('text_message', 'T1'), text))).toMatchObject({
      kind: 'incoming_text',
      record: { type: 'lead', id: 'C1', name: '+14155550100' },
    });
    // Outgoing, logged by hand, or unmatched (no user, no record): nobody is told.
    for (const other of [
      { ...call, incoming: false },
      { ...call, source: 'manual' },
      { ...call, user_id: null, resource_type: null, resource_id: null },
    ]) {
      expect(notificationOf(event('call.created', ref('call', 'K1'), other))).toBeUndefined();
    }
  });

  it('tells the owner of a lead a capture form created as capture_form_lead, not lead_assigned', () => {
    expect(
      notificationOf(event('lead.created', ref('lead', 'L1'), lead('L1', 'rep1'), { actor: 'capture_form:F1' })),
    ).toMatchObject({ recipient_id: 'rep1', kind: 'capture_form_lead', actor_id: 'capture_form:F1', record: { id: 'L1' } });
    // Only the creation is the form's: a later change by an actor named so is an assignment as usual.
    expect(
      notificationOf(
        event('lead.owner_changed', ref('lead', 'L1'), lead('L1', 'rep1'), {
          actor: 'capture_form:F1',
          previous: { owner_id: 'rep2' },
        }),
      )?.kind,
    ).toBe('lead_assigned');
  });

  it('tells the owner of a record created for them by another user, for leads, deals and tasks', () => {
    expect(notificationOf(event('lead.created', ref('lead', 'L1'), lead('L1', 'rep1'), { actor: 'mgr' }))?.kind).toBe(
      'lead_assigned',
    );
    expect(
      notificationOf(event('deal.created', ref('deal', 'D1'), { id: 'D1', name: 'Big', owner_id: 'rep1' }, { actor: 'mgr' })),
    ).toMatchObject({ kind: 'deal_assigned', record: { type: 'deal', id: 'D1', name: 'Big' } });
    expect(
      notificationOf(event('task.assigned', ref('task', 'T1'), { content: 'Call', owner_id: 'rep1' }, { actor: 'mgr' })),
    ).toMatchObject({ kind: 'task_assigned', record: { type: 'task', id: 'T1', name: 'Call' } });
    expect(
      notificationOf(
        event('deal.owner_changed', ref('deal', 'D1'), { id: 'D1', name: 'Big', owner_id: 'rep2' }, { actor: 'mgr' }),
      )?.recipient_id,
    ).toBe('rep2');
  });

  it("tells a task's assignee its reminder came due, whoever set it", () => {
    const due = event('task.reminder_due', ref('task', 'T1'), { content: 'Call Ada', owner_id: 'rep1' }, { actor: 'system' });
    expect(notificationOf(due)).toMatchObject({
      recipient_id: 'rep1',
      kind: 'task_reminder',
      actor_id: 'system',
      record: { type: 'task', id: 'T1', name: 'Call Ada' },
    });
  });

  it('tells nobody of what they did themselves, nor of other events', () => {
    expect(notificationOf(event('lead.created', ref('lead', 'L1'), lead('L1', 'rep1'), { actor: 'rep1' }))).toBeUndefined();
    expect(notificationOf(event('lead.owner_changed', ref('lead', 'L1'), lead('L1', 'rep1'), { actor: 'rep1' }))).toBeUndefined();
    expect(notificationOf(event('lead.status_changed', ref('lead', 'L1'), lead('L1', 'rep1'), { actor: 'mgr' }))).toBeUndefined();
    expect(
      notificationOf(event('contact.created', ref('contact', 'C1'), { owner_id: 'rep1' }, { actor: 'mgr' })),
    ).toBeUndefined();
    expect(notificationOf(event('task.completed', ref('task', 'T1'), { owner_id: 'rep1' }, { actor: 'mgr' }))).toBeUndefined();
  });
});

describe('notificationsOf', () => {
  const appointment = {
    id: 'A1',
    name: 'Demo',
    owner_id: 'rep1',
    attendees: [
      { type: 'user', id: 'rep2', email: null, name: null, status: 'accepted' },
      { type: 'contact', id: 'C1', email: null, name: null, status: 'needs_action' },
      { type: 'user', id: 'rep1', email: null, name: null, status: 'needs_action' },
      { type: 'email', id: null, email: 'out@example.com', name: null, status: 'needs_action' },
    ],
  };

  it("tells an appointment's owner and each attending user (once each) its reminder came due", () => {
    const due = event('appointment.reminder_due', ref('appointment', 'A1'), appointment, { actor: 'system' });
    const drafts = notificationsOf(due);
    expect(drafts.map((d) => d.recipient_id)).toEqual(['rep1', 'rep2']);
    for (const d of drafts) {
      expect(d).toMatchObject({
        kind: 'appointment_reminder',
        actor_id: 'system',
        record: { type: 'appointment', id: 'A1', name: 'Demo' },
      });
    }
  });

  it('makes nothing of other appointment events, and what notificationOf makes of the others', () => {
    expect(notificationsOf(event('appointment.created', ref('appointment', 'A1'), appointment, { actor: 'mgr' }))).toEqual([]);
    const due = event('task.reminder_due', ref('task', 'T1'), { content: 'Call Ada', owner_id: 'rep1' }, { actor: 'system' });
    expect(notificationsOf(due)).toEqual([notificationOf(due)]);
  });
});

const draft = (n: number, at: string, extra: Partial<NotificationDraft> = {}): NotificationDraft => ({
  recipient_id: 'rep1',
  kind: 'lead_assigned',
  actor_id: 'mgr',
  event_id: `E${n}`,
  occurred_at: at,
  record: { type: 'lead', id: `L${n}`, name: `Lead ${n}` },
  ...extra,
});

describe('grouping', () => {
  it('puts events of one kind by one actor within a window in one item, whatever their order', () => {
    const base = Date.UTC(2031, 2, 4, 9, 0);
    const times = [0, 1, 5, 9].map((m) => new Date(base + m * 60_000).toISOString());
    expect(new Set(times.map((t) => groupIdOf(draft(1, t)))).size).toBe(1);
    expect(groupIdOf(draft(1, new Date(base + GROUP_WINDOW_MS).toISOString()))).not.toBe(groupIdOf(draft(1, times[0]!)));
    expect(groupIdOf(draft(1, times[0]!, { kind: 'deal_assigned' }))).not.toBe(groupIdOf(draft(1, times[0]!)));
    expect(groupIdOf(draft(1, times[0]!, { actor_id: 'boss' }))).not.toBe(groupIdOf(draft(1, times[0]!)));
    expect(groupIdOf(draft(1, times[0]!))).toMatch(/^\d{13}\.lead_assigned\.mgr$/);
  });

  it('counts each event, names the first records once and at most MAX_ITEM_RECORDS, and is unread again', () => {
    const at = (m: number) => new Date(Date.UTC(2031, 2, 4, 9, m)).toISOString();
    let item = groupedItem(undefined, draft(1, at(3)));
    item = { ...item, read_at: at(4) };
    item = groupedItem(item, draft(2, at(1)));
    expect(item).toMatchObject({ count: 2, first_at: at(1), last_at: at(1), read_at: null, archived_at: null });
    item = groupedItem(item, draft(3, at(5), { record: { type: 'lead', id: 'L1', name: 'Lead 1' } }));
    expect(item.records.map((r) => r.id)).toEqual(['L1', 'L2']);
    expect(item.last_at).toBe(at(5));
    for (let n = 10; n < 30; n++) item = groupedItem(item, draft(n, at(6)));
    expect(item.count).toBe(23);
    expect(item.records).toHaveLength(MAX_ITEM_RECORDS);
    expect(item.records.map((r) => r.id).slice(2)).toEqual(['L10', 'L11', 'L12', 'L13', 'L14', 'L15', 'L16', 'L17']);
  });
});

describe('settings', () => {
  it('lists every kind: the user choice, else the config default, else the built-in one; says which kinds have no producer', () => {
    const defaults = effectiveDefaults({ task_assigned: 'off' });
    const settings = settingsOf({ lead_assigned: 'email' }, defaults, { deal_assigned: true });
    expect(settings.map((s) => s.kind)).toEqual([...NOTIFICATION_KINDS]);
    expect(settings.find((s) => s.kind === 'lead_assigned')).toEqual({
      kind: 'lead_assigned',
      channel: 'email',
      is_default: false,
      produced: true,
      push: false,
    });
    expect(settings.find((s) => s.kind === 'deal_assigned')?.push).toBe(true);
    expect(settings.find((s) => s.kind === 'task_assigned')?.channel).toBe('off');
    expect(settings.find((s) => s.kind === 'deal_assigned')?.channel).toBe(BUILT_IN_DEFAULTS.deal_assigned);
    expect(settings.filter((s) => !s.produced).map((s) => s.kind)).toEqual([]);
  });

  it('tells the user who ran an import that it finished, whoever wrote the event', async () => {
    const event = domainEvent(
      {
        actor_id: 'system',
        correlation_id: 'c',
        now: new Date('2026-12-01T10:00:00Z'),
        newId: () => '01JIMPORTEVENT000000000000',
      },
      'import.finished',
      { resource_type: 'import', resource_id: '01JIMPORT00000000000000000' },
      { creator_id: 'U1', filename: 'leads.csv' },
    );
    expect(notificationOf(event)).toEqual({
      recipient_id: 'U1',
      kind: 'import_finished',
      actor_id: 'system',
      event_id: '01JIMPORTEVENT000000000000',
      occurred_at: '2026-12-01T10:00:00.000Z',
      record: { type: 'import', id: '01JIMPORT00000000000000000', name: 'leads.csv' },
    });
  });
});
