import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { EventBridgeEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#infra/config/load.ts';
import { contactAdapters } from '#shared/contacts/runtime.ts';
import { dealAdapters } from '#shared/deals/runtime.ts';
import { pipelineAdapters } from '#shared/pipelines/runtime.ts';
import { crmTable, runtimeClock, runtimeIds } from '#shared/platform/runtime.ts';
import { identityAdapters } from '#shared/identity/runtime.ts';
import { createContact, getContact } from '#shared/contacts/use-cases.ts';
import { associateContact, createDeal, updateDeal } from '#shared/deals/use-cases.ts';
import { callContext, type Call } from '#shared/kernel/ports.ts';
import { seedSalesDefaults } from '#shared/pipelines/sales-defaults.ts';
import { createUser } from '#shared/identity/use-cases.ts';
import type { ContactView } from '#shared/contacts/domain.ts';
import type { CreateDealInput } from '#shared/deals/domain.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { useTestTable } from '#test/helpers/table.ts';

// The contact-status bus consumer as EventBridge calls it, over the real deals, pipelines and
// contacts on DynamoDB Local: statuses recomputed from every deal of the contact. The runtime
// adapters read the environment when first called; the handler module, when imported.

type Handler = (event: EventBridgeEvent<string, DomainEvent>) => Promise<unknown>;
let handler: Handler;
let rep: Principal;
let stages: Record<string, string>;
let lossReasonId: string;
const call = (): Call => callContext(rep, 'test', runtimeClock, runtimeIds);

beforeAll(async () => {
  await useTestTable();
  const system: Principal = { user_id: 'system', email: '', role: 'admin', direct_reports: [] };
  const systemCall = callContext(system, 'seed', runtimeClock, runtimeIds);
  const user = await createUser(identityAdapters(), systemCall, {
    name: 'Rita Rep',
    email: `rita-${newId()}@example.com`,
    role: 'user',
  });
  rep = { user_id: user.id, email: user.email, role: 'user', direct_reports: [] };
  await seedSalesDefaults(pipelineAdapters(), systemCall, loadConfig());
  const pipeline = (await pipelineAdapters().pipelines.listPipelines({ limit: 1 })).items[0]!;
  const list = await pipelineAdapters().pipelines.ofPipeline(pipeline.id);
  stages = Object.fromEntries(list.map((s) => [s.category === 'active' ? `active${s.position}` : s.category, s.id]));
  lossReasonId = (await pipelineAdapters().namedLists.list('loss_reason', { limit: 1 })).items[0]!.id;
  ({ handler } = (await import('#functions/events/contact-status.ts')) as { handler: Handler });
});

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

const dealEvent = (type: string, data: object, previous?: object): DomainEvent => ({
  metadata: {
    event_id: newId(),
    event_type: type,
    event_version: 1,
    occurred_at: new Date().toISOString(),
    actor_id: rep.user_id,
    correlation_id: 'corr-1',
    resource_type: 'deal',
    resource_id: 'D',
  },
  data,
  ...(previous ? { previous } : {}),
});

const contact = async (id: string): Promise<ContactView> => getContact(contactAdapters(), call(), id);
const newContact = (last_name: string) => createContact(contactAdapters(), call(), { last_name });
const newDeal = (body: CreateDealInput) => createDeal(dealAdapters(), call(), body);

describe('contact-status consumer', () => {
  it('makes a contact with an open deal a current prospect, then a current customer once it is won', async () => {
    const c = await newContact('Prospect');
    const deal = await newDeal({ name: 'First', contact_id: c.id });
    await handler(envelope(dealEvent('deal.created', { ...deal })));
    expect(await contact(c.id)).toMatchObject({ prospect_status: 'current', customer_status: 'none', version: 2 });

    const won = await updateDeal(dealAdapters(), call(), deal.id, { stage_id: stages.won! });
    await handler(envelope(dealEvent('deal.stage_changed', { ...won }, { stage_id: deal.stage_id })));
    expect(await contact(c.id)).toMatchObject({ prospect_status: 'none', customer_status: 'current', version: 3 });

    // Another event about the same deal: same answer, no write.
    await handler(envelope(dealEvent('deal.stage_changed', { ...won }, { stage_id: deal.stage_id })));
    expect((await contact(c.id)).version).toBe(3);

    // The same event delivered again (EventBridge is at least once, or a redrive): skipped on its event_id.
    const created = dealEvent('deal.created', { ...deal });
    expect(await handler(envelope(created))).toBe('processed');
    expect(await handler(envelope(created))).toBe('duplicate');
    expect((await contact(c.id)).version).toBe(3);
  });

  it('counts associated deals, and writes contact.updated to the outbox with what changed', async () => {
    const c = await newContact('Associated');
    const other = await newContact('Primary');
    const deal = await newDeal({ name: 'Shared', contact_id: other.id, stage_id: stages.lost!, loss_reason_id: lossReasonId });
    await associateContact(dealAdapters(), call(), deal.id, { contact_id: c.id });
    await handler(envelope(dealEvent('deal.contact_associated', { deal_id: deal.id, contact_id: c.id, owner_id: rep.user_id })));
    expect(await contact(c.id)).toMatchObject({ prospect_status: 'lost', version: 2 });

    // A test may scan its own table: where the outbox item went is not a request path.
    const outbox = await crmTable().client.send(
      new ScanCommand({
        TableName: crmTable().name,
        FilterExpression: 'event_type = :t',
        ExpressionAttributeValues: { ':t': 'contact.updated' },
      }),
    );
    const events = (outbox.Items ?? []).map((i) => JSON.parse(String(i.event)) as DomainEvent);
    const mine = events.find((e) => e.metadata.resource_id === c.id);
    expect(mine).toMatchObject({
      metadata: { actor_id: 'system', correlation_id: 'corr-1' },
      data: { prospect_status: 'lost', version: 2 },
    });
    expect(mine!.previous).toEqual({ prospect_status: 'none' });
  });

  it('recomputes the contact a deal left, and keeps a past customer past', async () => {
    const from = await newContact('Left');
    const to = await createContact(contactAdapters(), call(), {
      last_name: 'Past',
      customer_status: 'past',
    });
    const deal = await newDeal({ name: 'Moving', contact_id: from.id, stage_id: stages.won! });
    await handler(envelope(dealEvent('deal.created', { ...deal })));
    expect((await contact(from.id)).customer_status).toBe('current');
    const moved = await updateDeal(dealAdapters(), call(), deal.id, { contact_id: to.id });
    await handler(envelope(dealEvent('deal.updated', { ...moved }, { contact_id: from.id })));
    expect(await contact(from.id)).toMatchObject({ customer_status: 'none', prospect_status: 'none' });
    expect(await contact(to.id)).toMatchObject({ customer_status: 'past', version: 1 });
  });
});
