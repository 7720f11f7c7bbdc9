import { describe, expect, it } from 'vitest';
import { activityOf, changesOwner, parentOf, parentStateOf, ACTIVITY_NAME_MAX, NO_OWNER } from '#shared/activities/domain.ts';
import { at, deal, event } from './events.ts';

// The mapping event → entry: pure, from the event alone.

describe('activityOf', () => {
  it('makes an "emailed" entry on the record an e-mail was logged on, named by its subject', () => {
    const e = event(
      'email.logged',
      { resource_type: 'email', resource_id: 'm1' },
      { id: 'm1', subject: 'Pressupost', direction: 'outbound', resource_type: 'contact', resource_id: 'c1' },
      { actor: 'rep', at: at(1) },
    );
    expect(activityOf(e)).toMatchObject({
      verb: 'emailed',
      record: { type: 'email', id: 'm1', name: 'Pressupost' },
      parent: { type: 'contact', id: 'c1' },
    });
    const inbound = event(
      'email.logged',
      { resource_type: 'email', resource_id: 'm2' },
      { subject: 'Re', direction: 'inbound', resource_type: 'lead', resource_id: 'l1' },
    );
    expect(activityOf(inbound)).toMatchObject({ verb: 'email_received', parent: { type: 'lead', id: 'l1' } });
    expect(parentOf(event('email.created', { resource_type: 'email', resource_id: 'm3' }, { subject: 'x' }))).toBeUndefined();
  });

  it('makes a "created" entry for a new deal, naming it as it was', () => {
    const e = event('deal.created', { resource_type: 'deal', resource_id: 'd1' }, deal('d1', 'rep', 1), {
      actor: 'rep',
      at: at(1),
    });
    expect(activityOf(e)).toEqual({
      id: e.metadata.event_id,
      event_id: e.metadata.event_id,
      event_type: 'deal.created',
      occurred_at: at(1),
      actor_id: 'rep',
      verb: 'created',
      record: { type: 'deal', id: 'd1', name: 'Deal d1' },
      parent: { type: 'deal', id: 'd1' },
      changes: [],
    });
  });

  it("makes a document's entry once its upload passed the check, under its record, named by its file", () => {
    const data = {
      id: 'doc1',
      resource_type: 'contact',
      resource_id: 'c1',
      filename: 'Quote.pdf',
      status: 'available',
      version: 2,
    };
    const available = event('document.available', { resource_type: 'document', resource_id: 'doc1' }, data);
    expect(activityOf(available)).toMatchObject({
      verb: 'created',
      record: { type: 'document', id: 'doc1', name: 'Quote.pdf' },
      parent: { type: 'contact', id: 'c1' },
    });
    // Pending or rejected uploads make none.
    expect(activityOf(event('document.created', { resource_type: 'document', resource_id: 'doc1' }, data))).toBeUndefined();
    expect(activityOf(event('document.rejected', { resource_type: 'document', resource_id: 'doc1' }, data))).toBeUndefined();
  });

  it('names a lead by person, else by organisation', () => {
    const person = event(
      'lead.created',
      { resource_type: 'lead', resource_id: 'l1' },
      { first_name: 'Ada', last_name: 'Lovelace', organization_name: 'X', owner_id: 'o', version: 1 },
    );
    const company = event(
      'lead.created',
      { resource_type: 'lead', resource_id: 'l2' },
      { first_name: null, last_name: null, organization_name: 'Acme', owner_id: 'o', version: 1 },
    );
    expect(activityOf(person)?.record.name).toBe('Ada Lovelace');
    expect(activityOf(company)?.record.name).toBe('Acme');
  });

  it('records a stage change, a lead status change and an owner change with from and to', () => {
    const stage = event(
      'deal.stage_changed',
      { resource_type: 'deal', resource_id: 'd1' },
      deal('d1', 'rep', 3, { stage_id: 's2' }),
      { previous: { stage_id: 's1' } },
    );
    expect(activityOf(stage)).toMatchObject({ verb: 'stage_changed', changes: [{ field: 'stage_id', from: 's1', to: 's2' }] });
    const status = event(
      'lead.status_changed',
      { resource_type: 'lead', resource_id: 'l1' },
      { last_name: 'L', status: 'working', owner_id: 'o', version: 2 },
      { previous: { status: 'new' } },
    );
    expect(activityOf(status)).toMatchObject({
      verb: 'status_changed',
      changes: [{ field: 'status', from: 'new', to: 'working' }],
    });
    const owner = event('deal.owner_changed', { resource_type: 'deal', resource_id: 'd1' }, deal('d1', 'b', 4), {
      previous: { owner_id: 'a' },
    });
    expect(activityOf(owner)).toMatchObject({ verb: 'owner_changed', changes: [{ field: 'owner_id', from: 'a', to: 'b' }] });
    expect(changesOwner(owner)).toBe(true);
    expect(changesOwner(stage)).toBe(false);
  });

  it('makes a status entry from a contact update only when a status changed', () => {
    const data = { name: 'C', owner_id: 'o', version: 2, prospect_status: 'current', customer_status: 'none' };
    const changed = event('contact.updated', { resource_type: 'contact', resource_id: 'c1' }, data, {
      previous: { prospect_status: 'none' },
    });
    expect(activityOf(changed)).toMatchObject({
      verb: 'status_changed',
      changes: [{ field: 'prospect_status', from: 'none', to: 'current' }],
    });
    const renamed = event('contact.updated', { resource_type: 'contact', resource_id: 'c1' }, data, { previous: { name: 'B' } });
    expect(activityOf(renamed)).toBeUndefined();
  });

  it('puts a note or task on its record, and a task on no record on itself', () => {
    const note = event(
      'note.created',
      { resource_type: 'note', resource_id: 'n1' },
      { content: 'x'.repeat(500), resource_type: 'deal', resource_id: 'd1' },
    );
    expect(activityOf(note)).toMatchObject({
      record: { type: 'note', id: 'n1', name: 'x'.repeat(ACTIVITY_NAME_MAX) },
      parent: { type: 'deal', id: 'd1' },
    });
    expect(parentStateOf(note)).toBeUndefined();
    const done = event(
      'task.completed',
      { resource_type: 'task', resource_id: 't1' },
      { content: 'Call', owner_id: 'o', version: 2, resource_type: 'lead', resource_id: 'l1' },
    );
    expect(activityOf(done)).toMatchObject({ verb: 'completed', parent: { type: 'lead', id: 'l1' } });
    const loose = event(
      'task.created',
      { resource_type: 'task', resource_id: 't2' },
      { content: 'Call', owner_id: 'o', version: 1, resource_type: null, resource_id: null },
    );
    expect(parentOf(loose)).toEqual({ type: 'task', id: 't2' });
    expect(parentStateOf(loose)).toEqual({ owner_id: 'o', version: 1 });
  });

  it('follows an appointment: created under its record (or itself), an owner change, nothing for other changes', () => {
    const linked = event(
      'appointment.created',
      { resource_type: 'appointment', resource_id: 'a1' },
      { name: 'Demo', owner_id: 'o', version: 1, resource_type: 'contact', resource_id: 'c1' },
    );
    expect(activityOf(linked)).toMatchObject({
      verb: 'created',
      record: { type: 'appointment', id: 'a1', name: 'Demo' },
      parent: { type: 'contact', id: 'c1' },
    });
    expect(parentStateOf(linked)).toBeUndefined();
    const loose = { name: 'Solo', owner_id: 'b', version: 2, resource_type: null, resource_id: null };
    const moved = event('appointment.updated', { resource_type: 'appointment', resource_id: 'a2' }, loose, {
      previous: { owner_id: 'a' },
    });
    expect(activityOf(moved)).toMatchObject({
      verb: 'owner_changed',
      parent: { type: 'appointment', id: 'a2' },
      changes: [{ field: 'owner_id', from: 'a', to: 'b' }],
    });
    expect(parentStateOf(moved)).toEqual({ owner_id: 'b', version: 2 });
    const renamed = event('appointment.updated', { resource_type: 'appointment', resource_id: 'a2' }, loose, {
      previous: { name: 'Old' },
    });
    expect(activityOf(renamed)).toBeUndefined();
    const gone = event('appointment.deleted', { resource_type: 'appointment', resource_id: 'a2' }, loose);
    expect(activityOf(gone)).toBeUndefined();
    expect(parentStateOf(gone)).toEqual({ owner_id: NO_OWNER, version: 3 });
  });

  it('gives a deleted record no owner, one version after its last', () => {
    const gone = event('deal.deleted', { resource_type: 'deal', resource_id: 'd1' }, deal('d1', 'rep', 7));
    expect(activityOf(gone)).toBeUndefined();
    expect(parentStateOf(gone)).toEqual({ owner_id: NO_OWNER, version: 8 });
  });

  it('makes a call or text an entry on its lead or contact (else its first deal), by direction; none while unmatched', () => {
    const call = (extra: Record<string, unknown>) => ({
      id: 'k1',
      summary: 'Asked for a quote' as string | null,
      phone_number: '+14155550100',
      incoming: false,
      missed: false,
      resource_type: 'contact' as string | null,
      resource_id: 'c1' as string | null,
      associated_deal_ids: ['d1'],
      ...extra,
    });
    const ref = { resource_type: 'call', resource_id: 'k1' };
    expect(activityOf(event('call.created', ref, call({}), { actor: 'rep', at: at(2) }))).toMatchObject({
      verb: 'called',
      record: { type: 'call', id: 'k1', name: 'Asked for a quote' },
      parent: { type: 'contact', id: 'c1' },
      actor_id: 'rep',
      changes: [],
    });
    expect(activityOf(event('call.created', ref, call({ incoming: true, summary: null })))).toMatchObject({
      verb: 'call_received',
      record: { name: '+14155550100' },
    });
    expect(activityOf(event('call.created', ref, call({ incoming: true, missed: true })))!.verb).toBe('call_missed');
    const onDeal = call({ resource_type: null, resource_id: null });
    expect(activityOf(event('call.created', ref, onDeal))!.parent).toEqual({ type: 'deal', id: 'd1' });
    const unmatched = call({ resource_type: null, resource_id: null, associated_deal_ids: [] });
    expect(activityOf(event('call.created', ref, unmatched))).toBeUndefined();
    // Linking an unmatched call makes its entry; other updates make none.
    const linked = event('call.updated', ref, call({ associated_deal_ids: [] }), {
      previous: { resource_type: null, resource_id: null },
    });
    expect(activityOf(linked)).toMatchObject({ verb: 'called', parent: { type: 'contact', id: 'c1' } });
    expect(activityOf(event('call.updated', ref, call({}), { previous: { summary: null } }))).toBeUndefined();
    expect(activityOf(event('call.updated', ref, call({}), { previous: { associated_deal_ids: [] } }))).toBeUndefined();
    const text = {
      id: 't1',
      content: 'On my way',
      incoming: true,
      resource_type: 'lead',
      resource_id: 'l1',
      associated_deal_ids: [],
    };
    expect(activityOf(event('text_message.created', { resource_type: 'text_message', resource_id: 't1' }, text))).toMatchObject({
      verb: 'text_received',
      record: { type: 'text_message', id: 't1', name: 'On my way' },
      parent: { type: 'lead', id: 'l1' },
    });
  });

  it('makes no entry for events the feed does not show', () => {
    expect(activityOf(event('deal.updated', { resource_type: 'deal', resource_id: 'd1' }, deal('d1', 'o', 2)))).toBeUndefined();
    expect(activityOf(event('pipeline.created', { resource_type: 'pipeline', resource_id: 'p' }, { id: 'p' }))).toBeUndefined();
    expect(activityOf(event('note.created', { resource_type: 'note', resource_id: 'n' }, { content: 'orphan' }))).toBeUndefined();
  });

  it('derives the same entry from the same event every time (no clock, no order)', () => {
    const e = event('deal.created', { resource_type: 'deal', resource_id: 'd9' }, deal('d9', 'rep', 1));
    expect(JSON.stringify(activityOf(e))).toBe(JSON.stringify(activityOf(structuredClone(e))));
  });
});
