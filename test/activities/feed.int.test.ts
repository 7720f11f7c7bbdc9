import { beforeAll, describe, expect, it } from 'vitest';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoActivityStore, DynamoRecordStates, REKEY_PAGE } from '#shared/activities/dynamodb.ts';
import {
  listActivities,
  listRecordActivities,
  recentActivities,
  recordActivity,
  type ActivitiesDeps,
} from '#shared/activities/use-cases.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { NotFoundError, ValidationError } from '#shared/kernel/errors.ts';
import { ensureTable } from '#infra/local/dynamodb-local.ts';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import { DynamoRecordOwners } from '#shared/platform/dynamodb/record-owners.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { fakeCall, rejection } from '#test/helpers/fakes.ts';
import { CountingMeter, testDynamoEndpoint, testTableClient, useTestTable } from '#test/helpers/table.ts';
import { at, deal, event } from './events.ts';

// The feed on DynamoDB Local: idempotent on event_id, the same items whatever the delivery
// order (what a replay of the archive relies on), entries moved with their record's owner,
// and the request counts of the reads.

const meter = new CountingMeter();
let table: Table;
let deps: ActivitiesDeps;

const depsOf = (t: Table): ActivitiesDeps => ({
  store: new DynamoActivityStore(t),
  records: new DynamoRecordOwners(t),
  states: new DynamoRecordStates(t),
  teamMemberIds: async (teamId) => (teamId === 'team-a' ? ['rep1', 'rep2'] : []),
});

const principal = (user_id: string, role: 'admin' | 'manager' | 'user' = 'user', direct_reports: string[] = []) => ({
  user_id,
  email: `${user_id}@example.com`,
  role,
  direct_reports,
});
const rep1 = () => fakeCall(principal('rep1'));
const rep2 = () => fakeCall(principal('rep2'));
const manager = () => fakeCall(principal('mgr', 'manager', ['rep1', 'rep3']));
const admin = () => fakeCall(principal('boss', 'admin'));

async function dump(t: Table): Promise<string> {
  const out = await dynamoDocumentClient().send(new ScanCommand({ TableName: t.name, ConsistentRead: true }));
  const items = (out.Items ?? []).filter((i) => String(i.pk).startsWith('activity'));
  items.sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
  return JSON.stringify(items.map((i) => Object.fromEntries(Object.entries(i).sort(([a], [b]) => a.localeCompare(b)))));
}

async function putRecord(t: Table, type: 'lead' | 'contact' | 'deal', id: string, owner: string, version: number) {
  await dynamoDocumentClient().send(
    new PutCommand({ TableName: t.name, Item: { ...recordKey(type, id), kind: type, id, owner_id: owner, version } }),
  );
}

async function freshTable(): Promise<Table> {
  const t = testTableClient(`crm-feed-${Math.random().toString(16).slice(2, 10)}`);
  await ensureTable(testDynamoEndpoint(), t.name);
  return t;
}

const ids = (page: { items: { id: string }[] }) => page.items.map((i) => i.id);

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName, meter);
  deps = depsOf(table);
});

