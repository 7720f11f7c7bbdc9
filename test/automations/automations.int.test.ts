import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#infra/config/load.ts';
import { configuredActions, type Automation, type ConfiguredAction } from '#shared/automations/domain.ts';
import { automationAdapters } from '#shared/automations/runtime.ts';
import { effectIds, listAutomations, runAutomation, type AutomationInput } from '#shared/automations/use-cases.ts';
import { DynamoAutomationRunStore } from '#shared/automations/dynamodb.ts';
import { customFieldAdapters } from '#shared/custom-fields/runtime.ts';
import { createCustomField } from '#shared/custom-fields/use-cases.ts';
import type { Deal } from '#shared/deals/domain.ts';
import { dealAdapters } from '#shared/deals/runtime.ts';
import { createDeal, getDeal } from '#shared/deals/use-cases.ts';
import { identityAdapters } from '#shared/identity/runtime.ts';
import { leadAdapters } from '#shared/leads/runtime.ts';
import { createLead, getLead } from '#shared/leads/use-cases.ts';
import { createUser } from '#shared/identity/use-cases.ts';
import { domainEvent, type CausedBy, type DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { callContext, type Call } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { pipelineAdapters } from '#shared/pipelines/runtime.ts';
import { seedSalesDefaults } from '#shared/pipelines/sales-defaults.ts';
import { crmTable, runtimeClock, runtimeIds } from '#shared/platform/runtime.ts';
import { outboxKey } from '#shared/platform/dynamodb/table.ts';
import { taskAdapters } from '#shared/tasks/runtime.ts';
import { deleteTask } from '#shared/tasks/use-cases.ts';
import { useTestTable } from '#test/helpers/table.ts';

// The automations function over the real families on DynamoDB Local: one effect per (event,
// action) when the same event comes twice (one after the other, at once, after a delete),
// caused_by on what it writes, no self-trigger, chains stopped, a field set to its value
// emitting nothing, and the runs GET /automations lists.

type Handler = (input: unknown) => Promise<unknown>;
let handler: Handler;
let rep: Principal;
let managerId: string;
let quoteStageId: string;
const SYSTEM: Principal = { user_id: 'system', email: '', role: 'admin', direct_reports: [] };
const system = (): Call => callContext(SYSTEM, 'seed', runtimeClock, runtimeIds);
const asRep = (): Call => callContext(rep, 'test', runtimeClock, runtimeIds);

beforeAll(async () => {
  await useTestTable({ as: 'automated-actions' });
  const manager = await createUser(identityAdapters(), system(), {
    name: 'Mona Manager',
    email: `mona-${newId()}@example.com`,
    role: 'manager',
  });
  managerId = manager.id;
  const user = await createUser(identityAdapters(), system(), {
    name: 'Rita Rep',
    email: `rita-${newId()}@example.com`,
    role: 'user',
    reports_to: manager.id,
  });
  rep = { user_id: user.id, email: user.email, role: 'user', direct_reports: [] };
  await seedSalesDefaults(pipelineAdapters(), system(), loadConfig());
  const pipeline = (await pipelineAdapters().pipelines.listPipelines({ limit: 1 })).items[0]!;
  const stages = await pipelineAdapters().pipelines.ofPipeline(pipeline.id);
  quoteStageId = stages.find((s) => s.key === 'quote')!.id;
  await createCustomField(customFieldAdapters(), system(), 'deal', { name: 'Quoted', type: 'bool' });
  await createCustomField(customFieldAdapters(), system(), 'lead', { name: 'Origin', type: 'string' });
  ({ handler } = (await import('#functions/events/automated-actions.ts')) as { handler: Handler });
});

function action(automation: Record<string, unknown>, index = 0): ConfiguredAction {
  return configuredActions([{ filters: [], ...automation } as unknown as Automation])[index]!;
}

const QUOTE = {
  name: 'quote-follow-up',
  trigger: { event: 'deal.stage_changed', stage: 'quote' },
  actions: [
    { type: 'create_task', content: 'Send the quote', assignee: 'owner', due_in: '2d' },
    { type: 'create_task', content: 'Check the quote', assignee: 'owner_manager', due_in: '3h' },
    { type: 'set_field', field: 'Quoted', value: true },
  ],
};

async function dealInQuote(): Promise<Deal> {
  return (await createDeal(dealAdapters(), asRep(), { name: `Deal ${newId()}`, stage_id: quoteStageId })) as Deal;
}

/** The deal.stage_changed event of a deal now in Quote (as the deals use-case writes it). */
function movedToQuote(deal: Deal, caused_by?: CausedBy): DomainEvent {
  const ctx = { ...asRep().events, ...(caused_by ? { caused_by } : {}) };
  return domainEvent(ctx, 'deal.stage_changed', { resource_type: 'deal', resource_id: deal.id }, deal);
}

const tasksOf = async (deal: Deal) =>
  (await taskAdapters().tasks.tasksOf({ resource_type: 'deal', resource_id: deal.id }, 20)).items;

describe('automations function', () => {
  it('deals carry their stage and pipeline keys', async () => {
    const deal = await dealInQuote();
    expect(deal.stage_key).toBe('quote');
    expect(deal.pipeline_key).toBe('sales-pipeline');
  });

  it('creates one task when the same event comes twice, one after the other and at once', async () => {
    const deal = await dealInQuote();
    const input = { action: action(QUOTE), event: movedToQuote(deal) };
    await handler(input);
    await handler(input);
    await Promise.all([handler(input), handler(input)]);
    const tasks = await tasksOf(deal);
    expect(tasks).toHaveLength(1);
    const runs = (await new DynamoAutomationRunStore(crmTable()).runsOf(['quote-follow-up-1'])).get('quote-follow-up-1')!;
    expect(runs).toMatchObject({ runs: 4, failures: 0, last_failure: null });
    expect(tasks[0]).toMatchObject({ content: 'Send the quote', owner_id: rep.user_id, creator_id: 'system' });
    // Due two days after the event, in the account's time zone (Etc/UTC in the shipped config).
    expect(Date.parse(tasks[0]!.due_date!) - Date.parse(input.event.metadata.occurred_at)).toBe(2 * 24 * 3600 * 1000);
  });

  it("counts a due offset's days in the assignee's own time zone, across a DST change", async () => {
    const paris = await createUser(identityAdapters(), system(), {
      name: 'Pia Paris',
      email: `pia-${newId()}@example.com`,
      role: 'user',
      time_zone: 'Europe/Paris',
    });
    const deal = (await createDeal(dealAdapters(), system(), {
      name: `Deal ${newId()}`,
      stage_id: quoteStageId,
      owner_id: paris.id,
    })) as Deal;
    const event = movedToQuote(deal);
    // Friday 28 March 2031, 10:00 in Paris (CET, UTC+1); summer time starts on Sunday the 30th.
    event.metadata.occurred_at = '2031-03-28T09:00:00.000Z';
    const outcome = await runAutomation(automationAdapters(), { action: action(QUOTE), event });
    expect(outcome.outcome).toBe('done');
    const [task] = await tasksOf(deal);
    // Sunday 10:00 in Paris is CEST (UTC+2): 08:00Z, 47 hours later; in the account's zone (UTC) it would be 48.
    expect(task!.due_date).toBe('2031-03-30T08:00:00.000Z');
  });

  it('creates one task when run twice (the ids collide in the write), and none again once the task is deleted', async () => {
    const deal = await dealInQuote();
    const input: AutomationInput = { action: action(QUOTE, 1), event: movedToQuote(deal) };
    const first = await runAutomation(automationAdapters(), input);
    const second = await runAutomation(automationAdapters(), input);
    expect([first.outcome, second.outcome]).toEqual(['done', 'duplicate']);
    const tasks = await tasksOf(deal);
    expect(tasks.map((t) => [t.content, t.owner_id])).toEqual([['Check the quote', managerId]]);
    // The owner deletes the task; a late redelivery finds the first run's event in the outbox.
    await deleteTask(taskAdapters(), system(), tasks[0]!.id);
    expect((await runAutomation(automationAdapters(), input)).outcome).toBe('duplicate');
    expect(await tasksOf(deal)).toEqual([]);
    // The task's id and its event's are derived from (event, action); the event says who wrote it and why.
    const ids = effectIds(input.event, input.action.name);
    expect(first.effect_id).toBe(ids());
    const outbox = await crmTable().get(outboxKey(ids()));
    const written = JSON.parse(String(outbox!.event)) as DomainEvent;
    expect(written.metadata).toMatchObject({
      event_type: 'task.created',
      actor_id: 'system',
      correlation_id: input.event.metadata.correlation_id,
      caused_by: {
        event_id: input.event.metadata.event_id,
        root_event_id: input.event.metadata.event_id,
        automation: 'quote-follow-up-2',
        depth: 1,
      },
    });
  });

  it('sets a custom field through the deals use-case with caused_by, and emits nothing when it holds the value', async () => {
    const deal = await dealInQuote();
    const input: AutomationInput = { action: action(QUOTE, 2), event: movedToQuote(deal) };
    const first = await runAutomation(automationAdapters(), input);
    expect(first.outcome).toBe('done');
    const after = await getDeal(dealAdapters(), asRep(), deal.id);
    expect(after.custom_fields).toEqual({ Quoted: true });
    expect(after.version).toBe(deal.version + 1);
    const again = await runAutomation(automationAdapters(), { ...input, event: movedToQuote(deal) });
    expect(again.outcome).toBe('no_change');
    expect((await getDeal(dealAdapters(), asRep(), deal.id)).version).toBe(deal.version + 1);
  });

  it("sets a lead's custom field on lead.created, and records an unknown field as a failure", async () => {
    const lead = await createLead(leadAdapters(), asRep(), { last_name: `Lead ${newId()}` });
    const created = domainEvent(asRep().events, 'lead.created', { resource_type: 'lead', resource_id: lead.id }, lead);
    const tagLead = action({
      name: 'tag-leads',
      trigger: { event: 'lead.created' },
      filters: [{ field: 'owner', op: 'equals', value: rep.email }],
      actions: [{ type: 'set_field', field: 'Origin', value: 'automation' }],
    });
    expect((await runAutomation(automationAdapters(), { action: tagLead, event: created })).outcome).toBe('done');
    expect((await getLead(leadAdapters(), asRep(), lead.id)).custom_fields).toEqual({ Origin: 'automation' });
    const typo = { ...tagLead, name: 'typo', action: { type: 'set_field' as const, field: 'Orgin', value: 'x' } };
    const failed = await runAutomation(automationAdapters(), { action: typo, event: created });
    expect(failed.outcome).toBe('failed');
    expect(failed.message).toMatch(/Orgin/);
  });

  it('never triggers itself, and stops a chain deeper than 3 links', async () => {
    const deal = await dealInQuote();
    const own = action(QUOTE);
    const link = (depth: number, automation = 'other'): CausedBy => ({
      event_id: newId(),
      root_event_id: 'ROOT',
      automation,
      depth,
    });
    const self = await runAutomation(automationAdapters(), { action: own, event: movedToQuote(deal, link(1, own.name)) });
    expect(self.outcome).toBe('skipped_self');
    const deep = await runAutomation(automationAdapters(), { action: own, event: movedToQuote(deal, link(3)) });
    expect(deep.outcome).toBe('skipped_depth');
    const ok = await runAutomation(automationAdapters(), { action: own, event: movedToQuote(deal, link(2)) });
    expect(ok.outcome).toBe('done');
    const [task] = await tasksOf(deal);
    expect(task).toBeDefined();
  });

  it('skips records a CSV import wrote, unless the import asked for automated actions', async () => {
    const deal = await dealInQuote();
    const own = action(QUOTE);
    const imported = (automations: boolean) =>
      domainEvent(
        { ...asRep().events, origin: { type: 'import', id: 'IMPORT', automations } },
        'deal.stage_changed',
        { resource_type: 'deal', resource_id: deal.id },
        deal,
      );
    const skipped = await runAutomation(automationAdapters(), { action: own, event: imported(false) });
    expect(skipped).toMatchObject({ outcome: 'skipped_import' });
    expect(await tasksOf(deal)).toEqual([]);
    const asked = await runAutomation(automationAdapters(), { action: own, event: imported(true) });
    expect(asked.outcome).toBe('done');
  });

  it('records failures it cannot retry away (an unknown user), and lists runs per action', async () => {
    const deal = await dealInQuote();
    const bad = action({
      name: 'to-nobody',
      trigger: QUOTE.trigger,
      actions: [{ type: 'create_task', content: 'x', assignee: { user: 'nobody@example.com' } }],
    });
    const run = await runAutomation(automationAdapters(), { action: bad, event: movedToQuote(deal) });
    expect(run).toMatchObject({ outcome: 'failed', message: 'no user with the e-mail nobody@example.com' });
    const listed = await listAutomations({
      catalogue: {
        actions: () => [
          { name: 'to-nobody-1', automation: 'to-nobody', trigger: 'deal.stage_changed:quote', type: 'create_task' },
          { name: 'never-ran-1', automation: 'never-ran', trigger: 'deal.created', type: 'create_task' },
        ],
      },
      runs: new DynamoAutomationRunStore(crmTable()),
    });
    expect(listed.items[0]).toMatchObject({ runs: 1, failures: 1, last_failure: { outcome: 'failed', event_id: run.event_id } });
    expect(listed.items[1]).toMatchObject({ runs: 0, failures: 0, last_run: null, last_failure: null });
  });
});
