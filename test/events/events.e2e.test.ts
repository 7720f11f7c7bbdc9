import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createContactRoute, getContactRoute } from '#shared/contacts/routes.ts';
import { createDealRoute, updateDealRoute } from '#shared/deals/routes.ts';
import { eventSpecOf } from '#shared/events/domain.ts';
import { readEventStreamRoute } from '#shared/events/routes.ts';
import { encodePosition, type StreamItem } from '#shared/events/use-cases.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { consumedMarkerKey } from '#shared/platform/consumers/markers.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import { listPipelinesRoute, listStagesRoute } from '#shared/pipelines/routes.ts';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { busRule } from '#infra/rules.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';

// The event stream as a product on the whole local cloud: GET /events/stream for an admin (the
// real events of real requests, each valid against its catalogue schema, caused_by on the
// automation's), and a replay of the bus archive that reaches a read-model rule but not the
// contact-status consumer (its side effects), even once that consumer's markers are gone.

const readModel: BusEvent[] = [];
const recorder = busRule({
  name: 'test-read-model',
  description: 'records every event, replays included (a read model)',
  pattern: { source: ['crm'] },
  target: 'test-read-model',
  sideEffects: false,
});
const session = useTestCloud({
  functionSettings: { logLevel: 'ERROR', validateResponses: true, eventStreamSettleSeconds: 0 },
  extraRules: [{ name: recorder.name, pattern: recorder.pattern, target: async (e) => void readModel.push(e) }],
});
const { call, table } = session;
let won: string;

beforeAll(async () => {
  const pipelineId = bodyOf(await call(listPipelinesRoute, { as: 'admin' })).items[0]!.id;
  const stages = bodyOf(await call(listStagesRoute, { as: 'admin', query: { pipeline_id: pipelineId } })).items;
  won = stages.find((s) => s.category === 'won')!.id;
});

async function until<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Reads the whole stream (from the oldest kept event) as the admin. */
async function wholeStream(): Promise<StreamItem[]> {
  const items: StreamItem[] = [];
  let position: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = bodyOf(
      await call(readEventStreamRoute, { as: 'admin', query: { limit: 50, ...(position ? { position } : {}) } }),
    );
    items.push(...(page.items as StreamItem[]));
    if (page.items.length === 0) return items;
    position = page.next_position;
  }
  throw new Error('the stream did not end');
}

/** A contact with a deal that is then won; resolves once contact-status made it a customer. */
async function wonCustomer() {
  const contact = bodyOf(await call(createContactRoute, { as: 'rep1', body: { last_name: `Buyer ${Date.now()}` } }), 201);
  const deal = bodyOf(await call(createDealRoute, { as: 'rep1', body: { name: 'Big one', contact_id: contact.id } }), 201);
  await call(updateDealRoute, { as: 'rep1', params: { id: deal.id }, body: { stage_id: won } });
  const customer = await until('the contact to become a customer', async () => {
    const now = bodyOf(await call(getContactRoute, { as: 'admin', params: { id: contact.id } }));
    return now.customer_status === 'current' ? now : undefined;
  });
  return { contact: customer, deal };
}

describe('GET /events/stream', () => {
  it('gives an admin every event of real requests, each valid against its schema, and refuses the others', async () => {
    const { contact, deal } = await wonCustomer();
    const items = await until('the events in the stream', async () => {
      const all = await wholeStream();
      return all.some((i) => i.event_type === 'contact.updated' && i.resource_id === contact.id) ? all : undefined;
    });
    const mine = items.filter((i) => i.resource_id === contact.id || i.resource_id === deal.id);
    expect(mine.map((i) => i.event_type)).toEqual(
      expect.arrayContaining(['contact.created', 'deal.created', 'deal.stage_changed', 'contact.updated']),
    );
    expect(new Set(items.map((i) => i.event_id)).size).toBe(items.length);
    expect(items.map((i) => i.occurred_at)).toEqual([...items.map((i) => i.occurred_at)].sort());
    for (const item of items) {
      const spec = eventSpecOf(item.event_type, item.event_version);
      expect(spec, item.event_type).toBeDefined();
      expect(spec!.data.safeParse(item.data).success, item.event_type).toBe(true);
    }
    // The consumer's write names the deal event that caused it.
    const status = mine.find((i) => i.event_type === 'contact.updated' && i.actor_id === 'system')!;
    const causes = new Set(mine.filter((i) => i.resource_id === deal.id).map((i) => i.event_id));
    expect(status.caused_by).toMatchObject({ automation: 'contact-status', depth: 1 });
    expect(causes.has(status.caused_by!.event_id)).toBe(true);
    expect(status.caused_by!.root_event_id).toBe(status.caused_by!.event_id);

    for (const who of ['manager', 'rep1'] as const) {
      expect((await call(readEventStreamRoute, { as: who, query: {} })).status).toBe(403);
    }
    const old = encodePosition(new Date(Date.now() - 8 * 86_400_000).toISOString());
    const gone = await call(readEventStreamRoute, { as: 'admin', query: { position: old } });
    expect(gone.status).toBe(410);
    expect(gone.body).toMatchObject({ code: 'events.position_expired' });
  });
});