/** A deal's life: created by rep1, a note, a stage change, moved to rep2, a task done, moved to rep3. */
function dealStory(id: string): DomainEvent[] {
  const ref = { resource_type: 'deal', resource_id: id };
  return [
    event('deal.created', ref, deal(id, 'rep1', 1), { actor: 'rep1', at: at(1) }),
    event(
      'note.created',
      { resource_type: 'note', resource_id: `${id}-n` },
      { content: 'Called', resource_type: 'deal', resource_id: id },
      { actor: 'mgr', at: at(2) },
    ),
    event('deal.stage_changed', ref, deal(id, 'rep1', 2, { stage_id: 's2' }), {
      actor: 'rep1',
      at: at(3),
      previous: { stage_id: 'stage-1' },
    }),
    event('deal.owner_changed', ref, deal(id, 'rep2', 3, { stage_id: 's2' }), {
      actor: 'mgr',
      at: at(4),
      previous: { owner_id: 'rep1' },
    }),
    event(
      'task.completed',
      { resource_type: 'task', resource_id: `${id}-t` },
      { content: 'Send offer', owner_id: 'rep2', version: 2, resource_type: 'deal', resource_id: id },
      { actor: 'rep2', at: at(5) },
    ),
    event('deal.owner_changed', ref, deal(id, 'rep3', 4, { stage_id: 's2' }), {
      actor: 'mgr',
      at: at(6),
      previous: { owner_id: 'rep2' },
    }),
    event('deal.updated', ref, deal(id, 'rep3', 4, { stage_id: 's2' }), {
      actor: 'mgr',
      at: at(6),
      previous: { owner_id: 'rep2' },
    }),
  ];
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('writing the feed', () => {
  it('writes an entry once: a redelivered event writes nothing new', async () => {
    const created = event('deal.created', { resource_type: 'deal', resource_id: 'once' }, deal('once', 'rep1', 1), { at: at(1) });
    expect(await recordActivity(deps, created)).toMatchObject({ entry: 'written' });
    const before = await dump(table);
    expect(await recordActivity(deps, created)).toMatchObject({ entry: 'duplicate', moved: 0 });
    expect(await recordActivity(deps, structuredClone(created))).toMatchObject({ entry: 'duplicate' });
    expect(await dump(table)).toBe(before);
  });

  it('leaves byte-identical items whatever the delivery order, redeliveries included', async () => {
    const story = [...dealStory('ord'), ...dealStory('ord2')];
    const dumps: string[] = [];
    for (const seed of [0, 1, 2, 3]) {
      const t = await freshTable();
      // As in a replay: the records exist with their final state.
      await putRecord(t, 'deal', 'ord', 'rep3', 4);
      await putRecord(t, 'deal', 'ord2', 'rep3', 4);
      const order = seed === 0 ? story : shuffled([...story, ...story.slice(0, 3)], seed);
      for (const e of order) await recordActivity(depsOf(t), e);
      dumps.push(await dump(t));
    }
    expect(dumps[0]).toContain('"owner_id":"rep3"');
    expect(dumps[0]).not.toContain('activity#rep1');
    for (const d of dumps.slice(1)) expect(d).toBe(dumps[0]);
  });

  it('moves a record’s entries with its owner: listed under the new owner only', async () => {
    const story = dealStory('move');
    for (const e of story.slice(0, 3)) await recordActivity(deps, e);
    const own = await listActivities(deps, rep1(), { limit: 50 });
    expect(own.items.filter((a) => a.parent.id === 'move').map((a) => a.verb)).toEqual(['stage_changed', 'created', 'created']);

    const moved = await recordActivity(deps, story[3] as DomainEvent);
    expect(moved.moved).toBe(3);
    expect((await listActivities(deps, rep1(), { limit: 50 })).items.filter((a) => a.parent.id === 'move')).toEqual([]);
    const theirs = (await listActivities(deps, rep2(), { limit: 50 })).items.filter((a) => a.parent.id === 'move');
    expect(theirs.map((a) => a.verb)).toEqual(['owner_changed', 'stage_changed', 'created', 'created']);
    expect(theirs.every((a) => a.owner_id === 'rep2')).toBe(true);
  });

  it('takes a deleted record’s entries out of every owner’s feed (admins still list them)', async () => {
    const ref = { resource_type: 'deal', resource_id: 'gone' };
    await recordActivity(deps, event('deal.created', ref, deal('gone', 'rep1', 1), { at: at(1) }));
    await recordActivity(
      deps,
      event(
        'note.created',
        { resource_type: 'note', resource_id: 'gone-n' },
        { content: 'x', resource_type: 'deal', resource_id: 'gone' },
        { at: at(2) },
      ),
    );
    await recordActivity(deps, event('deal.deleted', ref, deal('gone', 'rep1', 1), { at: at(3) }));
    expect((await listActivities(deps, rep1(), { limit: 100 })).items.filter((a) => a.parent.id === 'gone')).toEqual([]);
    const all = (await listActivities(deps, admin(), { limit: 100 })).items.filter((a) => a.parent.id === 'gone');
    expect(all.map((a) => [a.verb, a.owner_id])).toEqual([
      ['created', null],
      ['created', null],
    ]);
    // A late event of the deleted record stays out too.
    await recordActivity(
      deps,
      event(
        'note.created',
        { resource_type: 'note', resource_id: 'gone-late' },
        { content: 'y', resource_type: 'deal', resource_id: 'gone' },
        { at: at(2) },
      ),
    );
    expect((await listActivities(deps, rep1(), { limit: 100 })).items.filter((a) => a.parent.id === 'gone')).toEqual([]);
  });

  it('moves a long timeline page by page', async () => {
    const ref = { resource_type: 'deal', resource_id: 'long' };
    await recordActivity(deps, event('deal.created', ref, deal('long', 'rep1', 1), { at: at(0) }));
    const notes = Array.from({ length: REKEY_PAGE * 2 + 10 }, (_, i) =>
      event(
        'note.created',
        { resource_type: 'note', resource_id: `long-${i}` },
        { content: `n${i}`, resource_type: 'deal', resource_id: 'long' },
        { at: at(1) },
      ),
    );
    for (let i = 0; i < notes.length; i += 20) await Promise.all(notes.slice(i, i + 20).map((e) => recordActivity(deps, e)));
    const change = event('deal.owner_changed', ref, deal('long', 'rep4', 2), { at: at(2), previous: { owner_id: 'rep1' } });
    expect((await recordActivity(deps, change)).moved).toBe(notes.length + 1);
    const timeline = await deps.store.timeline({ type: 'deal', id: 'long' }, { limit: 100 });
    expect(timeline.items.every((a) => a.owner_id === 'rep4')).toBe(true);
    expect((await listActivities(deps, fakeCall(principal('rep4')), { limit: 100, record_type: 'deal' })).items.length).toBe(2);
  });

  it('keeps every entry under the latest owner when owner changes race entry writes', async () => {
    const ref = { resource_type: 'deal', resource_id: 'race' };
    const owners = ['rep1', 'rep2', 'rep3', 'rep1', 'rep2'];
    const events: DomainEvent[] = owners.map((o, v) =>
      event(v === 0 ? 'deal.created' : 'deal.owner_changed', ref, deal('race', o, v + 1), {
        at: at(v),
        ...(v ? { previous: { owner_id: owners[v - 1] } } : {}),
      }),
    );
    const notes = Array.from({ length: 30 }, (_, i) =>
      event(
        'note.created',
        { resource_type: 'note', resource_id: `race-${i}` },
        { content: 'x', resource_type: 'deal', resource_id: 'race' },
        { at: at(10) },
      ),
    );
    await putRecord(table, 'deal', 'race', 'rep2', 5);
    await Promise.all(shuffled([...events, ...notes], 7).map((e) => recordActivity(deps, e)));
    const timeline = await deps.store.timeline({ type: 'deal', id: 'race' }, { limit: 100 });
    expect(timeline.items).toHaveLength(35);
    expect(new Set(timeline.items.map((a) => a.owner_id))).toEqual(new Set(['rep2']));
  });
});

describe('reading the feed', () => {
  beforeAll(async () => {
    const lead = { resource_type: 'lead', resource_id: 'lead-r' };
    await putRecord(table, 'lead', 'lead-r', 'rep1', 2);
    await recordActivity(
      deps,
      event(
        'lead.created',
        lead,
        { last_name: 'Read', status: 'new', owner_id: 'rep1', version: 1 },
        { actor: 'rep1', at: '2031-01-10T10:00:00.000Z' },
      ),
    );
    await recordActivity(
      deps,
      event(
        'lead.status_changed',
        lead,
        { last_name: 'Read', status: 'working', owner_id: 'rep1', version: 2 },
        { actor: 'rep1', at: '2031-01-11T10:00:00.000Z', previous: { status: 'new' } },
      ),
    );
    await recordActivity(
      deps,
      event(
        'task.created',
        { resource_type: 'task', resource_id: 'solo' },
        { content: 'Own task', owner_id: 'rep3', version: 1, resource_type: null, resource_id: null },
        { actor: 'rep3', at: '2031-01-12T10:00:00.000Z' },
      ),
    );
  });

  it('shows a rep their records, a manager their team’s, an admin all', async () => {
    const rep = await listActivities(deps, rep1(), { limit: 100 });
    expect(rep.items.every((a) => a.owner_id === 'rep1')).toBe(true);
    expect(rep.items.some((a) => a.record.id === 'lead-r')).toBe(true);
    const other = await listActivities(deps, fakeCall(principal('rep5')), { limit: 100 });
    expect(other.items).toEqual([]);
    const mgr = await listActivities(deps, manager(), { limit: 100 });
    expect(new Set(mgr.items.map((a) => a.owner_id))).toEqual(new Set(['rep1', 'rep3']));
    const all = await listActivities(deps, admin(), { limit: 100 });
    expect(all.items.length).toBeGreaterThan(mgr.items.length);
    const times = all.items.map((a) => `${a.occurred_at}#${a.event_id}`);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('filters by kind, record type, user, team and time, and pages with a cursor', async () => {
    const status = await listActivities(deps, admin(), { limit: 100, kind: 'status_changed' });
    expect(status.items.map((a) => a.record.id)).toEqual(['lead-r']);
    const tasks = await listActivities(deps, admin(), { limit: 100, record_type: 'task' });
    expect(tasks.items.map((a) => a.record.id)).toContain('solo');
    expect(tasks.items.every((a) => a.record.type === 'task')).toBe(true);
    const january = await listActivities(deps, admin(), {
      limit: 100,
      from: '2031-01-10T00:00:00Z',
      to: '2031-01-11T23:59:59+00:00',
    });
    expect(january.items.map((a) => a.verb)).toEqual(['status_changed', 'created']);
    expect((await listActivities(deps, manager(), { limit: 100, user_id: 'rep2' })).items).toEqual([]);
    const team = await listActivities(deps, admin(), { limit: 100, team_id: 'team-a' });
    expect(new Set(team.items.map((a) => a.owner_id))).toEqual(new Set(['rep1', 'rep2']));

    const reversed = await rejection(
      listActivities(deps, admin(), { limit: 5, from: '2031-01-12T00:00:00Z', to: '2031-01-11T00:00:00Z' }),
    );
    expect(reversed).toBeInstanceOf(ValidationError);
    expect((reversed as ValidationError).problems.map((p) => p.field)).toEqual(['query.from']);

    const first = await listActivities(deps, admin(), { limit: 2 });
    const second = await listActivities(deps, admin(), { limit: 2, cursor: first.next_cursor ?? undefined });
    const both = await listActivities(deps, admin(), { limit: 4 });
    expect([...ids(first), ...ids(second)]).toEqual(ids(both));
  });

  it('serves a record’s timeline to those who see it, "not found" alike to others', async () => {
    const timeline = await listRecordActivities(deps, manager(), { resource_type: 'lead', resource_id: 'lead-r' }, { limit: 10 });
    expect(timeline.items.map((a) => a.verb)).toEqual(['status_changed', 'created']);
    expect(
      await rejection(listRecordActivities(deps, rep2(), { resource_type: 'lead', resource_id: 'lead-r' }, { limit: 10 })),
    ).toBeInstanceOf(NotFoundError);
    expect(
      await rejection(listRecordActivities(deps, admin(), { resource_type: 'lead', resource_id: 'nope' }, { limit: 10 })),
    ).toBeInstanceOf(NotFoundError);
  });

  it('puts a call logged on a contact on its timeline and in its owner’s feed, and a linked unmatched call once linked', async () => {
    const contact = { resource_type: 'contact', resource_id: 'contact-call' };
    await putRecord(table, 'contact', 'contact-call', 'rep1', 1);
    await recordActivity(
      deps,
      event('contact.created', contact, { name: 'Caller', owner_id: 'rep1', version: 1 }, { actor: 'rep1', at: at(30) }),
    );
    const call = {
      id: 'call-1',
      user_id: 'rep2',
      phone_number: '+14155550100',
      summary: 'Wants a demo',
      incoming: true,
      missed: false,
      resource_type: 'contact' as string | null,
      resource_id: 'contact-call' as string | null,
      associated_deal_ids: [],
    };
    await recordActivity(
      deps,
      event('call.created', { resource_type: 'call', resource_id: 'call-1' }, call, { actor: 'rep2', at: at(31) }),
    );
    const unmatched = { ...call, id: 'call-2', summary: 'Unknown number', resource_type: null, resource_id: null };
    const ref2 = { resource_type: 'call', resource_id: 'call-2' };
    await recordActivity(deps, event('call.created', ref2, unmatched, { actor: 'voice:twilio', at: at(32) }));
    await recordActivity(
      deps,
      event(
        'call.updated',
        ref2,
        { ...unmatched, resource_type: 'contact' as string | null, resource_id: 'contact-call' as string | null },
        {
          actor: 'boss',
          at: at(33),
          previous: { resource_type: null, resource_id: null },
        },
      ),
    );
    const timeline = await listRecordActivities(deps, rep1(), contact as { resource_type: 'contact'; resource_id: string }, {
      limit: 10,
    });
    expect(timeline.items.map((a) => [a.verb, a.record.type, a.record.name])).toEqual([
      ['call_received', 'call', 'Unknown number'],
      ['call_received', 'call', 'Wants a demo'],
      ['created', 'contact', 'Caller'],
    ]);
    const calls = await listActivities(deps, rep1(), { limit: 10, record_type: 'call' });
    expect(calls.items.map((a) => [a.record.id, a.owner_id])).toEqual([
      ['call-2', 'rep1'],
      ['call-1', 'rep1'],
    ]);
    expect((await listActivities(deps, rep2(), { limit: 10, record_type: 'call' })).items).toEqual([]);
  });

  it('costs one Query for a rep’s and an admin’s latest activity, one per owner for a manager', async () => {
    meter.reset();
    await recentActivities(deps, principal('rep1'), { limit: 10 });
    expect(meter.calls.map((c) => c.operation)).toEqual(['Query']);
    meter.reset();
    await recentActivities(deps, principal('boss', 'admin'), { limit: 10 });
    expect(meter.calls.map((c) => c.operation)).toEqual(['Query']);
    meter.reset();
    await recentActivities(deps, principal('mgr', 'manager', ['rep1', 'rep3']), { limit: 10 });
    expect(meter.calls.map((c) => c.operation)).toEqual(['Query', 'Query', 'Query']);
  });
});
