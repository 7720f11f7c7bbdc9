import type { EventBridgeEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { identityAdapters } from '#shared/identity/runtime.ts';
import { createUser } from '#shared/identity/use-cases.ts';
import { leadAdapters } from '#shared/leads/runtime.ts';
import { createLead, updateLead } from '#shared/leads/use-cases.ts';
import { callContext, type Call } from '#shared/kernel/ports.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { outboxByDay } from '#shared/platform/dynamodb/table.ts';
import { crmTable, runtimeClock, runtimeIds } from '#shared/platform/runtime.ts';
import { tagRegistry } from '#shared/sell-facade/runtime.ts';
import { registerRecordTags } from '#shared/sell-facade/use-cases.ts';
import { useTestTable } from '#test/helpers/table.ts';

// The tag-registry bus consumer as EventBridge calls it, over leads written natively (the
// leads use cases, as the native API and the web app write them) on DynamoDB Local: each new
// tag name registered once per resource type ignoring case, redeliveries registering nothing.

type Handler = (event: EventBridgeEvent<string, DomainEvent>) => Promise<unknown>;
let handler: Handler;
let rep: Principal;
const call = (): Call => callContext(rep, 'test', runtimeClock, runtimeIds);

beforeAll(async () => {
  await useTestTable();
  const system: Principal = { user_id: 'system', email: '', role: 'admin', direct_reports: [] };
  const user = await createUser(identityAdapters(), callContext(system, 'seed', runtimeClock, runtimeIds), {
    name: 'Tara Tagger',
    email: `tara-${newId()}@example.com`,
    role: 'user',
  });
  rep = { user_id: user.id, email: user.email, role: 'user', direct_reports: [] };
  ({ handler } = (await import('#functions/events/tag-registry.ts')) as { handler: Handler });
});

/** The event a lead's write put in the outbox (today's), by type. */
async function outboxEvent(type: string, leadId: string): Promise<DomainEvent> {
  const table = crmTable();
  let after: string | null = null;
  const found: DomainEvent[] = [];
  do {
    const chunk: Awaited<ReturnType<typeof table.chunk>> = await table.chunk(
      outboxByDay(new Date().toISOString().slice(0, 10)),
      after,
      100,
    );
    for (const item of chunk.items) {
      const event = JSON.parse(String(item.event)) as DomainEvent;
      if (event.metadata.event_type === type && event.metadata.resource_id === leadId) found.push(event);
    }
    after = chunk.next;
  } while (after !== null);
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** The envelope EventBridge hands the target: detail is the domain event, unchanged. */
const envelope = (event: DomainEvent): EventBridgeEvent<string, DomainEvent> => ({
  version: '0',
  id: newId(),
  'detail-type': event.metadata.event_type,
  source: 'crm',
  account: '123456789012',
  time: event.metadata.occurred_at,
  region: 'us-east-1',
  resources: [],
  detail: event,
});

const leadTags = async () =>
  (await tagRegistry().list()).filter((t) => t.resource_type === 'lead').map((t) => [t.name, t.creator_id]);

describe('tag-registry consumer', () => {
  it('registers the tags of a natively written lead once each, and nothing on redelivery', async () => {
    const lead = await createLead(leadAdapters(), call(), { last_name: 'Tagged', tags: ['VIP', 'vip', 'Q3'] });
    const created = await outboxEvent('lead.created', lead.id);
    expect(await handler(envelope(created))).toBe('processed');
    expect(await leadTags()).toEqual([
      ['VIP', rep.user_id],
      ['Q3', rep.user_id],
    ]);
    const vip = await tagRegistry().find('lead', 'vip');
    expect(vip?.created_at).toBe(created.metadata.occurred_at);
    // A redelivery (same event id; no delivery marker) finds the names claimed: a no-op.
    expect(await handler(envelope(created))).toBe('processed');
    expect(await registerRecordTags(tagRegistry(), created as never)).toEqual([]);
    expect(await leadTags()).toHaveLength(2);
    expect((await tagRegistry().find('lead', 'VIP'))?.id).toBe(vip?.id);
  });

  it('registers only the tags an update added; the creator of a system write is the record owner', async () => {
    const lead = await createLead(leadAdapters(), call(), { last_name: 'Later', tags: ['q3'] });
    await handler(envelope(await outboxEvent('lead.created', lead.id)));
    await tagRegistry().remove((await tagRegistry().find('lead', 'VIP'))!);
    await updateLead(leadAdapters(), call(), lead.id, { tags: ['q3', 'VIP', 'Gold'] });
    const updated = await outboxEvent('lead.updated', lead.id);
    const bySystem = { ...updated, metadata: { ...updated.metadata, event_id: newId(), actor_id: 'system' } };
    expect(await handler(envelope(bySystem))).toBe('processed');
    expect(await leadTags()).toEqual([
      ['Q3', rep.user_id],
      ['VIP', lead.owner_id],
      ['Gold', lead.owner_id],
    ]);
    // An update that leaves the tags alone registers none, even one deleted from the registry.
    await tagRegistry().remove((await tagRegistry().find('lead', 'Gold'))!);
    const untouched = { ...updated, metadata: { ...updated.metadata, event_id: newId() }, previous: { last_name: 'Later' } };
    expect(await registerRecordTags(tagRegistry(), untouched as never)).toEqual([]);
    expect(await tagRegistry().find('lead', 'Gold')).toBeUndefined();
  });
});