describe('the catalogue against real requests', () => {
  it('lets every event the families write reach the bus: the publisher finds each valid', async () => {
    const ok = async (method: string, path: string, body?: unknown, who: 'admin' | 'rep1' = 'admin') => {
      const answer = await session.api(method, path, { token: session.as(who), ...(body === undefined ? {} : { body }) });
      expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBeLessThan(300);
      return answer.body as { id: string; version: number; deal?: { id: string } };
    };
    const team = await ok('POST', '/teams', { name: `Team ${Date.now()}` });
    await ok('PATCH', `/teams/${team.id}`, { name: `Team renamed ${Date.now()}` });
    const user = await ok('POST', '/users', { name: 'Eve Events', email: `eve-${Date.now()}@example.com`, role: 'user' });
    await ok('PATCH', `/users/${user.id}`, { role: 'manager' });
    await ok('POST', `/users/${user.id}/disable`);
    await ok('PATCH', '/account', { name: 'Events Inc' });
    await ok('POST', '/custom_fields/leads', { name: `Budget ${Date.now()}`, type: 'number' });
    const lead = await ok('POST', '/leads', { last_name: 'Lead', organization_name: 'Org' }, 'rep1');
    await ok('PATCH', `/leads/${lead.id}`, { first_name: 'Lou' }, 'rep1');
    const converted = await ok('POST', `/leads/${lead.id}/convert`, { deal: { name: 'From lead' } }, 'rep1');
    const note = await ok('POST', '/notes', { content: 'x'.repeat(1200), resource_type: 'lead', resource_id: lead.id }, 'rep1');
    await ok('PATCH', `/notes/${note.id}`, { content: 'shorter' }, 'rep1');
    await ok('DELETE', `/notes/${note.id}`, undefined, 'rep1');
    const task = await ok('POST', '/tasks', { content: 'Call back', due_date: '2031-01-01T10:00:00Z' }, 'rep1');
    await ok('PATCH', `/tasks/${task.id}`, { completed: true }, 'rep1');
    await ok('DELETE', `/tasks/${task.id}`, undefined, 'rep1');
    await ok('DELETE', `/deals/${converted.deal!.id}`, undefined, 'rep1');
    await ok('DELETE', `/teams/${team.id}`);

    const stream = await wholeStream();
    const types = new Set(stream.map((i) => i.event_type));
    for (const type of ['team.updated', 'user.role_changed', 'user.disabled', 'account.updated', 'custom_field.created']) {
      expect(types, type).toContain(type);
    }
    for (const type of ['lead.converted', 'note.updated', 'note.deleted', 'task.completed', 'task.deleted', 'deal.deleted']) {
      expect(types, type).toContain(type);
    }
    // Every outbox event so far was published: none was refused by its schema.
    await until('every outbox event on the bus', async () => {
      await session.cloud.bus.idle();
      const onBus = new Set(readModel.map((e) => (e.detail as DomainEvent).metadata.event_id));
      const missing = stream.filter((i) => !onBus.has(i.event_id));
      return missing.length === 0 ? true : undefined;
    });
  });
});

describe('replaying the bus archive', () => {
  it('reaches read-model rules and not the contact-status consumer, whose markers have expired', async () => {
    const from = new Date(Date.now() - 1000);
    const { contact } = await wonCustomer();
    const to = new Date(Date.now() + 1000);
    await session.cloud.bus.idle();
    // A year later: contact-status's dedupe markers (kept a week) are gone, and someone set the
    // contact back by hand. A replayed deal event reaching contact-status would write it again.
    const original = readModel.filter((e) => !('replay-name' in e));
    for (const e of original) {
      const id = (e.detail as DomainEvent).metadata.event_id;
      await table().send(
        new DeleteCommand({ TableName: session.cloud.names.tableName, Key: consumedMarkerKey('contact-status', id) }),
      );
    }
    await table().send(
      new UpdateCommand({
        TableName: session.cloud.names.tableName,
        Key: recordKey('contact', contact.id),
        UpdateExpression: 'SET customer_status = :none',
        ExpressionAttributeValues: { ':none': 'none' },
      }),
    );
    const before = bodyOf(await call(getContactRoute, { as: 'admin', params: { id: contact.id } }));
    expect(before).toMatchObject({ customer_status: 'none', version: contact.version });

    readModel.length = 0;
    const report = await session.cloud.replay({ from, to });
    expect(report.events).toBeGreaterThanOrEqual(4);
    const replayedTypes = readModel.map((e) => e['detail-type']);
    expect(replayedTypes).toEqual(expect.arrayContaining(['deal.created', 'deal.stage_changed', 'contact.updated']));
    expect(readModel.every((e) => typeof (e as BusEvent & { 'replay-name'?: string })['replay-name'] === 'string')).toBe(true);
    await session.cloud.bus.idle();
    const after = bodyOf(await call(getContactRoute, { as: 'admin', params: { id: contact.id } }));
    expect(after).toMatchObject({ customer_status: 'none', version: contact.version });
  });
});
